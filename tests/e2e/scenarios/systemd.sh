# SPDX-License-Identifier: Apache-2.0
# The update scenarios in real systemd guests: every slot holds a minimal Debian 12 with systemd 252 as PID 1
# (lib/sdroot.sh), the updater installed as a package installs it, its units enabled by dist/90-updater.preset.
# Nothing in the guest drives the verdict: updater-health.service (before boot-complete.target) runs the checks,
# updater-commit.service (after it) commits, or marks the slot bad and reboots; systemd-boot-check-no-failures
# vetoes a boot with a failed unit. The host's per-boot hook (an install, a rollback, a status) runs after the
# verdict (guest/systemd/e2e-driver.service). Assertions: `updater status --json` on the serial console, and the
# ESP's loader/entries read back on the host with mtools.
#
# Images (systemd_assets, once per run; all with bootloader = systemd-boot, trial tries 1, state on /data):
#   v1  the factory image in slot A
#   v2  release 2.0.0: healthy
#   v3  release 3.0.0: its application unit e2e-app.service fails; the health check on it fails
#   v4  release 4.0.0: a unit RequiredBy=boot-complete.target never finishes: the target is never reached, and
#       updater-commit.service's job timeout (100 s in these images) reboots

systemd_dir() { echo "$E2E_BUILD/systemd"; }
# The boot loaders the images are built for; the scenarios are systemd_sdboot_* and systemd_efi_*.
SYSTEMD_BACKENDS="systemd-boot efi"

# _systemd_overlay DIR VERSION BACKEND KEYS [FLEET_URL]: what image vVERSION for the boot loader BACKEND (grub,
# systemd-boot, efi) adds to the Debian root; KEYS is the directory of the trust root. With FLEET_URL the image follows
# the channel FLEET_URL/stable.channel unattended (scenarios/unattended.sh): the agent runs, reboots by itself,
# reports to FLEET_URL/cgi-bin/report.
_systemd_overlay() {
  local o=$1 v=$2 backend=$3 keys=$4 fleet=${5:-} bootloader
  mkdir -p "$o/etc/updater/health.d" "$o/usr/lib/e2e" "$o/usr/lib/systemd/system" "$o/etc/e2e"
  cp "$keys/root.json" "$o/etc/updater/root.json"
  case "$backend" in
    grub) bootloader=$(printf 'bootloader = grub\ngrub-env = /boot/efi%s\ngrub-trial-tries = 1' "$E2E_GRUBENV_ON_ESP") ;;
    systemd-boot) bootloader=$(printf 'bootloader = systemd-boot\nsystemd-boot-esp = /boot/efi\nsystemd-boot-trial-tries = 1') ;;
    efi) bootloader=$(printf 'bootloader = efi\nefi-boot-a = %s\nefi-boot-b = %s' "$E2E_EFI_BOOT_A" "$E2E_EFI_BOOT_B") ;;
    *) e2e_die "_systemd_overlay: unknown backend $backend" ;;
  esac
  cat > "$o/etc/updater/update.conf" <<CONF
# update.conf of the systemd end-to-end test images (tests/e2e/scenarios/systemd.sh).
[system]
compatible = $E2E_UPDATE_COMPATIBLE
$bootloader
state-dir = /data/updater
trust-root = /etc/updater/root.json
booted-slot = auto

[slot.rootfs.0]
device = /dev/vda2
bootname = A

[slot.rootfs.1]
device = /dev/vda3
bootname = B

[health]
checks-dir = /etc/updater/health.d
timeout = 60s
CONF
  if [ -n "$fleet" ]; then
    # The machine id lives on the data partition (the root is read-only and shared by every device of the model); the
    # host writes it at the factory (unattended.sh). 10 s between polls, no jitter: the scenario waits for each poll.
    cat >> "$o/etc/updater/update.conf" <<CONF

[channel]
name = stable
url = $fleet/stable.channel
machine-id-file = /data/machine-id
poll-interval = 10s
poll-jitter = 0
report-url = $fleet/cgi-bin/report
auto-reboot = yes
CONF
    mkdir -p "$o/usr/lib/systemd/system-preset"
    cp "$E2E_DIR/guest/systemd/e2e-fleet.preset" "$o/usr/lib/systemd/system-preset/70-e2e-fleet.preset"
    : > "$o/etc/e2e/unattended"
  fi
  cat > "$o/etc/updater/health.d/10-app.conf" <<'CONF'
