#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job of demo.sh, run by a published binary and checked at every step: keygen, bundle create and
# verify, an install into file-backed slots, status, the health verdict that commits the trial, a manual
# rollback, and a second release whose failing check is rolled back. It proves that a binary built for a
# device (NativeAOT, possibly another architecture under qemu-user) does the whole cycle, not only --version.
#
#   tests/smoke/main-job.sh [--runner CMD] BINARY
#
#   tests/smoke/main-job.sh publish/updater-aot/updater
#   tests/smoke/main-job.sh --runner "qemu-aarch64-static -L /usr/aarch64-linux-gnu" publish/updater-aot-linux-arm64/updater
#
# CMD runs BINARY (word-split): for another architecture, qemu-user with the target's libraries. Needs grub-editenv,
# mkfs.ext4 and jq. Prints one line per step and "main-job: passed (N steps, S s)" at the end; exits 1 at the
# first step that does not do what it must, with the step's output.
set -euo pipefail
runner=()
if [ "${1:-}" = --runner ]; then read -r -a runner <<< "${2:?--runner needs a command}"; shift 2; fi
bin=$(realpath "${1:?usage: main-job.sh [--runner CMD] BINARY}")
[ -x "$bin" ] || { echo "main-job: $bin is not an executable" >&2; exit 2; }
box=$(mktemp -d /tmp/updater-main-job.XXXXXX)
trap 'rm -rf "$box"' EXIT
start=$SECONDS
steps=0

fail() { echo "main-job: FAILED: $*" >&2; [ -f "$box/out" ] && sed 's/^/  | /' "$box/out" >&2; exit 1; }
# step WANT_RC WHAT ARGS...: the binary's exit code must be WANT_RC; its output is kept in $box/out.
step() {
  local want=$1 what=$2 rc=0; shift 2
  "${runner[@]}" "$bin" --config "$box/update.conf" "$@" > "$box/out" 2>&1 || rc=$?
  [ "$rc" = "$want" ] || fail "$what: updater $* exited $rc, expected $want"
  steps=$((steps + 1))
  echo "main-job: ok  $what"
}
# expect JQ WHAT: the last step's JSON output passes JQ.
expect() { jq -e "$1" "$box/out" > /dev/null || fail "$2: $1"; }
# running VERSION: the image-info of the release the simulated boot runs.
running() { ln -sfn "$box/root-$1/usr/lib/updater/image-info" "$box/image-info"; }

for v in 1.0.0 2.0.0 3.0.0; do
  mkdir -p "$box/root-$v/etc" "$box/root-$v/usr/lib/updater"
  printf 'NAME=smoke\nVERSION=%s\n' "$v" > "$box/root-$v/etc/os-release"
  printf '[image]\nsecurity-version = 1\nversion = %s\n' "$v" > "$box/root-$v/usr/lib/updater/image-info"
  head -c 3M /dev/urandom > "$box/root-$v/etc/blob"
  truncate -s 8M "$box/rootfs-$v.ext4"
  mkfs.ext4 -q -F -d "$box/root-$v" "$box/rootfs-$v.ext4"
done
truncate -s 12M "$box/slot-a.img" "$box/slot-b.img"
dd if="$box/rootfs-1.0.0.ext4" of="$box/slot-a.img" conv=notrunc status=none
grub-editenv "$box/grubenv" create
running 1.0.0
mkdir -p "$box/health.d" "$box/run"
cat > "$box/update.conf" <<CONF
[system]
compatible = smoke-board
bootloader = grub
grub-env = $box/grubenv
state-dir = $box/state
trust-root = $box/keys/root.json
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
reboot-command = touch $box/reboot-requested
timeout = 30s
CONF
cat > "$box/health.d/10-app.conf" <<CONF
[check.app]
type = command
command = test -e $box/run/app.ok
timeout = 5s
CONF

"${runner[@]}" "$bin" --version > "$box/out" 2>&1 || fail "--version failed"
grep -qE '^[0-9]+\.[0-9]+\.[0-9]+' "$box/out" || fail "--version printed no version"
echo "main-job: ok  --version: $(cat "$box/out")"
step 0 "keygen" keygen "$box/keys"
[ "$(stat -c %a "$box/keys/bundle.key")" = 600 ] || fail "keygen: bundle.key is not mode 0600"
step 0 "bundle create 2.0.0" bundle create -o "$box/v2.bundle" -k "$box/keys/bundle.key" --compatible smoke-board --version 2.0.0 --security-version 1 "rootfs=$box/rootfs-2.0.0.ext4"
step 0 "bundle verify" bundle verify "$box/v2.bundle" --root "$box/keys/root.json"
# A flipped byte in the payload: verify must refuse it.
cp "$box/v2.bundle" "$box/bad.bundle"
size=$(stat -c %s "$box/bad.bundle")
printf '\xff' | dd of="$box/bad.bundle" bs=1 seek=$((size - 100)) conv=notrunc status=none
step 4 "bundle verify refuses a flipped byte" bundle verify "$box/bad.bundle" --root "$box/keys/root.json"
step 0 "status on the factory slot" status --json
expect '.booted_slot == "A" and (.problems | length) == 0' "status on A"
step 0 "install 2.0.0 into slot B" install --verify --json "$box/v2.bundle"
cmp -n "$(stat -c %s "$box/rootfs-2.0.0.ext4")" "$box/rootfs-2.0.0.ext4" "$box/slot-b.img" || fail "slot B does not hold the 2.0.0 image"
step 0 "status: B on trial" status --json
expect '.next_boot == "B" and (.slots[] | select(.bootname == "B") | .version == "2.0.0" and .boot_trial == true)' "status after install"
# The reboot, as dist/grub.cfg does it: the trial's try is counted, then B runs with its application up.
grub-editenv "$box/grubenv" set B_TRY=1
running 2.0.0
touch "$box/run/app.ok"
step 0 "health on B commits it" --booted-slot B health
step 0 "status: B committed" --booted-slot B status --json
expect '.booted_slot == "B" and .next_boot == "B" and (.slots[] | select(.bootname == "B") | .boot_good == true and .boot_trial == false)' "status after the commit"
step 0 "manual rollback to A" --booted-slot B rollback --json
step 0 "status: A next, the rollback recorded" --booted-slot B status --json
expect '.next_boot == "A" and .rollback.reason == "manual"' "status after the rollback"
# Back on A: 3.0.0 into B, whose application does not come up.
running 1.0.0
step 0 "bundle create 3.0.0" bundle create -o "$box/v3.bundle" -k "$box/keys/bundle.key" --compatible smoke-board --version 3.0.0 --security-version 1 "rootfs=$box/rootfs-3.0.0.ext4"
step 0 "install 3.0.0 into slot B" install "$box/v3.bundle"
grub-editenv "$box/grubenv" set B_TRY=1
running 3.0.0
rm -f "$box/run/app.ok"
step 7 "health on B fails, marks it bad and reboots" --booted-slot B health
[ -e "$box/reboot-requested" ] || fail "the failed verdict did not run the reboot command"
running 1.0.0
touch "$box/run/app.ok"
step 0 "health on A records the rollback" health
step 0 "status: the rollback of 3.0.0 and why" status --json
expect '.booted_slot == "A" and .next_boot == "A" and .rollback.reason == "health-failed" and .rollback.version == "3.0.0"' "status after the failed trial"
echo "main-job: passed ($steps steps, $((SECONDS - start)) s)"
