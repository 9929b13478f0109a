#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages the QEMU end-to-end tests use when they are missing (needs root).
# The Debian kernel is not installed: run.sh downloads its package with apt-get download and
# unpacks it into /var/cache/updater-e2e (E2E_CACHE). The arm64 scenarios also build U-Boot from Debian's
# source package and five flash modules for the arm64 kernel (lib/arm64.sh): the cross compiler and U-Boot's
# build dependencies are here; the arm64 libraries come from tests/install-deps.sh.
set -euo pipefail
pkgs=(qemu-system-x86 ovmf grub-efi-amd64-bin grub-common gdisk dosfstools mtools e2fsprogs
      busybox-static jq xz-utils systemd-boot-efi
      qemu-system-arm u-boot-tools libubootenv-tool crossbuild-essential-arm64 dpkg-dev bison flex bc
      libssl-dev libgnutls28-dev uuid-dev device-tree-compiler python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
