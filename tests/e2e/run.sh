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
# usage. Serial logs stay in tests/e2e/work/logs/<scenario>/ (E2E_LOGS), disks in
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
scen_pid=
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
  [ -z "$scen_pid" ] || kill "$scen_pid" 2>/dev/null || true
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
  printf 'FAIL  %-22s %8s  (see %s)\n' prepare "$(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))" "$E2E_LOGS/prepare.log"
  exit 1
fi
printf 'ok    %-22s %8s  (grub.cfg: %s)\n' prepare "$(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))" \
  "$(e2e_grub_cfg_source | sed "s|^$E2E_REPO/||")"

passed=0 failed=0
for name in "${selected[@]}"; do
  SCEN_DIR="$E2E_WORK/scenarios/$name"
  SCEN_LOGS="$E2E_LOGS/$name"
  rm -rf "$SCEN_DIR" "$SCEN_LOGS"
  mkdir -p "$SCEN_DIR" "$SCEN_LOGS"
  t0=$(e2e_now_ms)
  set +e
  (
    set -eEuo pipefail
    shopt -s inherit_errexit
    trap '[ -f "$SCEN_DIR/failure" ] || echo "command failed (status $?): line $LINENO: $BASH_COMMAND" > "$SCEN_DIR/failure"' ERR
    e2e_log "scenario $name: ${E2E_SCENARIO_DESC[$name]}"
    "scenario_$name"
  ) > "$SCEN_LOGS/scenario.log" 2>&1 &
  scen_pid=$!
  if [ "${E2E_VERBOSE:-0}" = 1 ]; then
    tail -n +1 -f --pid="$scen_pid" "$SCEN_LOGS/scenario.log" >&2 &
  fi
  wait "$scen_pid"
  rc=$?
  wait 2>/dev/null
  set -e
  took=$(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))
  boots=
  [ ! -f "$SCEN_DIR/boots" ] \
    || boots=$(sed -n 's/^boot [0-9]*: slot \([^,]*\), \([^,]*\), \([^ ]*\).*$/\1:\3/p' "$SCEN_DIR/boots" | tr '\n' ' ')
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    printf 'PASS  %-22s %8s  boots: %s\n' "$name" "$took" "${boots:-none}"
  else
    failed=$((failed + 1))
    printf 'FAIL  %-22s %8s  boots: %s\n' "$name" "$took" "${boots:-none}"
    printf '      %s\n' "$(cat "$SCEN_DIR/failure" 2>/dev/null || echo "exit status $rc")"
    printf '      log: %s\n' "$SCEN_LOGS/scenario.log"
  fi
done

printf '%d passed, %d failed, %s in all; serial logs in %s\n' "$passed" "$failed" \
  "$(e2e_fmt_ms $(( $(e2e_now_ms) - t_all )))" "$E2E_LOGS"
[ "$failed" -eq 0 ]
