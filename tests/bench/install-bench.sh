#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark: install a compressed bundle of a realistic ext4 image into a loop device, side by side in one
# run with `dd if=IMG of=LOOP bs=4M conv=fsync` and `sha256sum IMG`. Reports wall time, MiB/s, the ratio
# to dd and peak RSS (/usr/bin/time -v) for each image size.
#
#   sudo tests/bench/install-bench.sh            # 256 MiB and 1024 MiB images, 3 rounds each
#   sudo tests/bench/install-bench.sh 256        # one size
#   ROUNDS=5 sudo tests/bench/install-bench.sh
#   BASELINE=/path/to/other/updater sudo tests/bench/install-bench.sh   # also that build, same run (its own bundle)
#
# Needs root (loop devices), e2fsprogs, grub-common, time. Uses the NativeAOT binary (published here).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(256 1024)
rounds=${ROUNDS:-3}
work=$repo/tests/bench/work
mkdir -p "$work"
loops=()
cleanup() { for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done; }
trap cleanup EXIT

bin=$work/publish/updater
if [ ! -x "$bin" ] || [ -n "$(find src -newer "$bin" -name '*.cs' | head -1)" ]; then
  echo "publishing the NativeAOT updater..." >&2
  dotnet publish src/Updater -c Release -r linux-x64 -p:PublishAot=true -o "$work/publish" >/dev/null
fi

# A realistic root filesystem: binaries, libraries and text from /usr, about 70 % full.
make_image() {
  local mib=$1 img=$2 stage=$work/stage-$1
  [ -f "$img" ] && return
  rm -rf "$stage"; mkdir -p "$stage"
  local budget=$(( mib * 1024 * 1024 * 70 / 100 ))
  find /usr/bin /usr/lib/x86_64-linux-gnu /usr/share/doc /usr/share/man /usr/share/locale /usr/lib/python3* \
       -xdev -type f -size -8M -printf '%s %p\n' 2>/dev/null | sort -k2 \
    | awk -v budget="$budget" '{ total += $1; if (total > budget) exit; sub(/^[0-9]+ /, ""); print }' \
    > "$stage.list" || true  # awk stops reading at the budget: the writers' SIGPIPE is expected
  tar -cf - -T "$stage.list" 2>/dev/null | tar -xf - -C "$stage"
  truncate -s "${mib}M" "$img"
  mkfs.ext4 -q -F -d "$stage" "$img"
  rm -rf "$stage" "$stage.list"
}

# Runs a command under /usr/bin/time -v; prints "seconds max_rss_kib".
measure() {
  local log=$work/time.log
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s }' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
  echo "$wall $rss"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR]=$1 } END { print a[int((NR+1)/2)] }'; }

"$bin" keygen "$work/keys" --force >/dev/null

results=$work/results.md
{
  echo "| image | tool | wall s (median of $rounds) | MiB/s | ratio to dd | peak RSS MiB |"
  echo "|---|---|---|---|---|---|"
} > "$results"

for mib in "${sizes[@]}"; do
  img=$work/rootfs-$mib.ext4
  make_image "$mib" "$img"
  bundle=$work/rootfs-$mib.bundle
  "$bin" bundle create -o "$bundle" -k "$work/keys/bundle.key" --compatible bench --version 1.0.0 "rootfs=$img" >&2
  # Another build (e.g. before a format change) writes its own bundle: formats need not match.
  [ -z "${BASELINE:-}" ] || "$BASELINE" bundle create -o "$bundle.baseline" -k "$work/keys/bundle.key" --compatible bench --version 1.0.0 "rootfs=$img" >&2

  for side in a b; do
    truncate -s $(( mib + 16 ))M "$work/slot-$side-$mib.img"
  done
  la=$(losetup -f --show "$work/slot-a-$mib.img"); loops+=("$la")
  lb=$(losetup -f --show "$work/slot-b-$mib.img"); loops+=("$lb")
  grub-editenv "$work/grubenv" create
  cat > "$work/update.conf" <<CONF
[system]
compatible = bench
bootloader = grub
grub-env = $work/grubenv
state-dir = $work/state
trust-root = $work/keys/root.json
booted-slot = A
[slot.rootfs.0]
device = $la
bootname = A
[slot.rootfs.1]
device = $lb
bootname = B
CONF
  declare -a dd_t=() dd_r=() sha_t=() sha_r=() up_t=() up_r=() base_t=() base_r=()
  for round in $(seq "$rounds"); do
    read -r t r < <(measure dd if="$img" of="$lb" bs=4M conv=fsync status=none); dd_t+=("$t"); dd_r+=("$r")
    read -r t r < <(measure sha256sum "$img"); sha_t+=("$t"); sha_r+=("$r")
    rm -rf "$work/state"
    read -r t r < <(measure "$bin" --config "$work/update.conf" install "$bundle"); up_t+=("$t"); up_r+=("$r")
    if [ -n "${BASELINE:-}" ]; then
      rm -rf "$work/state"
      read -r t r < <(measure "$BASELINE" --config "$work/update.conf" install "$bundle.baseline"); base_t+=("$t"); base_r+=("$r")
    fi
  done
  cmp -n "$(stat -c %s "$img")" "$img" "$lb" >/dev/null || { echo "slot B does not hold the image after install" >&2; exit 1; }
  dd_m=$(median "${dd_t[@]}")
  row() {
    local tool=$1 t=$2 r=$3
    awk -v mib="$mib" -v tool="$tool" -v t="$t" -v dd="$dd_m" -v r="$r" \
      'BEGIN { printf "| %d MiB | %s | %.2f | %.0f | %.2f | %.1f |\n", mib, tool, t, mib/t, t/dd, r/1024 }'
  }
  {
    row "dd bs=4M conv=fsync" "$dd_m" "$(median "${dd_r[@]}")"
    row "sha256sum" "$(median "${sha_t[@]}")" "$(median "${sha_r[@]}")"
    row "updater install ($(( $(stat -c %s "$bundle") / 1048576 )) MiB bundle)" "$(median "${up_t[@]}")" "$(median "${up_r[@]}")"
    [ -z "${BASELINE:-}" ] || row "baseline install ($(( $(stat -c %s "$bundle.baseline") / 1048576 )) MiB bundle)" "$(median "${base_t[@]}")" "$(median "${base_r[@]}")"
  } >> "$results"
  losetup -d "$la" "$lb"; loops=()
done
cat "$results"
