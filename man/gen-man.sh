#!/usr/bin/env bash
# gen-man.sh CERES TEMPLATE OUT VERSION
# Writes the manual page OUT from TEMPLATE, replacing the line @COMMANDS@
# with every command's --help text as the program prints it, so the page
# always describes the options the program has. Commands are found the way
# the completions find them: the indented words of a help text that the
# program accepts as `ceres PATH WORD --help`.
set -euo pipefail
ceres=$1 template=$2 out=$3 version=$4

# Escape help text for roff: backslashes, leading dots and quotes, dashes.
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/-/\\-/g'; }

subcommands() { # $@: command path
  "$ceres" "$@" --help 2>/dev/null | grep -E '^  [a-z][a-z0-9-]*( |$)' | awk '{print $1}' |
    while read -r w; do
      first=$("$ceres" "$@" "$w" --help 2>/dev/null | sed -n 1p) || continue
      [[ $first == "usage: ceres${*:+ $*} $w"* ]] && echo "$w"
    done
}

section() { # $@: command path
  local title="ceres${*:+ $*}"
  echo ".SS \"$title\""
  echo ".nf"
  "$ceres" "$@" --help | esc
  echo ".fi"
  local w
  for w in $(subcommands "$@"); do section "$@" "$w"; done
}

tmp="$out.tmp.$$"
{
  while IFS= read -r line; do
    if [[ $line == "@COMMANDS@" ]]; then
      section
    else
      echo "${line//@VERSION@/$version}"
    fi
  done <"$template"
} >"$tmp"
mv "$tmp" "$out"
