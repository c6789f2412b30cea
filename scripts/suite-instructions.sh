#!/usr/bin/env bash
# Instructions executed by the test processes of `ceres bench suite`, recorder
# off and on, counted by callgrind (valgrind): figures that other load on the
# machine does not disturb, unlike CPU time. Slow (callgrind runs the code
# some 50x slower), so pick suites; one round, -j 2.
# Usage: scripts/suite-instructions.sh [CERES] [--suite NAME,...] [--only roms|sm83]
# e.g.   scripts/suite-instructions.sh build/bin/ceres --suite mooneye,blargg,acid2
set -euo pipefail
ceres=build/bin/ceres
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then ceres=$1; shift; fi
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
[ $# -gt 0 ] || set -- --only roms
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
total() { # sum of the "summary:" lines of the callgrind files in $1
  cat "$1"/cg.* 2>/dev/null | awk '/^summary:/ { s += $2 } END { printf "%.0f\n", s }'
}
declare -A n
for side in off on; do
  mkdir "$tmp/$side"
  valgrind -q --tool=callgrind --trace-children=yes --callgrind-out-file="$tmp/$side/cg.%p" \
    "$ceres" bench suite --rounds 1 --recorder "$side" "$@" >/dev/null
  n[$side]=$(total "$tmp/$side")
  printf 'instructions, recorder %-3s %16s\n' "$side" "${n[$side]}"
done
awk -v a="${n[off]}" -v b="${n[on]}" 'BEGIN { printf "ratio on / off              %16.3fx\n", b / a }'
