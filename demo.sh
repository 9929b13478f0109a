#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job end to end on an embedded default: a sandbox device with two file-backed slots and a GRUB
# environment file. Makes a signing key, builds three releases as ext4 images, bundles v2, installs it into
# the inactive slot, "reboots" into it, and the health verdict commits it. Then v3, whose application does not
# come up: its health verdict marks it bad and reboots, GRUB falls back, and status shows the rollback and why.
# A "reboot" is simulated as dist/grub.cfg performs it: a trial boot first counts its try in grubenv
# (`grub-editenv FILE set B_TRY=1`), then the system runs (`--booted-slot B`).
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
# A step whose exit code is not 0 on purpose (7: health failed; 6: refused).
step_exit() {
  local want=$1 rc=0; shift
  printf '\n== %s\n$ updater %s\n' "$1" "${*:2}"; updater "${@:2}" || rc=$?
  [ "$rc" = "$want" ] || { echo "demo: expected exit $want, got $rc" >&2; exit 1; }
  echo "(exit $rc)"
}
grub_boot() { echo; echo "\$ grub-editenv $box/grubenv set $1_TRY=1    # GRUB counts the trial's try and boots slot $1"; grub-editenv "$box/grubenv" set "$1_TRY=1"; }
# The running image's image-info: in the sandbox, the file inside the release the simulated boot runs.
running() { ln -sfn "$box/root-$1/usr/lib/updater/image-info" "$box/image-info"; }
grub_list() { echo; echo "\$ grub-editenv $box/grubenv list"; grub-editenv "$box/grubenv" list; }

rm -rf "$box"; mkdir -p "$box/health.d"
# Three releases of a tiny root filesystem.
for v in 1.0.0 2.0.0 3.0.0; do
  mkdir -p "$box/root-$v/etc"
  printf 'NAME=demo\nVERSION=%s\n' "$v" > "$box/root-$v/etc/os-release"
  # What every image build ships: the image's own anti-rollback floor (docs/anti-rollback.md).
  mkdir -p "$box/root-$v/usr/lib/updater"
  printf '[image]\nsecurity-version = 1\nversion = %s\nbuilt = %s\n' "$v" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$box/root-$v/usr/lib/updater/image-info"
  cp -r /usr/share/doc/bash "$box/root-$v/etc/" 2>/dev/null || true
  truncate -s 24M "$box/rootfs-$v.ext4"
  mkfs.ext4 -q -F -d "$box/root-$v" "$box/rootfs-$v.ext4"
done
# Slot A runs 1.0.0 (as the factory flashed it); slot B is empty. Both are 32 MiB "partitions".
truncate -s 32M "$box/slot-a.img" "$box/slot-b.img"
dd if="$box/rootfs-1.0.0.ext4" of="$box/slot-a.img" conv=notrunc status=none
grub-editenv "$box/grubenv" create
running 1.0.0
cat > "$box/update.conf" <<CONF
[system]
compatible = demo-board
bootloader = grub
grub-env = $box/grubenv
state-dir = $box/state
trust-root = $box/keys/root.json
# On a device /usr/lib/updater/image-info of the running rootfs; here a link to the running release's copy.
image-info = $box/image-info
booted-slot = A

[slot.rootfs.0]
device = $box/slot-a.img
bootname = A

[slot.rootfs.1]
device = $box/slot-b.img
bootname = B

[health]
checks-dir = $box/health.d
# A device runs systemctl reboot; the sandbox only notes that it would.
reboot-command = date > $box/reboot-requested
timeout = 30s
CONF
# The application's health, as a command check: the sandbox's "application" is up while run/app.ok exists.
mkdir -p "$box/run"
cat > "$box/health.d/10-app.conf" <<CONF
[check.app]
type = command
command = test -e $box/run/app.ok
timeout = 5s
CONF

step "vendor: root, bundle and channel keys (private keys mode 0600) and trust root version 1" keygen "$box/keys"
step "vendor: who may sign what" trust show "$box/keys/root.json"
step "vendor: bundle release 2.0.0" bundle create -o "$box/v2.bundle" -k "$box/keys/bundle.key" --compatible demo-board --version 2.0.0 --security-version 1 "rootfs=$box/rootfs-2.0.0.ext4"
step "vendor: what is in it" bundle info "$box/v2.bundle"
step "vendor: verify every chunk" bundle verify "$box/v2.bundle" --root "$box/keys/root.json"
step "device (running A): before" status
step "device: install into the inactive slot" install --verify "$box/v2.bundle"
step "device: after install, slot B is on trial" status
echo; echo "$ grub-editenv $box/grubenv list"; grub-editenv "$box/grubenv" list
grub_boot B
running 2.0.0
touch "$box/run/app.ok"
step "device (rebooted into B, its application up): the health verdict commits B" --booted-slot B health
grub_list
step "device (running B)" --booted-slot B status

step "vendor: bundle release 3.0.0" bundle create -o "$box/v3.bundle" -k "$box/keys/bundle.key" --compatible demo-board --version 3.0.0 --security-version 1 "rootfs=$box/rootfs-3.0.0.ext4"
step "device (running B): install 3.0.0 into slot A" --booted-slot B install "$box/v3.bundle"
grub_boot A
running 3.0.0
rm -f "$box/run/app.ok"
step_exit 7 "device (rebooted into A, 3.0.0's application does not come up): the verdict marks A bad and reboots" --booted-slot A health
echo "reboot requested at: $(cat "$box/reboot-requested")"
grub_list
echo; echo "(GRUB skips bad slot A and boots committed slot B, without writing grubenv)"
touch "$box/run/app.ok"
running 2.0.0
step "device (back on B): status sees the rollback before the health run records it" --booted-slot B status
step "device (back on B): the health run records the rollback" --booted-slot B health
step "device (running B): the rollback and its reason, until the next install" --booted-slot B status
echo; echo "$ cat $box/state/rollback.json"; cat "$box/state/rollback.json"; echo
step_exit 6 "operator: a manual rollback onto the failed slot is refused" --booted-slot B rollback
echo; echo "demo done: see $box"
