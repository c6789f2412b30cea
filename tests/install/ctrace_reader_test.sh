#!/usr/bin/env bash
# ctrace_reader_test.sh EXAMPLE CERES READER
# A trace written by Ceres (the example program's own schema, recorded into
# a wrapped ring) read by the independent reader built from
# docs/ctrace-format.md must give exactly what `ceres trace cat` prints, and
# a header that agrees with `ceres trace stats`.
set -euo pipefail
example=$1 ceres=$2 reader=$3
command -v python3 >/dev/null || { echo "python3 missing: skipped" >&2; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ceres-reader.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "ctrace_format_reader: $*" >&2; exit 1; }

(cd "$tmp" && "$example" q) || fail "the example failed"
python3 "$reader" --header "$tmp/q.ctrace" >"$tmp/header" || fail "the reader rejected the file"
cat "$tmp/header"
grep -qx 'version 2' "$tmp/header" || fail "not version 2"
grep -qx 'ts_unit us' "$tmp/header" || fail "clock unit not carried"
grep -qx 'ts_hz 1000000' "$tmp/header" || fail "ts_hz wrong"
grep -q '^event 4 job.reject INSTANT level=2 job:U32 reason:STR$' "$tmp/header" ||
  fail "schema not read as declared"
n=$(awk '/^nrecords/ {print $2}' "$tmp/header")
w=$(awk '/^written/ {print $2}' "$tmp/header")
o=$(awk '/^overwritten/ {print $2}' "$tmp/header")
[ "$o" -gt 0 ] || fail "the ring did not wrap: the test would not cover a wrapped ring"
[ $((n + o)) -eq "$w" ] || fail "written ($w) != nrecords ($n) + overwritten ($o)"
"$ceres" trace stats "$tmp/q.ctrace" | grep -Eq "^events +$n\$" || fail "stats disagree on the count"

python3 "$reader" "$tmp/q.ctrace" >"$tmp/reader.txt" || fail "the reader failed"
"$ceres" trace cat "$tmp/q.ctrace" >"$tmp/ceres.txt" || fail "ceres trace cat failed"
[ "$(wc -l <"$tmp/reader.txt")" -eq "$n" ] || fail "the reader read $(wc -l <"$tmp/reader.txt") of $n records"
diff "$tmp/ceres.txt" "$tmp/reader.txt" | head -20 >&2 || true
cmp -s "$tmp/ceres.txt" "$tmp/reader.txt" || fail "the reader and ceres trace cat disagree"
tail -3 "$tmp/reader.txt"
grep -q 'job.reject job=.* reason="queue full"' "$tmp/reader.txt" || fail "the failure is not in the dump"

# Converting keeps the schema and clock: .ctrace -> .ctrace via ceres.
"$ceres" trace convert "$tmp/q.ctrace" "$tmp/r.ctrace" >/dev/null || fail "convert failed"
python3 "$reader" "$tmp/r.ctrace" | cmp -s - "$tmp/reader.txt" || fail "converted file reads differently"
# Version 1 (no ts_unit) is still read: the same file rewritten as version 1
# prints the same lines (the unit is gone, the ticks are not).
python3 - "$tmp/q.ctrace" "$tmp/v1.ctrace" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
assert d[8:12] == (2).to_bytes(4, "little")
d[8:12] = (1).to_bytes(4, "little")
at = 80 + 4 + int.from_bytes(d[80:84], "little")  # after schema_name
unit_len = int.from_bytes(d[at:at + 4], "little")
del d[at:at + 4 + unit_len]
open(sys.argv[2], "wb").write(d)
PY
"$ceres" trace cat "$tmp/v1.ctrace" | cmp -s - "$tmp/ceres.txt" || fail "a version 1 file reads differently"
python3 "$reader" "$tmp/v1.ctrace" | cmp -s - "$tmp/reader.txt" || fail "the reader reads version 1 differently"
"$ceres" trace stats "$tmp/v1.ctrace" | grep -Eq '^time .* ticks \(span' || fail "version 1: unit not 'ticks'"
echo "reader and ceres agree on $n records (versions 2 and 1)"
