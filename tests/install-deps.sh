#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages the tests use when they are missing (needs root).
set -euo pipefail
pkgs=(grub-common libubootenv-tool u-boot-tools systemd-boot efibootmgr e2fsprogs dosfstools time zstd python3 openssl nginx-light faketime softhsm2 opensc afl++ lintian)
# The linux-arm64 cross publish (clang is the compiler, lld links against the cross libraries, the cross binutils
# strip) and its smoke under qemu-user, which needs the libraries the binary loads at run time in arm64:
# libc, OpenSSL (.NET's cryptography) and zlib (libMonoPosixHelper), from Debian's multiarch packages.
pkgs+=(clang lld crossbuild-essential-arm64 qemu-user-static file jq libc6:arm64 libssl3:arm64 zlib1g:arm64)
dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
# QEMU, OVMF, GRUB's EFI modules and the disk tools of the end-to-end tests.
bash "$(dirname "$0")/e2e/install-deps.sh"