# The image's application unit must have started.
[check.app]
type = systemd-unit
unit = e2e-app.service
timeout = 10s
retries = 2

# The state directory's partition must be mounted.
[check.data]
type = mount
path = /data
CONF
  if [ "$v" = 3 ]; then
    printf '#!/bin/sh\necho "e2e-app of image v3: cannot open /etc/e2e-app.conf" >&2\nexit 1\n' > "$o/usr/lib/e2e/app-check"
  else
    printf '#!/bin/sh\necho "e2e-app of image $(cat /etc/e2e/image) is up"\n' > "$o/usr/lib/e2e/app-check"
  fi
  chmod 0755 "$o/usr/lib/e2e/app-check"
  [ "$v" != 4 ] || cp "$E2E_DIR/guest/systemd/e2e-hang.service" "$o/usr/lib/systemd/system/"
}

# systemd_assets: the Debian root (cache), keys, images v1-v4, bundles v2-v4.
systemd_assets() {
  local d v t0
  t0=$(e2e_now_ms)
  sdboot_require
  sdroot_fetch
  d=$(systemd_dir)
  local backend
  rm -rf "$d"
  mkdir -p "$d/bundles" "$E2E_BUILD/slots"
  update_host keygen "$d/e2e-keys" >/dev/null
  for backend in $SYSTEMD_BACKENDS; do
    for v in 1 2 3 4; do
      _systemd_overlay "$d/overlay-$backend-v$v" "$v" "$backend" "$d/e2e-keys"
      sdroot_build "$E2E_BUILD/slots/systemd-$backend-v$v.img" --image "v$v" --release "$v.0.0" \
        --overlay "$d/overlay-$backend-v$v" --updater "$E2E_BUILD/updater"
    done
    mkdir -p "$d/bundles/$backend"
    for v in 2 3 4; do
      update_host bundle create -o "$d/bundles/$backend/v$v.bundle" -k "$d/e2e-keys/bundle.key" --compatible "$E2E_UPDATE_COMPATIBLE" \
        --version "$v.0.0" --description "end-to-end systemd test image v$v ($backend)" "rootfs=$E2E_BUILD/slots/systemd-$backend-v$v.img" >/dev/null
    done
  done
  e2e_log "systemd assets: key, images v1-v4 and bundles v2-v4 for $SYSTEMD_BACKENDS, in $(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))"
  if [[ " $SYSTEMD_BACKENDS " == *" efi "* ]]; then
    E2E_SLOT_MB=$E2E_SD_SLOT_MB E2E_SDBOOT_OPTIONS=$SYSTEMD_CMDLINE efi_provision "$E2E_BUILD/slots/systemd-efi-v1.img"
  fi
}
e2e_prepare_for 'systemd_*' systemd_assets
# More kernel command line for the systemd guests: systemd reports only errors on the console.
SYSTEMD_CMDLINE="systemd.show_status=error"

# _systemd_scenario: the disks of these scenarios have systemd-sized slots; the boot logs' before/after files hold
# the entry names.
_systemd_scenario() {
  E2E_SLOT_MB=$E2E_SD_SLOT_MB
  SCEN_STATE_SUMMARY=sdboot_summary
  SCEN_STATE_NAME="loader/entries"
}

# _systemd_data BACKEND VERSION...: the data partition's content: /bundles holds the bundles of VERSION...
_systemd_data() {
  local backend=$1 v data="$SCEN_DIR/data"; shift
  mkdir -p "$data/bundles"
  for v in "$@"; do cp "$(systemd_dir)/bundles/$backend/v$v.bundle" "$data/bundles/"; done
  echo "$data"
}

# systemd_boot DISK TIMEOUT [HOOK]: one boot of a systemd guest (scenario_boot), with the entries' extra command line.
systemd_boot() { scenario_boot "$@"; }

# assert_verdict_units HEALTH COMMIT: what the driver found after the verdict: boot-complete.target active, the two
# verdict units in these states, no failed unit, and systemd-bless-boot's state (BLESS, "-": not asserted).
assert_verdict_units() {
  assert_marker TARGET "^boot-complete=active health=$1 commit=$2\$"
  assert_eq "$(serial_marker "$LOG" FAILED-UNITS || true)" "" "failed units in boot $SCEN_BOOTS (log $LOG)"
  [ "${3:--}" = - ] || assert_marker BLESS "^$3\$"
}

