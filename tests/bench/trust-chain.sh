#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark: what walking the trust root chain adds to `updater check`. Two throw-away devices read a local
# channel file in one run: one whose chain is the single shipped root (v1, no newer N.root.json beside its
# channel), and one that walks VERSIONS roots (v1 shipped, v2..vN accepted into its state directory by a
# first check, each rotating the root and the channel key), whose channel is signed by the last channel key.
# Every check of the second verifies the whole chain again from the shipped root (two signatures per
# rotation) before the channel. Prints both means, the difference in ms and the ratio.
#
#   bash tests/bench/trust-chain.sh                  # 10 versions, 300 runs each in 3 rounds
#   VERSIONS=30 RUNS=600 ROUNDS=6 bash tests/bench/trust-chain.sh
#   UPDATER=/path/to/updater bash tests/bench/trust-chain.sh
#
# Binary: $UPDATER, else the NativeAOT one of tests/publish-aot.sh (publish/updater-aot, or $UPDATER_AOT_DIR)
# when present, else the apphost of `dotnet build Updater.sln -c Release`. Timing: hyperfine when installed
# (apt-get install hyperfine) and NO_HYPERFINE is unset, else a loop of date +%s%N. Needs grub-common (grub-editenv). No root needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
versions=${VERSIONS:-10}
runs=${RUNS:-300}
rounds=${ROUNDS:-3}
work=$repo/tests/bench/work/trust-chain
[ "$versions" -ge 2 ] || { echo "VERSIONS must be at least 2" >&2; exit 2; }

aot=${UPDATER_AOT_DIR:-$repo/publish/updater-aot}/updater
apphost=$repo/src/Updater/bin/Release/net10.0/updater
if [ -n "${UPDATER:-}" ]; then
  bin=$UPDATER
elif [ -x "$aot" ]; then
  bin=$aot
elif [ -x "$apphost" ]; then
  bin=$apphost
  echo "note: timing the JIT apphost; 'bash tests/publish-aot.sh' gives the NativeAOT binary devices run" >&2
else
  echo "no updater binary: run 'bash tests/publish-aot.sh' or 'dotnet build Updater.sln -c Release'" >&2
  exit 1
fi
echo "binary: $bin" >&2

rm -rf "$work"
mkdir -p "$work"
u() { "$bin" "$@"; }

# The vendor: keygen's first key set is version 1; each next version rotates the root key and the channel
# key (signed by the root key before and the new one), as `trust edit` + `trust sign --previous` make it.
vendor=$work/vendor
u keygen "$vendor" >/dev/null
cp "$vendor/root.json" "$vendor/1.root.json"
root_prev=$vendor/root channel_prev=$vendor/channel
for n in $(seq 2 "$versions"); do
  u keygen -o "$vendor/root-$n" >/dev/null
  u keygen -o "$vendor/channel-$n" >/dev/null
  u trust edit "$vendor/$((n - 1)).root.json" -o "$vendor/$n.root.json" \
    --remove "root=$root_prev.pub.pem" --add "root=$vendor/root-$n.pub.pem" \
    --remove "channel=$channel_prev.pub.pem" --add "channel=$vendor/channel-$n.pub.pem" >/dev/null
  u trust sign "$vendor/$n.root.json" --previous "$vendor/$((n - 1)).root.json" -k "$root_prev.key" -k "$vendor/root-$n.key" >/dev/null
  root_prev=$vendor/root-$n channel_prev=$vendor/channel-$n
done
u trust verify $(for n in $(seq 1 "$versions"); do echo "$vendor/$n.root.json"; done) >&2

# A small bundle, so the channel has a release to pin; never installed here.
head -c $((1 << 20)) /dev/urandom > "$work/rootfs.img"
u bundle create -o "$work/bench.bundle" -k "$vendor/bundle.key" --compatible bench --version 2.0.0 "rootfs=$work/rootfs.img" >/dev/null

# Two channel directories: the short chain's (nothing beside the channel file) and the long chain's (2..N).
channel_file() { # DIR KEY
  mkdir -p "$1"
  cp "$work/bench.bundle" "$1/bench.bundle"
  u channel create -o "$1/stable.channel" -k "$2" --channel-version 1 --compatible bench --release 2.0.0 \
    --bundle-url bench.bundle --bundle "$1/bench.bundle" >/dev/null
}
channel_file "$work/channel-short" "$vendor/channel.key"
channel_file "$work/channel-long" "$channel_prev.key"
for n in $(seq 2 "$versions"); do cp "$vendor/$n.root.json" "$work/channel-long/"; done

device() { # NAME CHANNEL-DIR
  local dev=$work/$1
  mkdir -p "$dev/state"
  cp "$vendor/1.root.json" "$dev/root.json"
  truncate -s 4M "$dev/slot-a.img" "$dev/slot-b.img"
  grub-editenv "$dev/grubenv" create
  printf '[image]\nsecurity-version = 0\n' > "$dev/image-info"
  echo 0123456789abcdef0123456789abcdef > "$dev/machine-id"
  cat > "$dev/update.conf" <<CONF
[system]
compatible = bench
bootloader = grub
grub-env = $dev/grubenv
state-dir = $dev/state
trust-root = $dev/root.json
image-info = $dev/image-info
booted-slot = A

[slot.rootfs.0]
device = $dev/slot-a.img
bootname = A

[slot.rootfs.1]
device = $dev/slot-b.img
bootname = B

[channel]
name = stable
url = $2/stable.channel
machine-id-file = $dev/machine-id
CONF
}
device short "$work/channel-short"
device long "$work/channel-long"

