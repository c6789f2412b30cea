#!/usr/bin/env bash
# Run every fuzz target for FUZZ_SECONDS (default 60) each.
#   fuzz/run.sh BUILD_DIR [TARGET...]
# Seeds are gathered at fuzz time into BUILD_DIR/corpus/<target>/ (never into
# the repository): the test ROMs (CERES_TESTROMS, else ../shared/testroms) for
# `rom`, traces dumped by `ceres run` from them for `ctrace`, and our own
# seeds in fuzz/corpus/ and crashers in fuzz/regressions/ for all. A crash
# leaves its input in BUILD_DIR/crashes/<target>/: after fixing the bug, keep
# it as fuzz/regressions/<target>/NAME (replayed by CTest fuzz_regress_*).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: fuzz/run.sh BUILD_DIR [TARGET...]}"
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(rom ctrace filter trigger state text)
secs="${FUZZ_SECONDS:-60}"
roms="${CERES_TESTROMS:-$here/../../shared/testroms}"
bin="$build/bin"
status=0

seed_dir() { # target -> corpus dir, filled with seeds
    local t="$1" c="$build/corpus/$1"
    mkdir -p "$c" "$build/crashes/$t"
    [ -d "$here/corpus/$t" ] && cp -n "$here/corpus/$t"/* "$c"/ 2>/dev/null
    find "$here/regressions/$t" -type f ! -name '.*' -exec cp -n {} "$c"/ \; 2>/dev/null
    if [ "$t" = rom ] && [ -d "$roms" ]; then
        find "$roms" -name '*.gb' -size -65k -print0 | while IFS= read -r -d '' f; do
            cp -n "$f" "$c/$(echo "$f" | cksum | cut -d' ' -f1).gb"
        done
    fi
    if [ "$t" = ctrace ] && [ -d "$roms" ] && [ -x "$bin/ceres" ]; then
        local n=0
        find "$roms/mooneye/acceptance" -maxdepth 1 -name '*.gb' | head -4 | while read -r f; do
            n=$((n + 1))
            for ext in ctrace perfetto-trace; do
                "$bin/ceres" run "$f" --frames 2 --trace-buffer 20K --trace trace \
                    --trace-out "$c/seed$n.$ext" >/dev/null 2>&1
            done
            "$bin/ceres" run "$f" --frames 1 --trace-buffer 16500 \
                --trace-out "$c/seed$n-small.ctrace" >/dev/null 2>&1
        done
    fi
    [ -d "$roms" ] || echo "fuzz: no test ROMs at $roms (set CERES_TESTROMS): fewer seeds" >&2
    echo "$c"
}

for t in "${targets[@]}"; do
    exe="$bin/fuzz_$t"
    if [ ! -x "$exe" ]; then
        echo "fuzz: $exe missing (configure with -DCERES_FUZZ=ON)" >&2
        status=1
        continue
    fi
    c="$(seed_dir "$t")"
    maxlen=4096
    [ "$t" = rom ] && maxlen=65536
    [ "$t" = ctrace ] && maxlen=262144
    [ "$t" = text ] && maxlen=65536
    echo "fuzz: $t for ${secs}s (corpus $c)"
    ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        "$exe" "$c" -max_total_time="$secs" -max_len="$maxlen" -rss_limit_mb=2560 \
        -timeout=25 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" \
        >"$build/fuzz_$t.log" 2>&1
    rc=$?
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$build/fuzz_$t.log" |
        sed "s/^/fuzz: $t: /"
    if [ $rc -ne 0 ]; then
        echo "fuzz: $t FAILED (exit $rc), see $build/fuzz_$t.log and $build/crashes/$t/" >&2
        grep -E 'ERROR|SUMMARY|runtime error' "$build/fuzz_$t.log" | head -5 >&2
        status=1
    fi
done
exit $status