# assert_console REGEX WHAT: the last boot's serial console (the verdict units write there too) has a line matching REGEX.
assert_console() {
  serial_clean "$LOG" | grep -a -E -- "$1" >/dev/null || e2e_fail "boot $SCEN_BOOTS: $2: no line matching /$1/ on the console (log $LOG)"
}

# _systemd_boot_installs VERSION: boot 1: A (v1, committed) passes its checks (nothing to commit), installs vVERSION
# and reboots; B becomes the trial.
_systemd_boot_installs() {
  local v=$1 hook
  hook=$(update_install_hook "install-v$v" "$v")
  systemd_boot "$SCEN_DIR/disk.img" 400 "$hook"
  assert_boot_rc 0
  assert_booted A v1
  assert_verdict_units active active inactive
  assert_console 'verdict: pass: slot A is committed' "the factory slot's verdict"
  assert_json status-before '.booted_slot == "A" and .next_boot == "A" and (.problems | length) == 0' "status before the install"
  assert_marker INSTALL '^rc=0$'
  assert_marker INSTALL "^installed $v\\.0\\.0 into slot B "
  assert_json status ".booted_slot == \"A\" and .next_boot == \"B\" and (.problems | length) == 0
    and (.slots[] | select(.bootname == \"B\") | .state == \"installed\" and .version == \"$v.0.0\" and .boot_trial == true)" \
    "status after installing v$v"
  assert_marker END '^reboot$'
  $SYSTEMD_ASSERT_STATE trial
}

# The bootloader state after each step, as the host reads it (SYSTEMD_ASSERT_STATE STATE):
#   factory    A committed, B never written
#   trial      B on trial (one try), A committed
#   tried      B's try was used (by the firmware or the boot loader), not yet marked
#   committed  B committed
#   bad        B marked bad
#   rolled     after a manual rollback from committed B: A first, B still good
_sdboot_state() {
  case "$1" in
    factory) assert_sdboot_entries "$SCEN_DIR/disk.img" updater-0-b+0.conf updater-1-a.conf ;;
    trial) assert_sdboot_entries "$SCEN_DIR/disk.img" updater-1-a.conf updater-2-b+1.conf ;;
    tried) assert_sdboot_entries "$SCEN_DIR/disk.img" updater-1-a.conf updater-2-b+0-1.conf ;;
    committed) assert_sdboot_entries "$SCEN_DIR/disk.img" updater-1-a.conf updater-2-b.conf ;;
    bad) assert_sdboot_entries "$SCEN_DIR/disk.img" updater-1-a.conf updater-2-b+0.conf ;;
    rolled) assert_sdboot_entries "$SCEN_DIR/disk.img" updater-2-b.conf updater-3-a.conf ;;
    *) e2e_die "_sdboot_state: unknown state $1" ;;
  esac
}

