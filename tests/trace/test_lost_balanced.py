#!/usr/bin/env python3
"""Every export says what the ring lost, and its slices are balanced
(issue 12 items 8 and 18).

A synthesized ROM whose VBlank handler ends with EI; RET (not RETI) runs
with a small ring that wraps. Then:
- the .perfetto-trace, decoded with protoc against the official schema,
  has a trace_stats packet whose buffer_stats give the ring's size and the
  events written / overwritten / dropped, equal to the .ctrace's header
  (read by `ceres trace stats`); the .json has them in otherData and the
  .log (generic and disassembled) in its first line;
- in the .perfetto-trace and the .json every slice that begins ends (per
  track), the interrupt slices included: each cpu.irq ends at the handler's
  RET, and the frame in progress is closed at the end of the export.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("CHECK failed:", what, file=sys.stderr)


def rom():
    r = bytearray(0x8000)
    r[0x100:0x104] = bytes([0x00, 0xC3, 0x50, 0x01])
    r[0x134:0x13D] = b"CERESTEST"
    # VBlank handler: INC B; EI; RET (returns with RET, not RETI)
    r[0x40:0x43] = bytes([0x04, 0xFB, 0xC9])
    # main: LD A,1; LDH ($FF),A (IE = VBlank); EI; loop: NOP; JR loop
    code = bytes([0x3E, 0x01, 0xE0, 0xFF, 0xFB, 0x00, 0x18, 0xFD])
    r[0x150:0x150 + len(code)] = code
    c = 0
    for i in range(0x134, 0x14D):
        c = (c - r[i] - 1) & 0xFF
    r[0x14D] = c
    return bytes(r)


def main():
    binary = os.environ.get("CERES_BIN")
    proto = os.environ.get("CERES_PERFETTO_PROTO")
    if not binary or not os.access(binary, os.X_OK):
        print("SKIP: CERES_BIN is not set to the ceres program")
        return 77
    if not proto or not os.path.exists(proto):
        print("SKIP: CERES_PERFETTO_PROTO (the official perfetto_trace.proto) is missing")
        return 77
    with tempfile.TemporaryDirectory(prefix="ceres-lost-") as d:
        open(os.path.join(d, "irq.gb"), "wb").write(rom())
        ct = os.path.join(d, "t.ctrace")
        p = subprocess.run([binary, "run", "irq.gb", "--frames", "30", "--trace", "debug,mem=off",
                            "--trace-buffer", "32K", "--trace-out", ct], cwd=d, capture_output=True, text=True)
        check(p.returncode == 0, "ceres run: %s" % p.stderr)
        st = subprocess.run([binary, "trace", "stats", ct], capture_output=True, text=True).stdout
        m = re.search(r"ring +(\d+) bytes", st)
        m2 = re.search(r"recorded +written (\d+), overwritten (\d+), dropped (\d+)", st)
        check(m and m2, "trace stats of the .ctrace: %s" % st)
        if not (m and m2):
            return 1
        ring = int(m.group(1))
        written, over, dropped = (int(x) for x in m2.groups())
        check(over > 0, "the ring wrapped (overwritten %d)" % over)
        for ext in ("perfetto-trace", "json", "log"):
            q = subprocess.run([binary, "trace", "convert", ct, os.path.join(d, "t." + ext)] +
                               (["--uncompressed"] if ext == "perfetto-trace" else []),
                               capture_output=True, text=True)
            check(q.returncode == 0, "convert to .%s: %s" % (ext, q.stderr))
        # Perfetto: trace stats, decoded by protoc against the official schema
        with open(os.path.join(d, "t.perfetto-trace"), "rb") as f:
            dec = subprocess.run(["protoc", "--decode=perfetto.protos.Trace", "-I",
                                  os.path.dirname(proto), os.path.basename(proto)],
                                 stdin=f, capture_output=True, text=True)
        check(dec.returncode == 0, "protoc: %s" % dec.stderr)
        txt = dec.stdout
        bs = re.search(r"trace_stats \{\s*buffer_stats \{([^}]*)\}", txt)
        check(bs is not None, "a trace_stats packet with buffer_stats")
        if bs:
            vals = dict(re.findall(r"(\w+): (\d+)", bs.group(1)))
            check(int(vals.get("buffer_size", -1)) == ring, "buffer_size %r vs %d" % (vals, ring))
            check(int(vals.get("chunks_written", -1)) == written, "chunks_written %r" % vals)
            check(int(vals.get("chunks_overwritten", -1)) == over, "chunks_overwritten %r" % vals)
            check(int(vals.get("chunks_discarded", 0)) == dropped, "chunks_discarded %r" % vals)
        # balanced slices per track
        opened = {}
        for ev in re.finditer(r"track_event \{(.*?)\n  \}", txt, re.S):
            body = ev.group(1)
            ty = re.search(r"type: (\w+)", body)
            tr = re.search(r"track_uuid: (\d+)", body)
            if not ty or not tr:
                continue
            k = tr.group(1)
            if ty.group(1) == "TYPE_SLICE_BEGIN":
                opened[k] = opened.get(k, 0) + 1
            elif ty.group(1) == "TYPE_SLICE_END":
                opened[k] = opened.get(k, 0) - 1
                check(opened[k] >= 0, "an end without a begin on track %s" % k)
        check(opened and all(v == 0 for v in opened.values()), "perfetto slices balanced: %r" % opened)
        # JSON: otherData and balanced B/E per tid; interrupts among them
        j = json.load(open(os.path.join(d, "t.json")))
        od = j.get("otherData", {})
        check((od.get("written"), od.get("overwritten"), od.get("dropped")) == (written, over, dropped),
              "json otherData %r" % od)
        depth, irqs, irq_tid, irq_max = {}, 0, None, 0
        for e in j["traceEvents"]:
            if e.get("ph") == "B":
                depth[e["tid"]] = depth.get(e["tid"], 0) + 1
                if e.get("name") == "irq":
                    irqs += 1
                    irq_tid = e["tid"]
                    # each handler returned (EI; RET) before the next interrupt
                    irq_max = max(irq_max, depth[e["tid"]])
            elif e.get("ph") == "E":
                depth[e["tid"]] = depth.get(e["tid"], 0) - 1
                check(depth[e["tid"]] >= 0, "json: an E without a B")
        check(irqs >= 2, "interrupt slices recorded: %d" % irqs)
        check(irq_max == 1, "interrupt slices end at the handler's RET (nesting %d)" % irq_max)
        check(all(v == 0 for v in depth.values()), "json slices balanced: %r" % depth)
        # the text log, generic and disassembled (as `ceres run` writes it)
        first = open(os.path.join(d, "t.log")).readline()
        check("written %d, overwritten %d, dropped %d" % (written, over, dropped) in first, "log: %r" % first)
        p = subprocess.run([binary, "run", "irq.gb", "--frames", "30", "--trace", "debug,cpu=trace",
                            "--trace-buffer", "64K", "--trace-out", "r.log"], cwd=d, capture_output=True, text=True)
        first = open(os.path.join(d, "r.log")).readline()
        check(re.search(r"overwritten [1-9]", first) is not None, "disassembled log: %r" % first)
        # convert to .log keeps the disassembly (issue 12 item 19)
        subprocess.run([binary, "run", "irq.gb", "--frames", "1", "--trace", "cpu.exec",
                        "--trace-out", "e.ctrace"], cwd=d, capture_output=True)
        subprocess.run([binary, "run", "irq.gb", "--frames", "1", "--trace", "cpu.exec",
                        "--trace-out", "e-run.log"], cwd=d, capture_output=True)
        q = subprocess.run([binary, "trace", "convert", "e.ctrace", "e.log"], cwd=d, capture_output=True, text=True)
        check(q.returncode == 0, "convert to .log: %s" % q.stderr)
        conv = open(os.path.join(d, "e.log")).read()
        check("JR " in conv and "EI" in conv, "converted .log disassembled: %r" % conv[:200])
        check(conv == open(os.path.join(d, "e-run.log")).read(), "convert .log == run --trace-out .log")
        # the ring's real size is what state.txt reports (issue 12 item 16)
        subprocess.run([binary, "test", "irq.gb", "--timeout", "10f", "--trace-buffer", "4M",
                        "--out", "o", "--replay-window", "0"], cwd=d, capture_output=True)
        state = ""
        for root, _, files in os.walk(os.path.join(d, "o")):
            if "state.txt" in files:
                state = open(os.path.join(root, "state.txt")).read()
                pt = os.path.join(root, "trace.perfetto-trace")
        m = re.search(r"rings? of (\d+) bytes", state)
        check(m is not None, "state.txt names the ring's size: %r" % state[:300])
        if m:
            st = subprocess.run([binary, "trace", "stats", pt], capture_output=True, text=True).stdout
            m2 = re.search(r"ring +(\d+) bytes", st)
            check(m2 is not None and m2.group(1) == m.group(1), "state.txt %s vs trace %s" % (m.group(1), st))
            check(int(m.group(1)) <= 4 << 20, "within the budget")
    print("%d checks failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
