# SPDX-License-Identifier: Apache-2.0
# The scenario framework: a scenario is a shell function scenario_<name> in scenarios/*.sh, run by
# run.sh in its own subshell with set -e, its own directory ($SCEN_DIR) and log directory
# ($SCEN_LOGS). It fails by exiting non-zero: any failed command, or e2e_fail / assert_*.
# Source after lib/e2e.sh.

E2E_SCENARIOS=()

# e2e_scenario NAME DESCRIPTION: registers scenario_NAME (in the order files are read).
declare -A E2E_SCENARIO_DESC=()
e2e_scenario() { E2E_SCENARIOS+=("$1"); E2E_SCENARIO_DESC[$1]=$2; }

# e2e_prepare_for GLOB FUNC: FUNC builds what scenarios matching GLOB share (images, bundles); run.sh
# calls it once, after e2e_prepare, when a selected scenario matches.
E2E_PREPARE_FOR=()
e2e_prepare_for() { E2E_PREPARE_FOR+=("$1|$2"); }

# e2e_prepare_selected SCENARIO...: the e2e_prepare_for functions the given scenarios need.
e2e_prepare_selected() {
  local entry pat fn s
  for entry in "${E2E_PREPARE_FOR[@]}"; do
    pat=${entry%%|*}; fn=${entry#*|}
    for s in "$@"; do
      # shellcheck disable=SC2053
      if [[ $s == $pat ]]; then "$fn"; break; fi
    done
  done
}

# e2e_fail MESSAGE: ends the scenario as failed.
e2e_fail() { printf 'FAILED: %s\n' "$*" >&2; printf '%s\n' "$*" > "$SCEN_DIR/failure"; exit 1; }

# e2e_todo WHAT: a scenario that is not written yet; it fails, so it cannot be mistaken for a pass.
e2e_todo() { e2e_fail "TODO: $*"; }

# --- building and booting ---

# e2e_cached_slot NAME [rootfs_build options]: a slot image built once per run and shared by the
# scenarios ($E2E_BUILD/slots/NAME.img, under a lock). Prints its path.
e2e_cached_slot() {
  local name=$1 img; shift
  img="$E2E_BUILD/slots/$name.img"
  mkdir -p "$E2E_BUILD/slots"
  # Scenarios run side by side (E2E_JOBS): the first one builds the image, the others wait for it.
  (
    flock 8
    if [ ! -f "$img" ]; then
      e2e_slot_image "$img.tmp" "$@"
      mv "$img.tmp" "$img"
    fi
  ) 8> "$img.lock"
  echo "$img"
}

# scenario_guest_env NAME=VALUE...: variables every later boot of this scenario finds in the
# guest's environment (hooks and /sbin/init).
scenario_guest_env() {
  E2E_GUEST_ENV_FILE="$SCEN_DIR/guest.env"
  printf '%s\n' "$@" >> "$E2E_GUEST_ENV_FILE"
}

# scenario_http DIR: serves DIR over HTTP from the host for the rest of the scenario; the guest
# finds the URL in $E2E_HTTP_URL.
scenario_http() {
  http_serve "$1"
  trap 'http_stop' EXIT
  scenario_guest_env "E2E_HTTP_URL=$HTTP_GUEST_URL"
}

# scenario_hook NAME < SCRIPT: saves a guest hook script (stdin) as $SCEN_DIR/NAME.sh, prints the path.
scenario_hook() {
  cat > "$SCEN_DIR/$1.sh"
  echo "$SCEN_DIR/$1.sh"
}

# The bootloader state the host records before and after each boot ($LOG.env-before, $LOG.env-after; what
# assert_env_unchanged compares): SCEN_STATE_SUMMARY DISK prints it on one line, SCEN_STATE_NAME names it in logs.
# The GRUB disks' grubenv by default; a scenario booting another bootloader sets both (e.g. scenarios/sdboot.sh).
SCEN_STATE_SUMMARY=grubenv_summary
SCEN_STATE_NAME=grubenv

# scenario_boot DISK TIMEOUT [HOOK]: one boot, logged to $SCEN_LOGS/boot-N.log. Sets LOG (that log),
# BOOT_RC, BOOT_MS, BOOTED_SLOT (from the guest's E2E-BOOT marker, "-" when none). Returns 0 also
# when the boot timed out or failed: scenarios assert on BOOT_RC.
SCEN_BOOTS=0
scenario_boot() {
  local disk=$1 tmo=$2 hook=${3:-}
  SCEN_BOOTS=$((SCEN_BOOTS + 1))
  LOG="$SCEN_LOGS/boot-$SCEN_BOOTS.log"
  "$SCEN_STATE_SUMMARY" "$disk" > "$LOG.env-before" 2>/dev/null || true
  boot_start "$disk" "$LOG" "$tmo" "$hook"
  boot_wait
  _qemu_keep_warm_vars "$disk"
  _scenario_after_boot "$disk"
}

# scenario_boot_start DISK TIMEOUT [HOOK] ... scenario_boot_kill: a boot the host cuts short with
# SIGKILL (a power cut), e.g. after boot_wait_marker.
scenario_boot_start() {
  local disk=$1 tmo=$2 hook=${3:-}
  SCEN_BOOTS=$((SCEN_BOOTS + 1))
  LOG="$SCEN_LOGS/boot-$SCEN_BOOTS.log"
  SCEN_DISK=$disk
  "$SCEN_STATE_SUMMARY" "$disk" > "$LOG.env-before" 2>/dev/null || true
  boot_start "$disk" "$LOG" "$tmo" "$hook"
}
scenario_boot_kill() {
  boot_kill
  _scenario_after_boot "$SCEN_DISK"
}

_scenario_after_boot() {
  local disk=$1 how
  BOOTED_SLOT=$(serial_markers "$LOG" BOOT | sed -n 's/^slot=\([^ ]*\).*/\1/p' | sed -n '$p')
  BOOTED_SLOT=${BOOTED_SLOT:--}
  "$SCEN_STATE_SUMMARY" "$disk" > "$LOG.env-after" 2>/dev/null || true
  case "$BOOT_RC" in
    0) how=$(serial_marker "$LOG" END 2>/dev/null || echo "exited") ;;
    124) how="timeout" ;;
    137) how="killed" ;;
    *) how="qemu rc=$BOOT_RC" ;;
  esac
  # Where the time went: the kernel's uptime when init started and when the guest ended the boot;
  # the rest of the QEMU run is firmware and GRUB.
  local t_init t_end parts=
  t_init=$(serial_markers "$LOG" UPTIME | sed -n 's/^init=//p' | sed -n '$p')
  t_end=$(serial_markers "$LOG" UPTIME | sed -n 's/^end=//p' | sed -n '$p')
  if [ -n "$t_init" ]; then
    parts=" (kernel to init ${t_init}s"
    [ -z "$t_end" ] || [ "$BOOT_RC" != 0 ] || parts="$parts, init to end $(awk -v a="$t_init" -v b="$t_end" 'BEGIN { printf "%.1f", b - a }')s, firmware+GRUB+shutdown $(awk -v t="$BOOT_MS" -v b="$t_end" 'BEGIN { printf "%.1f", t / 1000 - b }')s"
    parts="$parts)"
  fi
  printf 'boot %d: slot %s, %s, %s%s\n' "$SCEN_BOOTS" "$BOOTED_SLOT" "$how" "$(e2e_fmt_ms "$BOOT_MS")" "$parts" \
    | tee -a "$SCEN_DIR/boots" >&2
  printf '%s after boot %d: %s\n' "$SCEN_STATE_NAME" "$SCEN_BOOTS" "$(cat "$LOG.env-after")" >&2
}