# _systemd_good_flow: install v2, B's trial boot passes and is committed after boot-complete.target; the next boot is
# B again, uncounted; there `updater rollback` and a reboot bring back A.
_systemd_good_flow() {
  local disk="$SCEN_DIR/disk.img" hook
  _systemd_boot_installs 2
  # Boot 2: the trial. The checks pass before boot-complete.target, the commit comes after it.
  hook=$(update_status_hook status)
  systemd_boot "$disk" 400 "$hook"
  assert_boot_rc 0
  assert_booted B v2
  assert_verdict_units active active "$SYSTEMD_BLESS"
  assert_console 'verdict: pass: slot B .*boot-complete' "the trial's deferred pass"
  assert_console 'verdict: pass: slot B \(2\.0\.0\) passed its trial boot, boot-complete.target was reached, and it is committed' "the commit after boot-complete.target"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and .rollback == null and (.problems | length) == 0
    and (.slots[] | select(.bootname == "B") | .version == "2.0.0" and .boot_good == true and .boot_trial == false)' "status after B's commit"
  # What the boot loader (or the firmware) itself says it started: a second witness beside updater.slot=.
  assert_json status "$SYSTEMD_TRIAL_WITNESS" "what the boot loader reported for B's trial boot"
  $SYSTEMD_ASSERT_STATE committed
  # Boot 3: B again, committed, nothing counted; the operator rolls back by hand.
  hook=$(scenario_hook rollback <<'H'
e2e_block status-before updater status --json
e2e_block rollback updater rollback
e2e_block status updater status --json
e2e_reboot
H
)
  systemd_boot "$disk" 400 "$hook"
  assert_boot_rc 0
  assert_booted B v2
  assert_verdict_units active active inactive
  assert_console 'verdict: pass: slot B \(2\.0\.0\) is committed; nothing to do' "the committed slot's verdict"
  assert_json status-before '.booted_slot == "B" and .next_boot == "B" and (.problems | length) == 0' "status on the second boot of B"
  [ "$(serial_block_rc "$LOG" rollback)" = 0 ] || e2e_fail "updater rollback failed: $(serial_block "$LOG" rollback | tr '\n' ' ')"
  assert_json status '.booted_slot == "B" and .next_boot == "A"' "status after updater rollback"
  $SYSTEMD_ASSERT_STATE rolled
  # Boot 4: A, committed; the manual rollback is recorded.
  hook=$(update_status_hook status)
  systemd_boot "$disk" 400 "$hook"
  assert_boot_rc 0
  assert_booted A v1
  assert_verdict_units active active inactive
  assert_json status '.booted_slot == "A" and .next_boot == "A" and .rollback.reason == "manual" and .rollback.from_slot == "B" and .rollback.version == "2.0.0"
    and (.slots[] | select(.bootname == "B") | .version == "2.0.0")' "status on A after the manual rollback"
  $SYSTEMD_ASSERT_STATE rolled
}

# _systemd_bad_flow: v3's application unit fails on B's trial boot: updater-health.service marks B bad and reboots
# before boot-complete.target; A records the rollback with the failed check.
_systemd_bad_flow() {
  local disk="$SCEN_DIR/disk.img" hook
  _systemd_boot_installs 3
  systemd_boot "$disk" 400
  assert_boot_rc 0
  assert_booted B v3
  assert_console 'e2e-app of image v3: cannot open' "the application's failure"
  assert_console 'verdict: fail' "the trial's failed verdict"
  assert_no_marker TARGET .
  $SYSTEMD_ASSERT_STATE bad
  hook=$(update_status_hook status)
  systemd_boot "$disk" 400 "$hook"
  assert_boot_rc 0
  assert_booted A v1
  assert_verdict_units active active inactive
  assert_json status '.booted_slot == "A" and .next_boot == "A" and .rollback.reason == "health-failed" and .rollback.version == "3.0.0"
    and .rollback.from_slot == "B"' "status on A after v3's failed verdict"
  e2e_log "rollback shown by status: $(json_of status '.rollback.explanation')"
  $SYSTEMD_ASSERT_STATE bad
}

# _systemd_hang_flow: v4's boot never reaches boot-complete.target: its checks pass, but the commit waits for the
# target until its job timeout reboots; the boot loader has counted the try (or the firmware used BootNext) and
# boots A, which records the rollback and marks B bad.
_systemd_hang_flow() {
  local disk="$SCEN_DIR/disk.img" hook
  _systemd_boot_installs 4
  systemd_boot "$disk" 400
  assert_boot_rc 0
  assert_booted B v4
  assert_marker HANG 'never completes its boot'
  assert_console 'verdict: pass: slot B' "the trial's checks"
  assert_no_marker TARGET .
  $SYSTEMD_ASSERT_STATE tried
  hook=$(update_status_hook status)
  systemd_boot "$disk" 400 "$hook"
  assert_boot_rc 0
  assert_booted A v1
  assert_verdict_units active active inactive
  assert_json status '.booted_slot == "A" and .next_boot == "A" and .rollback.version == "4.0.0" and .rollback.from_slot == "B"
    and .rollback.reason == "no-verdict" and (.rollback.explanation | contains("passed its health checks on its trial boot"))
    and (.rollback.explanation | contains("never reached boot-complete.target"))' "status on A after v4's hung boot"
  e2e_log "rollback shown by status: $(json_of status '.rollback.reason + ": " + .rollback.explanation')"
  $SYSTEMD_ASSERT_STATE bad
}

