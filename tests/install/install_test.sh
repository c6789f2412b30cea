#!/usr/bin/env bash
# install_test.sh package|relocate BUILD SRC LIBDIR CC CXX
#
# package:  install BUILD to a temporary prefix; check what is installed (and
#           that internal headers are not); build examples/queue_sim.c with
#           pkg-config against the shared library and the static archive, and
#           the C++ consumer; build examples/ with find_package(); run them
#           all; read the example's trace with the installed `ceres trace`.
# relocate: install, move the installed tree elsewhere, and run the moved
#           program (`ceres test --list` finds the suites next to itself,
#           with no source tree and no CERES_SUITES) and build against the
#           moved pkg-config files.
set -euo pipefail
mode=$1 build=$2 src=$3 libdir=$4 cc=$5 cxx=${6:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ceres-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_test ($mode): $*" >&2; exit 1; }
command -v pkg-config >/dev/null || { echo "pkg-config missing: skipped" >&2; exit 77; }
[ -n "$cxx" ] || fail "no C++ compiler found (install g++)"

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install failed"; }
unset CERES_SUITES CERES_TESTROMS CERES_TESTROMS_DEFAULT

# Build the example and the C++ consumer through pkg-config; $1 = prefix.
build_pc() {
  local p=$1 out=$2
  mkdir -p "$out"
  export PKG_CONFIG_PATH=$p/$libdir/pkgconfig
  local rpath="-Wl,-rpath,$(pkg-config --variable=libdir ceres-trace)"
  # shellcheck disable=SC2046
  "$cc" -std=c11 -pedantic -Wall -Wextra -Werror "$src/examples/queue_sim.c" -o "$out/queue_sim" \
    $(pkg-config --cflags --libs ceres-trace) "$rpath" || fail "pkg-config build (shared) failed"
  # shellcheck disable=SC2046
  "$cc" -std=c11 -pedantic -Wall -Wextra -Werror "$src/examples/queue_sim.c" \
    -o "$out/queue_sim_static" $(pkg-config --cflags ceres-trace) \
    "$(pkg-config --variable=libdir ceres-trace)/libceres-trace.a" \
    $(pkg-config --static --libs-only-l ceres-trace | sed 's/-lceres-trace//') ||
    fail "pkg-config build (static) failed"
  # shellcheck disable=SC2046
  "$cxx" -std=c++17 -pedantic -Wall -Wextra -Werror "$src/examples/cxx_consumer.cpp" \
    -o "$out/cxx_consumer" $(pkg-config --cflags --libs ceres-gb) "$rpath" ||
    fail "pkg-config build of the C++ consumer failed"
}

case $mode in
package)
  for f in bin/ceres include/ceres/trace/ct.h include/ceres/trace/ct_host.h \
           include/ceres/trace/ct_tools.h include/ceres/gb/gb.h include/ceres/gb/gb_events.h include/ceres/gb/gb_hooks.h \
           "$libdir/libceres-trace.a" "$libdir/libceres-gb.a" "$libdir/pkgconfig/ceres-trace.pc" \
           "$libdir/pkgconfig/ceres-gb.pc" "$libdir/cmake/CeresTrace/CeresTraceConfig.cmake" \
           "$libdir/cmake/CeresGB/CeresGBConfig.cmake" share/ceres/suites/blargg.suite \
           share/man/man1/ceres.1 share/bash-completion/completions/ceres \
           share/zsh/site-functions/_ceres; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
  done
  for l in libceres-trace libceres-gb; do
    so=$(ls "$prefix/$libdir/$l.so."* 2>/dev/null | head -1)
    [ -n "$so" ] || fail "no $l.so.* installed"
    soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
    [ "$soname" = "$l.so.0" ] || fail "$l: SONAME is '$soname', want $l.so.0"
  done
  # Internal headers stay internal.
  for f in ct_internal.h gb_internal.h cpu.h bus.h runner.h cli.h trigger.h doctor.h disasm.h; do
    if find "$prefix/include" -name "$f" | grep -q .; then fail "internal header installed: $f"; fi
  done
  # The recorder library stands alone: no emulator, libpng or cJSON.
  if objdump -p "$prefix/$libdir/libceres-trace.so.0" | grep -E 'NEEDED.*(png|cjson|ceres-gb)'; then
    fail "libceres-trace depends on the emulator, libpng or cJSON"
  fi
  if nm -u "$prefix/$libdir/libceres-trace.a" | grep -E ' (gb_|rn_|png_|cJSON_)'; then
    fail "libceres-trace.a references the emulator, libpng or cJSON"
  fi

  build_pc "$prefix" "$tmp/pc"
  (cd "$tmp/pc" && ./queue_sim q && ./queue_sim_static qs && ./cxx_consumer cxx.ctrace) ||
    fail "running the pkg-config builds failed"
  cmp "$tmp/pc/q.ctrace" "$tmp/pc/qs.ctrace" || fail "shared and static builds wrote different traces"
  [ -s "$tmp/pc/q.perfetto-trace" ] || fail "no Perfetto trace written"

  # find_package(CeresTrace) / find_package(CeresGB).
  cmake -S "$src/examples" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_CXX_COMPILER="$cxx" >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log" >&2; fail "find_package configure failed"; }
  cmake --build "$tmp/cm" >"$tmp/cmb.log" 2>&1 || { cat "$tmp/cmb.log" >&2; fail "find_package build failed"; }
  (cd "$tmp/cm" && ./queue_sim q && ./queue_sim_static qs && ./cxx_consumer c.ctrace) ||
    fail "running the find_package builds failed"
  cmp "$tmp/pc/q.ctrace" "$tmp/cm/q.ctrace" || fail "pkg-config and find_package builds differ"

  # The installed program reads the example's trace in the trace's own clock.
  stats=$("$prefix/bin/ceres" trace stats "$tmp/pc/q.ctrace") || fail "ceres trace stats failed"
  echo "$stats"
  grep -q "print-queue" <<<"$stats" || fail "stats: schema name missing"
  grep -Eq '^time .* us \(span' <<<"$stats" || fail "stats: time not in the trace's own clock (us)"
  if grep -q 'T-cycle\|frames' <<<"$stats"; then fail "stats: a non-Game Boy trace shown in T-cycles"; fi
  "$prefix/bin/ceres" trace cat "$tmp/pc/q.ctrace" | tail -3
  "$prefix/bin/ceres" trace stats "$tmp/pc/q.perfetto-trace" | grep -E '^time .* ns \(span' ||
    fail "stats of the .perfetto-trace: time not in ns"
  ;;
