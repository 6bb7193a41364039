#!/bin/bash
# Install what building and testing tracesync needs (Debian 12 packages).
# Does nothing when everything is already there; needs root (or sudo) otherwise.
set -euo pipefail
pkgs=(gcc make clang libclang-rt-14-dev babeltrace2 python3 python3-bt2)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