# Power cuts of the systemd scenarios: during the write (past 20 %, past 70 %) and just after the commit point.
E2E_SYSTEMD_CUTS=${E2E_SYSTEMD_CUTS:-"20|5 70|3 done|0"}

# _systemd_power_cut_flow: QEMU is SIGKILLed during the install at each moment of E2E_SYSTEMD_CUTS; every boot
# after a cut comes up on A and the rerun resumes; after the cut past the commit point B is on trial, holds the
# signed image, boots and is committed.
_systemd_power_cut_flow() {
  local disk="$SCEN_DIR/disk.img" hook spec min max delay i=0 completed=0 want got
  hook=$(update_install_hook install-v2 2)
  : > "$SCEN_DIR/cuts"
  for spec in $E2E_SYSTEMD_CUTS; do
    i=$((i + 1))
    min=${spec%|*}; max=${spec##*|}
    scenario_boot_start "$disk" 400 "$hook"
    local deadline=$(( $(date +%s) + 380 ))
    until _install_reached "$LOG" "$min"; do
      kill -0 "$BOOT_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] || e2e_fail "cut $i: the install never reached ${min}% ($LOG)"
      sleep 0.1
    done
    delay=$(awk -v r="$RANDOM" -v m="$max" 'BEGIN { printf "%.1f", (m ? r % (m + 1) : 0) / 10 }')
    sleep "$delay"
    scenario_boot_kill
    assert_boot_rc 137
    assert_booted A v1
    [ "$i" = 1 ] || assert_json status-before '.install_in_progress.version == "2.0.0"' "status after cut $((i - 1))"
    printf 'cut %d: %ss after the install reached %s; last progress seen: %s; found on the slot: %s\n' "$i" "$delay" "$min" \
      "$(_install_last_progress "$LOG")" "$(_install_checked "$LOG")" | tee -a "$SCEN_DIR/cuts" >&2
    if serial_has "$LOG" INSTALL '^installed 2\.0\.0 into slot B '; then
      completed=1
      [ "$i" = 1 ] || assert_marker INSTALL '^installed 2\.0\.0 into slot B .*\(resumed\)'
      $SYSTEMD_ASSERT_STATE trial
      break
    fi
    $SYSTEMD_ASSERT_STATE factory
  done
  [ "$completed" = 1 ] || e2e_fail "no cut came after the commit point (E2E_SYSTEMD_CUTS must end with done|N)"
  want=$(update_host bundle info --json "$(systemd_dir)/bundles/$SYSTEMD_BACKEND/v2.bundle" | jq -r '.manifest.images[0].sha256')
  part_read "$disk" 3 "$SCEN_DIR/slot-b.img"
  got=$(head -c "$(stat -c %s "$E2E_BUILD/slots/systemd-$SYSTEMD_BACKEND-v2.img")" "$SCEN_DIR/slot-b.img" | sha256sum | cut -d' ' -f1)
  rm -f "$SCEN_DIR/slot-b.img"
  assert_eq "$got" "$want" "SHA-256 of slot B after the interrupted installs"
  hook=$(update_status_hook status)
  systemd_boot "$disk" 400 "$hook"
  assert_boot_rc 0
  assert_booted B v2
  assert_verdict_units active active "$SYSTEMD_BLESS"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and (.slots[] | select(.bootname == "B") | .boot_trial == false)' "status after the trial of the interrupted install"
  $SYSTEMD_ASSERT_STATE committed
  sed 's/^/  /' "$SCEN_DIR/cuts" >&2
}

# _systemd_sdboot VERSION...: the systemd-boot variant of a scenario: the disk (slot A v1, B empty, the bundles of
# VERSION...), its state reader, systemd-bless-boot's part.
_systemd_sdboot() {
  _systemd_scenario
  SYSTEMD_BACKEND=systemd-boot
  SYSTEMD_ASSERT_STATE=_sdboot_state
  # systemd-bless-boot's generator pulls it in on a counted boot: it runs after the commit and finds the entry good.
  SYSTEMD_BLESS=active
  # systemd-boot's variables: the entry it picked, named before its rename, and the name it renamed it to.
  SYSTEMD_TRIAL_WITNESS='.bootloader_variables.LoaderEntrySelected == "updater-2-b+1.conf"
    and .bootloader_variables.LoaderBootCountPath == "\\loader\\entries\\updater-2-b+0-1.conf"'
  E2E_SDBOOT_OPTIONS=$SYSTEMD_CMDLINE
  sdboot_disk "$SCEN_DIR/disk.img" --a "$E2E_BUILD/slots/systemd-systemd-boot-v1.img" --data "$(_systemd_data systemd-boot "$@")"
  _sdboot_state factory
}

# The efi disks' states (see _sdboot_state), as efibootmgr reads the variable store on the host.
_efi_state() {
  local a=$E2E_EFI_BOOT_A b=$E2E_EFI_BOOT_B
  case "$1" in
    factory) assert_efi "$a" - "$b" ;;
    trial) assert_efi "$a" "$b" "$b" ;;
    tried|bad) assert_efi "$a" - "$b" ;;
    committed) assert_efi "$b,$a" - ;;
    rolled) assert_efi "$a,$b" - ;;
    *) e2e_die "_efi_state: unknown state $1" ;;
  esac
}

