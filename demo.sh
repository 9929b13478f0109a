#!/usr/bin/env bash
# The main job end to end on an embedded default: a sandbox device with two file-backed slots and a GRUB
# environment file. Makes a signing key, builds two releases as ext4 images, bundles v2, installs it into
# the inactive slot, "reboots" into it, runs the health checks (which commit it), then rolls back by hand.
#
#   ./demo.sh            (as root on a fresh Debian 12 with the .NET 10 SDK; installs what it needs)
#
# Everything lives in ./sandbox; run again to start over.
set -euo pipefail
cd "$(dirname "$0")"
repo=$PWD
box=$repo/sandbox
[ "$(id -u)" = 0 ] && bash tests/install-deps.sh >/dev/null
echo "== building"
dotnet build src/Updater -c Release -v quiet -nologo 2>&1 | grep -E "error|Warn" || true
updater() { dotnet "$repo/src/Updater/bin/Release/net10.0/updater.dll" --config "$box/update.conf" "$@"; }
step() { printf '\n== %s\n$ updater %s\n' "$1" "${*:2}"; updater "${@:2}"; }

rm -rf "$box"; mkdir -p "$box/keyring" "$box/health.d"
# Two releases of a tiny root filesystem.
for v in 1.0.0 2.0.0; do
  mkdir -p "$box/root-$v/etc"
  printf 'NAME=demo\nVERSION=%s\n' "$v" > "$box/root-$v/etc/os-release"
  cp -r /usr/share/doc/bash "$box/root-$v/etc/" 2>/dev/null || true
  truncate -s 24M "$box/rootfs-$v.ext4"
  mkfs.ext4 -q -F -d "$box/root-$v" "$box/rootfs-$v.ext4"
done
# Slot A runs 1.0.0 (as the factory flashed it); slot B is empty. Both are 32 MiB "partitions".
truncate -s 32M "$box/slot-a.img" "$box/slot-b.img"
dd if="$box/rootfs-1.0.0.ext4" of="$box/slot-a.img" conv=notrunc status=none
grub-editenv "$box/grubenv" create
cat > "$box/update.conf" <<CONF
[system]
compatible = demo-board
bootloader = grub
grub-env = $box/grubenv
state-dir = $box/state
keyring = $box/keyring
booted-slot = A

[slot.rootfs.0]
device = $box/slot-a.img
bootname = A

[slot.rootfs.1]
device = $box/slot-b.img
bootname = B
CONF

step "vendor: a signing key (private key mode 0600)" keygen -o "$box/vendor"
cp "$box/vendor.pub.pem" "$box/keyring/"
step "vendor: bundle release 2.0.0" bundle create -o "$box/v2.bundle" -k "$box/vendor.key" --compatible demo-board --version 2.0.0 --security-version 1 "rootfs=$box/rootfs-2.0.0.ext4"
step "vendor: what is in it" bundle info "$box/v2.bundle"
step "vendor: verify every chunk" bundle verify "$box/v2.bundle" --keyring "$box/keyring"
step "device (running A): before" status
step "device: install into the inactive slot" install --verify "$box/v2.bundle"
step "device: after install, slot B is on trial" status
echo; echo "$ grub-editenv $box/grubenv list"; grub-editenv "$box/grubenv" list
step "device (rebooted into B): the health verdict commits B" --booted-slot B mark-good booted
step "device (running B)" --booted-slot B status
step "operator: roll back to A by hand" --booted-slot B rollback
echo; echo "$ grub-editenv $box/grubenv list"; grub-editenv "$box/grubenv" list
step "device: after the rollback, A boots next" --booted-slot B status
echo; echo "demo done: see $box"