# The first check of the long device accepts v2..vN into its state directory; from then on both only read.
for d in short long; do u --config "$work/$d/update.conf" check >"$work/$d.first.txt"; done
trusted() { u --config "$work/$1/update.conf" trust status | awk 'NR == 1 { print $3 }'; }
[ "$(trusted short)" = 1 ] || { echo "the short device trusts root version $(trusted short), expected 1" >&2; exit 1; }
[ "$(trusted long)" = "$versions" ] || { echo "the long device trusts root version $(trusted long), expected $versions" >&2; exit 1; }
stored=$(find "$work/long/state" -name '*.root.json' | wc -l)
[ "$stored" = $((versions - 1)) ] || { echo "the long device stored $stored roots, expected $((versions - 1))" >&2; exit 1; }
grep -q "signed by $(u trust show "$vendor/$versions.root.json" | awk '$1 == "channel" { print $NF }')" "$work/long.first.txt" \
  || { echo "the long device's check did not verify the channel with the last channel key:" >&2; cat "$work/long.first.txt" >&2; exit 1; }
cat "$work/short.first.txt" "$work/long.first.txt" >&2

short_cmd="$bin --config $work/short/update.conf check"
long_cmd="$bin --config $work/long/update.conf check"
if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null; then
  # ROUNDS hyperfine runs, the order swapped each round, so a change in the machine's load part way through
  # does not all fall on one side. Each CSV: command,mean,stddev,median,user,system,min,max (seconds).
  per=$(( (runs + rounds - 1) / rounds ))
  : > "$work/hyperfine.all.csv"
  for r in $(seq "$rounds"); do
    if [ $((r % 2)) = 1 ]; then
      order=(-n "chain of 1" "$short_cmd" -n "chain of $versions" "$long_cmd")
    else
      order=(-n "chain of $versions" "$long_cmd" -n "chain of 1" "$short_cmd")
    fi
    hyperfine -N --warmup 5 --runs "$per" --export-csv "$work/hyperfine.$r.csv" "${order[@]}" >&2
    tail -n +2 "$work/hyperfine.$r.csv" >> "$work/hyperfine.all.csv"
  done
  # Over the rounds: the mean of the means (equal runs each), the mean of the standard deviations, the median of
  # the medians, the mean CPU time (user + system: it moves less with the machine's load than wall time does).
  summary() {
    local all=$work/hyperfine.all.csv m sd cpu median
    read -r m sd cpu < <(awk -F, -v name="$1" '$1 == name { m += $2; sd += $3; cpu += $5 + $6; n++ }
      END { printf "%.3f %.3f %.3f\n", m / n * 1000, sd / n * 1000, cpu / n * 1000 }' "$all")
    median=$(awk -F, -v name="$1" '$1 == name { print $4 * 1000 }' "$all" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "$m $sd $median $cpu"
  }
  read -r short_mean short_sd short_median short_cpu < <(summary "chain of 1")
  read -r long_mean long_sd long_median long_cpu < <(summary "chain of $versions")
  tool="hyperfine, $rounds rounds of $per runs each after 5 warm-up"
else
  echo "no hyperfine (apt-get install hyperfine) or NO_HYPERFINE set: timing with a date +%s%N loop" >&2
  : > "$work/short.ns"; : > "$work/long.ns"
  for i in $(seq $((runs + 5))); do
    # Interleaved, so a change in the machine's load hits both alike; the first 5 of each are warm-up.
    for d in short long; do
      start=$(date +%s%N)
      u --config "$work/$d/update.conf" check >/dev/null
      end=$(date +%s%N)
      [ "$i" -le 5 ] || echo $((end - start)) >> "$work/$d.ns"
    done
  done
  stats() {
    sort -n "$1" | awk '{ a[++n] = $1; s += $1; q += $1 * $1 } END { m = s / n; v = q / n - m * m
      printf "%.3f %.3f %.3f\n", m / 1e6, sqrt(v > 0 ? v : 0) / 1e6, a[int((n + 1) / 2)] / 1e6 }'
  }
  read -r short_mean short_sd short_median < <(stats "$work/short.ns")
  read -r long_mean long_sd long_median < <(stats "$work/long.ns")
  short_cpu=nan long_cpu=nan
  tool="date +%s%N loop, $runs runs each after 5 warm-up"
fi

awk -v sm="$short_mean" -v ss="$short_sd" -v smed="$short_median" -v sc="$short_cpu" \
    -v lm="$long_mean" -v ls="$long_sd" -v lmed="$long_median" -v lc="$long_cpu" -v n="$versions" -v tool="$tool" 'BEGIN {
  printf "updater check, trust chain of 1 root:  mean %7.2f ms +- %.2f, median %7.2f ms", sm, ss, smed
  if (sc != "nan") printf ", CPU %.2f ms", sc
  printf "\nupdater check, trust chain of %d roots: mean %7.2f ms +- %.2f, median %7.2f ms", n, lm, ls, lmed
  if (lc != "nan") printf ", CPU %.2f ms", lc
  printf "\ndifference: mean %.2f ms (ratio %.3f), median %.2f ms", lm - sm, lm / sm, lmed - smed
  if (lc != "nan") printf ", CPU %.2f ms", lc - sc
  printf "; %.2f ms per rotation by the mean (%s)\n", (lm - sm) / (n - 1), tool
  printf "target (under 5 ms for 10 versions plus a channel) by the mean: %s\n", (lm - sm) < 5 ? "met" : "NOT met (the machine busy? see median and CPU)"
}'