# _systemd_efi VERSION...: the efi variant: the firmware's BootNext and BootOrder; no systemd-boot counts anything.
_systemd_efi() {
  _systemd_scenario
  SYSTEMD_BACKEND=efi
  SYSTEMD_ASSERT_STATE=_efi_state
  SCEN_STATE_SUMMARY=efi_summary
  SCEN_STATE_NAME="EFI variables"
  SYSTEMD_BLESS=inactive
  # The firmware's BootCurrent: the option it started (BootNext's, consumed).
  SYSTEMD_TRIAL_WITNESS=".bootloader_variables.BootCurrent == \"$E2E_EFI_BOOT_B\" and .bootloader_variables.B_STATE == \"committed\""
  # Its variable store holds the slots' boot options: never the warm store other disks start from.
  E2E_KEEP_WARM_VARS=0
  E2E_SDBOOT_OPTIONS=$SYSTEMD_CMDLINE
  efi_disk "$SCEN_DIR/disk.img" --a "$E2E_BUILD/slots/systemd-efi-v1.img" --data "$(_systemd_data efi "$@")"
  _efi_state factory
}

e2e_scenario systemd_sdboot_good "systemd guest, systemd-boot: v2's trial passes before boot-complete.target, commits after it; B again; updater rollback brings back A"
scenario_systemd_sdboot_good() { _systemd_sdboot 2; _systemd_good_flow; }

e2e_scenario systemd_sdboot_bad "systemd guest, systemd-boot: v3's application unit fails: health marks B bad and reboots, A records health-failed"
scenario_systemd_sdboot_bad() { _systemd_sdboot 3; _systemd_bad_flow; }

e2e_scenario systemd_sdboot_hang "systemd guest, systemd-boot: v4 never reaches boot-complete.target: the commit's job timeout reboots, systemd-boot boots A"
scenario_systemd_sdboot_hang() { _systemd_sdboot 4; _systemd_hang_flow; }

e2e_scenario systemd_sdboot_power_cut "systemd guest, systemd-boot: power cuts during the install and after its commit point; B boots and commits"
scenario_systemd_sdboot_power_cut() { _systemd_sdboot 2; _systemd_power_cut_flow; }

e2e_scenario systemd_efi_good "systemd guest, efi: v2 is tried through BootNext, commits after boot-complete.target (front of BootOrder); updater rollback brings back A"
scenario_systemd_efi_good() { _systemd_efi 2; _systemd_good_flow; }

e2e_scenario systemd_efi_bad "systemd guest, efi: v3's application unit fails: health drops B from BootOrder and reboots, A records health-failed"
scenario_systemd_efi_bad() { _systemd_efi 3; _systemd_bad_flow; }

e2e_scenario systemd_efi_hang "systemd guest, efi: v4 never reaches boot-complete.target: the job timeout reboots, the firmware (BootNext used) boots A"
scenario_systemd_efi_hang() { _systemd_efi 4; _systemd_hang_flow; }

e2e_scenario systemd_efi_power_cut "systemd guest, efi: power cuts during the install and after its commit point (BootNext written); B boots and commits"
scenario_systemd_efi_power_cut() { _systemd_efi 2; _systemd_power_cut_flow; }
