#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages the tests use when they are missing (needs root).
set -euo pipefail
pkgs=(grub-common libubootenv-tool u-boot-tools systemd-boot efibootmgr e2fsprogs time zstd python3 openssl nginx-light faketime softhsm2 opensc afl++)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# QEMU, OVMF, GRUB's EFI modules and the disk tools of the end-to-end tests.
bash "$(dirname "$0")/e2e/install-deps.sh"
