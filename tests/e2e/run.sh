#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests under QEMU: real GRUB (dist/grub.cfg), a real Debian kernel, the NativeAOT
# updater, real reboots. One QEMU guest at a time.
#
#   tests/e2e/run.sh                 every scenario
#   tests/e2e/run.sh NAME|GLOB...    the named ones, e.g. run.sh 'smoke_*' or run.sh update_good
#   tests/e2e/run.sh --list          names and descriptions
#
# Prints one line per scenario with its result and time; exits 1 when any scenario fails, 2 on bad
# usage. E2E_JOBS=N runs N scenarios at a time (default 2 on two or more cores). Serial logs stay in tests/e2e/work/logs/<scenario>/ (E2E_LOGS), disks in
# tests/e2e/work/scenarios/<scenario>/. E2E_VERBOSE=1 streams each scenario's log to stderr.
# E2E_TIMEOUT_SCALE=2 doubles every boot timeout.
# Needs the Debian packages lib/common.sh names (e2e_require_tools) and, on a cold cache,
# network access for apt-get download of the kernel (cached in /var/cache/updater-e2e, E2E_CACHE).
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_DIR/lib/e2e.sh"
. "$E2E_DIR/lib/scenario.sh"
for f in "$E2E_DIR"/scenarios/*.sh; do . "$f"; done

if [ "${1:-}" = --list ]; then
  for s in "${E2E_SCENARIOS[@]}"; do printf '%-22s %s\n' "$s" "${E2E_SCENARIO_DESC[$s]}"; done
  exit 0
fi

selected=()
if [ $# -eq 0 ]; then
  selected=("${E2E_SCENARIOS[@]}")
else
  for pat in "$@"; do
    matched=0
    for s in "${E2E_SCENARIOS[@]}"; do
      # shellcheck disable=SC2053
      if [[ $s == $pat ]]; then
        [[ " ${selected[*]} " == *" $s "* ]] || selected+=("$s")
        matched=1
      fi
    done
    [ $matched = 1 ] || { echo "run.sh: no scenario matches '$pat' (run.sh --list)" >&2; exit 2; }
  done
fi

mkdir -p "$E2E_WORK" "$E2E_LOGS"
exec 9> "$E2E_WORK/.lock"
flock -n 9 || e2e_die "another run.sh is using $E2E_WORK"

# Interrupted: end this run's QEMU guests (by their pid files) and helper servers, nothing else.
export E2E_RUN_PIDS="$E2E_WORK/.run-pids"
: > "$E2E_RUN_PIDS"
e2e_abort() {
  local f pid
  trap - INT TERM
  for f in "$E2E_LOGS"/*/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
  done
  while read -r pid; do
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
  done < "$E2E_RUN_PIDS"
  echo "run.sh: interrupted" >&2
  exit 130
}
trap e2e_abort INT TERM

t_all=$(e2e_now_ms)
t0=$(e2e_now_ms)
set +e
( set -eEuo pipefail; shopt -s inherit_errexit; e2e_prepare; e2e_prepare_selected "${selected[@]}" ) > "$E2E_LOGS/prepare.log" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
  cat "$E2E_LOGS/prepare.log" >&2
  printf 'FAIL  %-24s %8s  (see %s)\n' prepare "$(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))" "$E2E_LOGS/prepare.log"
  exit 1
fi
printf 'ok    %-24s %8s  (grub.cfg: %s)\n' prepare "$(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))" \
  "$(e2e_grub_cfg_source | sed "s|^$E2E_REPO/||")"

# E2E_JOBS scenarios run at a time, each its own single-vCPU guest (default: one per core, at most 2; the guests
# are CPU-bound under TCG). Results are printed as scenarios end.
jobs=${E2E_JOBS:-$(( $(nproc) >= 2 ? 2 : 1 ))}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: E2E_JOBS must be a positive number, not '$jobs'" >&2; exit 2; }
declare -A scen_of=() t0_of=()
passed=0 failed=0

# _scenario_start NAME: runs scenario_NAME in its own subshell in the background.
_scenario_start() {
  local name=$1
  SCEN_DIR="$E2E_WORK/scenarios/$name"
  SCEN_LOGS="$E2E_LOGS/$name"
  rm -rf "$SCEN_DIR" "$SCEN_LOGS"
  mkdir -p "$SCEN_DIR" "$SCEN_LOGS"
  (
    set -eEuo pipefail
    shopt -s inherit_errexit
    trap '[ -f "$SCEN_DIR/failure" ] || echo "command failed (status $?): line $LINENO: $BASH_COMMAND" > "$SCEN_DIR/failure"' ERR
    e2e_log "scenario $name: ${E2E_SCENARIO_DESC[$name]}"
    "scenario_$name"
  ) > "$SCEN_LOGS/scenario.log" 2>&1 &
  scen_of[$!]=$name
  t0_of[$!]=$(e2e_now_ms)
  echo "$!" >> "$E2E_RUN_PIDS"
  if [ "${E2E_VERBOSE:-0}" = 1 ]; then
    tail -n +1 -f --pid="$!" "$SCEN_LOGS/scenario.log" >&2 &
  fi
}

# _scenario_reap: waits for one running scenario to end and prints its line.
_scenario_reap() {
  local pid rc name took boots dir
  set +e
  wait -n -p pid "${!scen_of[@]}"
  rc=$?
  set -e
  name=${scen_of[$pid]}
  unset "scen_of[$pid]"
  dir="$E2E_WORK/scenarios/$name"
  took=$(e2e_fmt_ms $(( $(e2e_now_ms) - ${t0_of[$pid]} )))
  boots=
  [ ! -f "$dir/boots" ] \
    || boots=$(sed -n 's/^boot [0-9]*: slot \([^,]*\), \([^,]*\), \([^ ]*\).*$/\1:\3/p' "$dir/boots" | tr '\n' ' ')
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    printf 'PASS  %-24s %8s  boots: %s\n' "$name" "$took" "${boots:-none}"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-24s %8s  boots: %s\n' "$name" "$took" "${boots:-none}"
    printf '      %s\n' "$(cat "$dir/failure" 2>/dev/null || echo "exit status $rc")"
    printf '      log: %s\n' "$E2E_LOGS/$name/scenario.log"
  fi
}

for name in "${selected[@]}"; do
  while [ ${#scen_of[@]} -ge "$jobs" ]; do _scenario_reap; done
  _scenario_start "$name"
done
while [ ${#scen_of[@]} -gt 0 ]; do _scenario_reap; done

printf '%d passed, %d failed, %s in all; serial logs in %s\n' "$passed" "$failed" \
  "$(e2e_fmt_ms $(( $(e2e_now_ms) - t_all )))" "$E2E_LOGS"
[ "$failed" -eq 0 ]
