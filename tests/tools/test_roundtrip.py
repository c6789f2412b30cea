#!/usr/bin/env python3
"""Everything Ceres writes can be read back (issue 12 item 19): a real
recording (a ring that wrapped: events overwritten) is converted to every
format, with and without --raw-cycles, and read back by `ceres trace
cat`, `stats`, `diff` and `convert`:
- .ctrace, .json (Chrome) and .log come back with the same events, fields
  and time stamps (`trace cat` prints the same lines, `trace diff` finds
  nothing), and the ring's counts (written, overwritten); a .perfetto-trace
  with the same stamps, in ns or (--raw-cycles) in T-cycles;
- a .log's stamps are ns of emulated time, or T-cycles with --raw-cycles,
  as its first line says;
- a .log keeps the disassembly when converted to, and its cpu.exec lines
  read back as the instructions they show;
- text a reader cannot parse is refused with exit 2 and a message."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import testrom  # noqa: E402
from testrom import check, rom  # noqa: E402


def run(b, *args, cwd=None):
    return subprocess.run([b] + list(args), cwd=cwd, capture_output=True, text=True,
                          errors="replace")


def main():
    b = os.environ.get("CERES_BIN")
    if not b or not os.access(b, os.X_OK):
        print("SKIP: CERES_BIN is not set to the ceres program")
        return 77
    # IE = VBlank; EI; loop: INC A; LD ($C000),A; NOP; JR loop. Handler: RETI.
    code = bytes([0x3E, 0x01, 0xE0, 0xFF, 0xFB, 0x3C, 0xEA, 0x00, 0xC0, 0x00, 0x18, 0xF9])
    with tempfile.TemporaryDirectory(prefix="ceres-rt-") as d:
        open(os.path.join(d, "t.gb"), "wb").write(rom(bytes([0xD9]), code))
        p = run(b, "run", "t.gb", "--frames", "4", "--trace", "debug,cpu=trace,mem=trace",
                "--trace-buffer", "64K", "--trace-out", "a.ctrace", cwd=d)
        check(p.returncode == 0, "record: %s" % p.stderr)
        a = os.path.join(d, "a.ctrace")
        cat_a = run(b, "trace", "cat", a).stdout
        stats_a = run(b, "trace", "stats", a).stdout
        check(cat_a.count("\n") > 1000, "the recording has events")
        check("overwritten" in stats_a, "stats name the overwritten count")
        stamps_a = [l.split(" ", 1)[0] for l in cat_a.splitlines()]
        for fmt in ("json", "log", "ctrace", "perfetto-trace"):
            for raw in ((), ("--raw-cycles",)):
                name = "x%s.%s" % ("-raw" if raw else "", fmt)
                x = os.path.join(d, name)
                p = run(b, "trace", "convert", a, x, *raw)
                check(p.returncode == 0, "convert to %s: %s" % (name, p.stderr))
                # every tool reads it
                c = run(b, "trace", "cat", x)
                check(c.returncode == 0, "cat %s: %s" % (name, c.stderr))
                # the same T-cycle stamps, written as ns or as raw cycles
                stamps_x = [l.split(" ", 1)[0] for l in c.stdout.splitlines()]
                check(stamps_x == stamps_a, "cat %s: the same stamps as the .ctrace" % name)
                if fmt != "perfetto-trace":
                    check(c.stdout == cat_a, "cat %s: the same lines as the .ctrace" % name)
                    if c.stdout != cat_a:
                        la, lx = cat_a.splitlines(), c.stdout.splitlines()
                        for i in range(min(len(la), len(lx))):
                            if la[i] != lx[i]:
                                print("first difference, line %d:\n  %s\n  %s" % (i, la[i], lx[i]))
                                break
                        print("lines: %d vs %d" % (len(la), len(lx)))
                s = run(b, "trace", "stats", x)
                check(s.returncode == 0, "stats %s: %s" % (name, s.stderr))
                ev_a = [l for l in stats_a.splitlines() if l.startswith("events")]
                ev_x = [l for l in s.stdout.splitlines() if l.startswith("events")]
                check(ev_a == ev_x, "stats %s: %r vs %r" % (name, ev_x, ev_a))
                # (a .log's disassembled cpu.exec lines show only the
                # instruction's own bytes: its other events are compared)
                df = run(b, "trace", "diff", a, x, *(("--filter", "mem,io,ppu,cpu.irq")
                                                     if fmt == "log" else ()))
                check(df.returncode == 0, "diff .ctrace %s: exit %d\n%s%s" %
                      (name, df.returncode, df.stdout[-2000:], df.stderr))
                back = os.path.join(d, "back-" + name + ".ctrace")
                p = run(b, "trace", "convert", x, back)
                check(p.returncode == 0, "convert %s back: %s" % (name, p.stderr))
        # a .log's stamps: ns of emulated time, or T-cycles with --raw-cycles,
        # as its first line says
        first_cycle = int(stamps_a[0])
        for name, unit, stamp in (("x.log", "ns (emulated time, ticks of 4194304 Hz)",
                                   first_cycle * 1000000000 // 4194304),
                                  ("x-raw.log", "ticks of 4194304 Hz", first_cycle)):
            lines = open(os.path.join(d, name)).read().splitlines()
            check(lines[0].startswith("# ") and lines[0].endswith("timestamps in " + unit),
                  "%s: header %r" % (name, lines[0]))
            check(len(lines) > 1 and lines[1].split(" ", 1)[0] == str(stamp),
                  "%s: first stamp %r, want %d" % (name, lines[1][:40], stamp))
        # a .log keeps the disassembly
        log = open(os.path.join(d, "x.log")).read()
        check(" INC A " in log and "LD [$C000],A" in log.replace("($C000)", "[$C000]"),
              "the .log shows the instructions")
        # text that does not parse: refused, exit 2, a message
        for bad, text in (("bad.json", '{"traceEvents":[{"ph":"i"}],"otherData":{"ts_hz":5}}'),
                          ("bad.log", "12 cpu.exec garbage here\n"),
                          ("bad2.log", "12 nodot a=1\n")):
            open(os.path.join(d, bad), "w").write(text)
            p = run(b, "trace", "cat", os.path.join(d, bad))
            check(p.returncode == 2 and "not a" in p.stderr, "%s: exit %d %r" %
                  (bad, p.returncode, p.stderr))
    print("%d checks failed" % testrom.failures)
    return 1 if testrom.failures else 0


if __name__ == "__main__":
    sys.exit(main())