# --- assertions (each names what it checked when it fails) ---

assert_eq() { [ "$1" = "$2" ] || e2e_fail "${3:-value}: expected '$2', got '$1'"; }

# assert_boot_rc RC: how the last boot ended (0: the guest powered off or rebooted, 124: timeout,
# 137: killed).
assert_boot_rc() { assert_eq "$BOOT_RC" "$1" "boot $SCEN_BOOTS exit status (log $LOG)"; }

# assert_booted SLOT [IMAGE]: the last boot ran SLOT (and the slot held IMAGE).
assert_booted() {
  assert_eq "$BOOTED_SLOT" "$1" "slot of boot $SCEN_BOOTS (log $LOG)"
  serial_has "$LOG" INITRAMFS "^slot=$1 " || e2e_fail "the initramfs did not mount slot $1 (log $LOG)"
  if [ -n "${2:-}" ]; then
    serial_has "$LOG" BOOT "^slot=$1 image=$2\$" \
      || e2e_fail "boot $SCEN_BOOTS: slot $1 does not hold image $2: $(serial_marker "$LOG" BOOT || true)"
  fi
}

# assert_marker NAME REGEX: some E2E-NAME marker of the last boot matches REGEX.
assert_marker() {
  serial_has "$LOG" "$1" "$2" || e2e_fail "no E2E-$1 matching /$2/ in $LOG (got: $(serial_markers "$LOG" "$1" | tr '\n' '|'))"
}

# assert_no_marker NAME REGEX
assert_no_marker() {
  ! serial_has "$LOG" "$1" "$2" || e2e_fail "unexpected E2E-$1 matching /$2/ in $LOG"
}

# assert_env DISK NAME=VALUE...: grubenv variables on the disk, as grub-editenv reads them.
assert_env() {
  local disk=$1 kv name want got; shift
  for kv in "$@"; do
    name=${kv%%=*}; want=${kv#*=}
    got=$(grubenv_get "$disk" "$name")
    [ "$got" = "$want" ] || e2e_fail "grubenv $name: expected '$want', got '$got' (env: $(grubenv_summary "$disk"))"
  done
}

# assert_grubenv_block DISK: the environment on the ESP is still a well-formed 1024-byte block (GRUB's
# save_env writes into the file's existing blocks; a resized file would stop GRUB counting tries).
assert_grubenv_block() {
  local tmp size head
  tmp=$(mktemp "${TMPDIR:-/tmp}/e2e-grubenv.XXXXXX")
  grubenv_get_file "$1" "$tmp"
  size=$(stat -c %s "$tmp")
  head=$(head -c 24 "$tmp")
  rm -f "$tmp"
  assert_eq "$size" 1024 "size of $E2E_GRUBENV_ON_ESP"
  assert_eq "$head" "# GRUB Environment Block" "header of $E2E_GRUBENV_ON_ESP"
}

# assert_env_unchanged: the last boot left the grubenv (SCEN_STATE_NAME) as it found it.
assert_env_unchanged() {
  [ "$(cat "$LOG.env-before")" = "$(cat "$LOG.env-after")" ] \
    || e2e_fail "boot $SCEN_BOOTS changed $SCEN_STATE_NAME: '$(cat "$LOG.env-before")' -> '$(cat "$LOG.env-after")'"
}
