#!/usr/bin/env python3
"""--trace-stop keeps the triggering event in the ring for every kind of
condition (issue 12 item 17): the last record of a trace stopped by
pc==ADDR is that instruction's cpu.exec, by write(ADDR) that write, by
irq(vblank) that dispatch (cpu.irq), as it already was for event(...)."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import testrom  # noqa: E402
from testrom import check, rom  # noqa: E402


def main():
    b = os.environ.get("CERES_BIN")
    if not b or not os.access(b, os.X_OK):
        print("SKIP: CERES_BIN is not set to the ceres program")
        return 77
    # loop: INC A; LD ($C000),A; NOP; JR loop. VBlank on, handler: RETI.
    code = bytes([0x3E, 0x01, 0xE0, 0xFF, 0xFB,  # IE = VBlank; EI
                  0x3C, 0xEA, 0x00, 0xC0, 0x00, 0x18, 0xF9])
    with tempfile.TemporaryDirectory(prefix="ceres-stop-") as d:
        open(os.path.join(d, "t.gb"), "wb").write(rom(bytes([0xD9]), code))
        cases = [("pc==0x0159", "cpu.exec 00:0159"),
                 ("write(0xC000)", "mem.write addr=C000"),
                 ("irq(vblank)", "cpu.irq vector=0040")]
        for cond, want in cases:
            out = os.path.join(d, "s.ctrace")
            p = subprocess.run([b, "run", "t.gb", "--frames", "3", "--trace", "debug,cpu=trace,mem=trace",
                                "--trace-stop", cond, "--trace-out", out], cwd=d, capture_output=True, text=True)
            check(p.returncode == 0, "%s: %s" % (cond, p.stderr))
            cat = subprocess.run([b, "trace", "cat", out], capture_output=True, text=True).stdout
            lines = [l for l in cat.splitlines() if l.strip()]
            last = lines[-1] if lines else ""
            check(want in last, "%s: last record %r, want %r" % (cond, last, want))
    print("%d checks failed" % testrom.failures)
    return 1 if testrom.failures else 0


if __name__ == "__main__":
    sys.exit(main())
