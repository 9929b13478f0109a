#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#   tests/fuzz/run.sh [TARGET[,TARGET...]|all] [SECONDS]   those targets, SECONDS each (default 60), FUZZ_JOBS
#                                              of them at a time (default one per core)
#   tests/fuzz/run.sh --smoke                  CI: the regression inputs replayed, then every target for
#                                              FUZZ_SMOKE_SECONDS (default 8) each, about 2.5 minutes on 2 cores
#   tests/fuzz/run.sh --replay [TARGET|all]    the seeds and the fixtures/fuzz regression inputs, in-process, no AFL
# Builds the harness and instruments src/ assemblies once (cached under tests/fuzz/.build while src/ and the
# harness are unchanged), runs afl-fuzz into tests/fuzz/out/TARGET, then prints per target execs, execs/s,
# paths (corpus count), crashes and hangs from fuzzer_stats. Exit 1 when any target has a crash or a hang;
# each one is an input under tests/fuzz/out/TARGET/default/{crashes,hangs}/ to replay with
#   dotnet tests/fuzz/.build/fuzz/Updater.Fuzz.dll TARGET --replay FILE
# Needs afl++ (Debian package) and the sharpfuzz tool (dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
fuzz=$root/tests/fuzz
build=$fuzz/.build
harness=$build/fuzz/Updater.Fuzz.dll
export PATH="$PATH:$HOME/.dotnet/tools"
if [ "${1:-}" != --replay ] && ! command -v sharpfuzz >/dev/null; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

mode=run
if [ "${1:-}" = --smoke ]; then mode=smoke; shift; fi
if [ "${1:-}" = --replay ]; then mode=replay; shift; fi
target=${1:-all}
seconds=${2:-60}
[ "$mode" = smoke ] && seconds=${FUZZ_SMOKE_SECONDS:-8}
if [ "$mode" = smoke ]; then
  bash "$0" --replay all >"$root/tests/fuzz/.replay.log" 2>&1 || { grep -a FINDING "$root/tests/fuzz/.replay.log"; echo "fuzz: regression inputs have findings" >&2; exit 1; }
  echo "fuzz: seeds and fixtures/fuzz replayed, no findings"
fi

build_harness() {
  local stamp
  stamp=$(cat $(find src tests/fuzz/Updater.Fuzz -name '*.cs' -o -name '*.csproj' | grep -v '/obj/\|/bin/' | sort) Directory.Packages.props Directory.Build.props | sha256sum | cut -c1-16)
  if [ -f "$build/stamp" ] && [ "$(cat "$build/stamp")" = "$stamp" ] && [ -f "$harness" ]; then return; fi
  rm -rf "$build/fuzz"
  dotnet build tests/fuzz/Updater.Fuzz/Updater.Fuzz.csproj -c Release -o "$build/fuzz" -p:UseAppHost=false >"$build.log" 2>&1 || { cat "$build.log"; exit 1; }
  # Only the code under test is instrumented: not the harness, not System.*, not third-party packages.
  for dll in updater.dll Partition.dll HealthCheck.dll; do
    sharpfuzz "$build/fuzz/$dll" >/dev/null
  done
  echo "$stamp" > "$build/stamp"
}

mkdir -p "$build"
if [ "$mode" = replay ]; then
  # Instrumented code needs AFL's shared memory: replay runs an uninstrumented build of the same sources.
  dotnet build tests/fuzz/Updater.Fuzz/Updater.Fuzz.csproj -c Release -o "$build/plain" -p:UseAppHost=false >"$build.log" 2>&1 || { cat "$build.log"; exit 1; }
  harness=$build/plain/Updater.Fuzz.dll
else
  build_harness
fi
if [ "$target" = all ]; then
  mapfile -t targets < <(dotnet "$harness" --list)
else
  IFS=, read -r -a targets <<<"$target"
fi

if [ "$mode" = replay ]; then
  status=0
  for t in "${targets[@]}"; do
    dotnet "$harness" "$t" --replay "$fuzz/seeds/$t" || status=1
    if [ -d "$root/fixtures/fuzz/$t" ]; then dotnet "$harness" "$t" --replay "$root/fixtures/fuzz/$t" || status=1; fi
  done
  exit "$status"
fi

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 1; }
# dotnet is not an AFL-instrumented binary; SharpFuzz instruments the managed code. CI runs as root on a fresh
# machine: no core_pattern or CPU governor tuning there.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_AUTORESUME=1 AFL_FORKSRV_INIT_TMOUT=30000 DOTNET_TieredCompilation=0
# Per input: 1 s (a hang over 1 s is a finding) and 256 MiB of GC heap (more is a finding: the runtime then fails the allocation).
export DOTNET_GCHeapHardLimit=0x10000000

# One afl-fuzz per core (FUZZ_JOBS): each target still gets its own core for its seconds, the run ends sooner.
jobs=${FUZZ_JOBS:-$(nproc)}
fuzz_one() {
  local t=$1 out=$fuzz/out/$1 dict=() stats line
  # A smoke starts afresh: crashes left by an earlier campaign are not this run's findings.
  if [ "$mode" = smoke ]; then out=$fuzz/out/smoke/$t; rm -rf "$out"; fi
  mkdir -p "$out"
  rm -f "$out/result"
  [ -f "$fuzz/dicts/$t.dict" ] && dict=(-x "$fuzz/dicts/$t.dict")
  timeout --signal=INT $((seconds + 60)) afl-fuzz -i "$fuzz/seeds/$t" -o "$out" -t 1000 -m none -V "$seconds" "${dict[@]}" \
    -- dotnet "$harness" "$t" >"$out/afl.log" 2>&1 || { echo "$t: afl-fuzz failed, see $out/afl.log" >&2; tail -20 "$out/afl.log" >&2; return 1; }
  stats=$out/default/fuzzer_stats
  get() { sed -n "s/^$1 *: *//p" "$stats"; }
  line=$(printf '%-18s execs %10s  execs/s %8s  paths %5s  crashes %3s  hangs %3s' "$t" "$(get execs_done)" "$(get execs_per_sec)" "$(get corpus_count)" "$(get saved_crashes)" "$(get saved_hangs)")
  echo "$line" | tee "$out/result"
  [ "$(get saved_crashes)" = 0 ] && [ "$(get saved_hangs)" = 0 ]
}

status=0
pids=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || status=1; done
  fuzz_one "$t" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
echo "--- fuzz summary ($seconds s per target, $jobs at a time)"
for t in "${targets[@]}"; do
  out=$fuzz/out/$t
  [ "$mode" = smoke ] && out=$fuzz/out/smoke/$t
  cat "$out/result" 2>/dev/null || printf '%-18s no result (see %s/afl.log)\n' "$t" "$out"
done
exit "$status"
