#!/usr/bin/env bash
# Checks (and, as root on Debian, installs) what building and testing Ceres
# needs. Usage: scripts/deps.sh [--bench]
set -euo pipefail
pkgs=(cmake make gcc g++ pkg-config libpng-dev zlib1g-dev libcjson-dev libedit-dev protobuf-compiler python3)
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(libretro-gambatte libretro-mgba)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ceres: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "ceres: missing packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
