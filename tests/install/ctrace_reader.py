#!/usr/bin/env python3
"""A minimal .ctrace reader written from docs/ctrace-format.md alone (it
shares no code with Ceres), to check that the document is enough to read
the files Ceres writes.

    ctrace_reader.py FILE          one line per record, like `ceres trace cat`
                                   on a trace that is not the emulator's:
                                   "TICKS target.name field=value ..."
    ctrace_reader.py --header FILE the header and schema, one item a line
"""
import struct
import sys

MAGIC = b"\x89CTRACE\n"
TYPES = {0: ("U8", 1), 1: ("U16", 2), 2: ("U32", 4), 3: ("U64", 8),
         4: ("I32", 4), 5: ("BOOL", 1), 6: ("STR", 4)}
KINDS = ["INSTANT", "BEGIN", "END", "COUNTER", "STEP"]


class Malformed(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.d, self.at = data, 0

    def take(self, n):
        if self.at + n > len(self.d):
            raise Malformed("truncated at byte %d" % self.at)
        b = self.d[self.at:self.at + n]
        self.at += n
        return b

    def u(self, n):
        return int.from_bytes(self.take(n), "little")

    def s(self):
        n = self.u(4)
        if n > 1 << 20:
            raise Malformed("string too long")
        return self.take(n).decode("utf-8", "replace")


def load(data):
    r = Reader(data)
    if r.take(8) != MAGIC:
        raise Malformed("bad magic")
    h = {"version": r.u(4)}
    if h["version"] not in (1, 2):
        raise Malformed("unknown version %d" % h["version"])
    h["flags"] = r.u(4)
    h["ts_hz"] = r.u(8)
    for k in ("written", "overwritten", "dropped", "ring_bytes", "nrecords", "nwords"):
        h[k] = r.u(8)
    nevents, nstrings = r.u(4), r.u(4)
    if not 1 <= nevents <= 256:
        raise Malformed("bad event count")
    h["schema"] = r.s()
    h["ts_unit"] = r.s() if h["version"] >= 2 else ""
    events = []
    for _ in range(nevents):
        level, kind, nfields, pbytes = r.u(1), r.u(1), r.u(1), r.u(1)
        target, name = r.s(), r.s()
        if level > 5 or kind > 4 or nfields > 16:
            raise Malformed("bad descriptor")
        fields = []
        for _ in range(nfields):
            t = r.u(1)
            if t not in TYPES:
                raise Malformed("bad field type")
            fields.append((TYPES[t][0], TYPES[t][1], r.s()))
        if sum(f[1] for f in fields) != pbytes or pbytes > 64:
            raise Malformed("payload size does not match the fields")
        events.append({"level": level, "kind": KINDS[kind], "target": target,
                       "name": name, "fields": fields, "pbytes": pbytes})
    strings = [r.s() for _ in range(nstrings)]
    records, used = [], 0
    for _ in range(h["nrecords"]):
        w0 = r.u(8)
        eid, n = w0 & 0xFFFF, (w0 >> 16) & 0xFF
        if eid >= nevents:
            raise Malformed("bad event id")
        pb = events[eid]["pbytes"]
        want = 2 if pb <= 4 else 2 + (pb - 4 + 7) // 8
        if n != want:
            raise Malformed("bad record length")
        ts = r.u(8)
        payload = (w0 >> 32).to_bytes(4, "little") + r.take(8 * (n - 2))
        records.append((eid, ts, payload[:pb]))
        used += n
    if used != h["nwords"]:
        raise Malformed("record words do not add up to nwords")
    return h, events, strings, records


def field_values(ev, payload):
    off = 0
    for ty, size, name in ev["fields"]:
        v = int.from_bytes(payload[off:off + size], "little")
        off += size
        yield ty, name, v


def text(ty, v, strings):
    if ty == "STR":
        return '"%s"' % (strings[v] if v < len(strings) else "?")
    if ty == "BOOL":
        return "true" if v else "false"
    if ty == "I32":
        return str(v - (1 << 32) if v >= 1 << 31 else v)
    if ty == "U8":
        return "%02X" % v
    if ty == "U16":
        return "%04X" % v
    return str(v)


def main(argv):
    header = argv[1:2] == ["--header"]
    path = argv[2] if header else argv[1]
    with open(path, "rb") as f:
        h, events, strings, records = load(f.read())
    out = sys.stdout
    if header:
        for k in ("version", "flags", "ts_hz", "ts_unit", "schema", "written", "overwritten",
                  "dropped", "ring_bytes", "nrecords", "nwords"):
            out.write("%s %s\n" % (k, h[k]))
        for i, e in enumerate(events):
            out.write("event %d %s.%s %s level=%d %s\n" % (
                i, e["target"], e["name"], e["kind"], e["level"],
                " ".join("%s:%s" % (f[2], f[0]) for f in e["fields"])))
        out.write("strings %d\n" % len(strings))
        return 0
    for eid, ts, payload in records:
        ev = events[eid]
        parts = ["%d %s.%s" % (ts, ev["target"], ev["name"])]
        for ty, name, v in field_values(ev, payload):
            parts.append("%s=%s" % (name, text(ty, v, strings)))
        out.write(" ".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Malformed as e:
        sys.stderr.write("ctrace_reader: malformed: %s\n" % e)
        sys.exit(1)