relocate)
  moved=$tmp/elsewhere/ceres-moved
  mkdir -p "$tmp/elsewhere"
  mv "$prefix" "$moved"
  [ ! -e "$prefix" ] || fail "the tree was not moved"
  # The program must find its data next to itself, not in the build or
  # source tree (file names in assertion messages would not matter: data
  # directories do).
  for d in "$src/suites" "$src/../shared" "$(dirname "$src")/shared" "$build/share"; do
    if strings "$moved/bin/ceres" | grep -qF "$d"; then fail "the program names $d"; fi
  done
  mkdir -p "$tmp/cwd"
  out=$(cd "$tmp/cwd" && "$moved/bin/ceres" test --list) || fail "moved ceres test --list failed"
  n=$(grep -Ec '^(blargg|mooneye|acid2|sm83) ' <<<"$out" || true)
  [ "$n" -gt 0 ] || fail "moved ceres test --list listed no tests:\n$out"
  echo "moved program lists $n tests"
  tail -1 <<<"$out"
  # CERES_SUITES still wins over the data directory.
  mkdir -p "$tmp/mysuites"
  cp "$moved/share/ceres/suites/acid2.suite" "$tmp/mysuites/"
  out2=$(cd "$tmp/cwd" && CERES_SUITES=$tmp/mysuites "$moved/bin/ceres" test --list) ||
    fail "CERES_SUITES listing failed"
  if grep -Eq '^(blargg|mooneye|sm83) ' <<<"$out2"; then fail "CERES_SUITES ignored"; fi
  grep -Eq '^acid2 ' <<<"$out2" || fail "CERES_SUITES: acid2 not listed"
  # The moved pkg-config files point at the moved tree.
  build_pc "$moved" "$tmp/pc"
  (cd "$tmp/pc" && ./queue_sim q >/dev/null && ./cxx_consumer c.ctrace >/dev/null) ||
    fail "programs built against the moved tree failed"
  echo "moved tree: pkg-config builds run"
  ;;
*) fail "unknown mode" ;;
esac
