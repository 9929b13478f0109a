#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#   tests/explore/run.sh [--depth N] [--random N] [--max-length N] [--backend grub|uboot|systemd-boot|efi|all] [--seed N]
#   tests/explore/run.sh --ci      CI: the power-cut layer's self test, the explorer's self test (sabotage it must
#                                  catch), then every sequence up to depth 6 for the four backends
# Explores the update state machine with the real commands in-process (tests/explore/Updater.Explore) under the
# power-cut layer (tests/explore/powercut), on a tmpfs; exit 1 on any invariant violated (printed as the
# shortest sequence of steps that breaks it).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
build=$repo/tests/explore/.build
mkdir -p "$build"
bash tests/explore/powercut/build.sh "$build" >"$build/powercut.log" 2>&1 || { cat "$build/powercut.log"; exit 1; }
dotnet build tests/explore/Updater.Explore/Updater.Explore.csproj -c Release -o "$build/explore" -p:UseAppHost=false >"$build/build.log" 2>&1 || { cat "$build/build.log"; exit 1; }

# A tmpfs: thousands of snapshots restored and fsyncs that cost nothing; the device under POWERCUT_ROOT only.
base=$(mktemp -d /dev/shm/updater-explore.XXXXXX)
trap 'rm -rf "$base"' EXIT
explore() {
  POWERCUT_ROOT=$base/device POWERCUT_LIB=$build/libpowercut.so EXPLORE_WORK=$base/fixed EXPLORE_REPOSITORY=$repo \
    LD_PRELOAD=$build/libpowercut.so dotnet "$build/explore/Updater.Explore.dll" "$@"
}
if [ "${1:-}" = --ci ]; then
  bash tests/explore/powercut/selftest.sh | tail -1
  explore --self-test --depth 2 | grep 'self test'
  # The backends at once, each with its own device directory; all must pass.
  backends=(grub uboot systemd-boot efi)
  pids=()
  for backend in "${backends[@]}"; do
    mkdir -p "$base/$backend"
    POWERCUT_ROOT=$base/$backend/device POWERCUT_LIB=$build/libpowercut.so EXPLORE_WORK=$base/$backend/fixed EXPLORE_REPOSITORY=$repo \
      LD_PRELOAD=$build/libpowercut.so dotnet "$build/explore/Updater.Explore.dll" --backend "$backend" \
      --depth "${EXPLORE_DEPTH:-6}" ${EXPLORE_RANDOM:+--random "$EXPLORE_RANDOM"} >"$base/$backend.log" 2>&1 &
    pids+=($!)
  done
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  for backend in "${backends[@]}"; do grep -v '^first violation\|^  after' "$base/$backend.log" | sed "s|^|$backend.log:|"; done
  exit "$status"
else
  explore "$@"
fi
