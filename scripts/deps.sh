#!/usr/bin/env bash
# Checks (and, as root on Debian, installs) what building and testing Ceres
# needs. Usage: scripts/deps.sh [--bench]
set -euo pipefail
pkgs=(cmake make gcc g++ pkg-config libpng-dev zlib1g-dev libcjson-dev libedit-dev protobuf-compiler python3)
# Optional: SDL2 for `ceres play` (left out of the build without it), xvfb
# for its test in a real window. Installed as root, else only mentioned.
optional=(libsdl2-dev xvfb xauth)
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(libretro-gambatte libretro-mgba)
fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${pkgs[@]}"; do
  installed "$p" || missing+=("$p")
done
opt_missing=()
for p in "${optional[@]}"; do
  installed "$p" || opt_missing+=("$p")
done
root_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
if [ ${#opt_missing[@]} -ne 0 ]; then
  if root_apt; then
    # Best effort: without them everything but `ceres play` still builds.
    echo "ceres: installing ${opt_missing[*]} (optional)" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq "${opt_missing[@]}" >/dev/null; } ||
      echo "ceres: could not install ${opt_missing[*]}; building without ceres play" >&2
  else
    echo "ceres: optional packages not installed: ${opt_missing[*]}" \
      "(ceres play needs libsdl2-dev; it is left out without it)" >&2
  fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if root_apt; then
  echo "ceres: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "ceres: missing packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
