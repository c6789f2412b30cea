#!/usr/bin/env bash
# man_completion_test.sh CERES MANPAGE SRC
# The generated manual page has a section for every command and names every
# option of every --help text; the bash (and, when zsh is installed, zsh)
# completion offers the commands, subcommands and every option.
set -euo pipefail
ceres=$1 man=$2 src=$3
fail() { echo "man_completion: $*" >&2; exit 1; }
[ -s "$man" ] || fail "no manual page at $man"
bindir=$(cd "$(dirname "$ceres")" && pwd)
export PATH=$bindir:$PATH

# Every command path (the same walk as the completion and the generator).
paths=("")
walk() {
  local w first
  for w in $("$ceres" $1 --help | sed -n -E 's/^  ([a-z][a-z0-9-]*)( .*)?$/\1/p'); do
    first=$("$ceres" $1 $w --help 2>/dev/null | sed -n 1p) || continue
    if [[ $first == "usage: ceres${1:+ $1} $w"* ]]; then
      paths+=("${1:+$1 }$w")
      walk "${1:+$1 }$w"
    fi
  done
}
walk ""
[ ${#paths[@]} -ge 8 ] || fail "found only ${#paths[@]} commands: ${paths[*]}"
for p in run test trace "trace cat" bench; do
  printf '%s\n' "${paths[@]}" | grep -qx "$p" || fail "command '$p' not found"
done

# The page: a section per command, every option, renders without warnings.
for p in "${paths[@]}"; do
  grep -qF ".SS \"ceres${p:+ $p}\"" "$man" || fail "man page: no section for 'ceres $p'"
  for o in $("$ceres" $p --help | grep -oE '(^|[[:space:],[])--[a-z0-9][a-z0-9-]*' |
             sed -E 's/^[[:space:],[]//' | sort -u); do
    grep -qF -- "${o//-/\\-}" "$man" || fail "man page: 'ceres $p' option $o missing"
  done
done
if command -v man >/dev/null && command -v groff >/dev/null; then
  warn=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >/dev/null || true)
  [ -z "$warn" ] || fail "man page warnings: $warn"
fi

# bash completion.
bash_complete() { # words...; prints the candidates
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _ceres;
           printf "%s\n" "${COMPREPLY[@]}"' _ "$src/completions/ceres.bash" "$@"
}
got=$(bash_complete ceres "" | tr '\n' ' ')
for c in run test trace bench; do [[ " $got " == *" $c "* ]] || fail "bash: '$c' not offered ($got)"; done
got=$(bash_complete ceres trace "" | tr '\n' ' ')
for c in convert cat stats diff; do [[ " $got " == *" $c "* ]] || fail "bash: trace $c not offered"; done
for p in run test "trace cat" "trace diff"; do
  got=" $(bash_complete ceres $p x -- | tr '\n' ' ') "
  for o in $("$ceres" $p --help | grep -oE '(^|[[:space:],[])--[a-z0-9][a-z0-9-]*' |
             sed -E 's/^[[:space:],[]//' | sort -u); do
    [[ $got == *" $o "* ]] || fail "bash: 'ceres $p' does not offer $o"
  done
done
got=$(bash_complete ceres run x.gb --trace-o | tr '\n' ' ')
[ "$got" = "--trace-out " ] || fail "bash: --trace-o completes to '$got'"
if "$ceres" --version >/dev/null 2>&1; then
  got=$(bash_complete ceres --vers | tr '\n' ' ')
  [ "$got" = "--version " ] || fail "bash: --vers completes to '$got'"
fi
got=$(bash_complete ceres trace stats --he | tr '\n' ' ')
[ "$got" = "--help " ] || fail "bash: trace stats --he completes to '$got'"
echo "bash completion: ok"

if command -v zsh >/dev/null; then
  out=$(zsh -f -c '
    compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }
    _files() { print -r -- FILES; }
    compset() { :; }
    source "$1" >/dev/null 2>&1
    t() { words=("$@"); CURRENT=${#words}; _ceres; }
    t ceres ""; t ceres trace ""; t ceres run x.gb --tr; t ceres run ""' _ "$src/completions/_ceres")
  echo "$out"
  for c in run test trace bench; do
    sed -n 1p <<<"$out" | grep -qw "$c" || fail "zsh: commands ($c)"
  done
  sed -n 2p <<<"$out" | grep -q 'convert cat stats diff' || fail "zsh: trace subcommands"
  sed -n 3p <<<"$out" | grep -q -- '--trace-out' || fail "zsh: run options"
  sed -n 4p <<<"$out" | grep -qx 'FILES' || fail "zsh: file argument"
  echo "zsh completion: ok"
else
  echo "zsh not installed: zsh completion not exercised"
fi
