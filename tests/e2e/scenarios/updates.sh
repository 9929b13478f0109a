# SPDX-License-Identifier: Apache-2.0
# The update scenarios: the NativeAOT updater in the guest installs signed bundles from the data
# partition, dist/grub.cfg boots them, `updater health` gives the verdict on every boot, GRUB's try
# counter and the health verdict bring the device back to the slot that worked. Each scenario asserts
# on what the guest's `updater status --json` (and `updater health --json`) print on the serial
# console and on the grubenv the host reads back with grub-editenv.
#
# Images, built once per run by update_assets (all of them 96 MiB ext4 slot images):
#   v1  the factory image in slot A (no state record; grubenv: A good and committed, B bad)
#   v2  release 2.0.0: its health check passes
#   v3  release 3.0.0: its application check fails ("cannot open /etc/e2e-app.conf")
#   v4  release 4.0.0: the kernel panics before the health verdict (sysrq c; panic=5 reboots)
# Every image carries /etc/updater/update.conf (grub, /boot/efi/EFI/BOOT/grubenv, state in
# /data/updater, trust-root /etc/updater/root.json, booted-slot = auto from updater.slot=), the root,
# /etc/updater/health.d/10-app.conf, and /etc/e2e/hook.sh, which runs `updater health --json` on
# every boot as updater-health.service does on a device (v4: panics instead). The health reboot
# command is /usr/lib/e2e/reboot: it marks the serial log and reboots, which ends the QEMU run.
# Bundles v2, v3, v4 are made on the host with the same updater binary (keygen DIR, bundle create).

E2E_UPDATE_COMPATIBLE=updater-e2e
# Power cuts of update_power_cut (each a boot killed with SIGKILL during an install). 3-5 per the issue.
E2E_POWER_CUTS=${E2E_POWER_CUTS:-5}

update_dir() { echo "$E2E_BUILD/update"; }
update_host() { nice "$E2E_BUILD/updater/updater" "$@"; }

# _update_overlay DIR VERSION: what image vVERSION adds to its root: config, trust root, checks, hooks.
_update_overlay() {
  local o=$1 v=$2 d
  d=$(update_dir)
  mkdir -p "$o/etc/updater/health.d" "$o/usr/lib/e2e" "$o/etc/e2e"
  cp "$d/e2e-keys/root.json" "$o/etc/updater/root.json"
  cat > "$o/etc/updater/update.conf" <<EOF
# update.conf of the end-to-end test images (tests/e2e/scenarios/updates.sh).
[system]
compatible = $E2E_UPDATE_COMPATIBLE
bootloader = grub
grub-env = /boot/efi/EFI/BOOT/grubenv
grub-trial-tries = 1
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
reboot-command = /usr/lib/e2e/reboot
timeout = 60s
EOF
  cat > "$o/etc/updater/health.d/10-app.conf" <<'EOF'
# The image's application must be up.
[check.app]
type = command
command = /usr/lib/e2e/app-check
timeout = 20s

# The state directory's partition must be mounted.
[check.data]
type = mount
path = /data
EOF
  if [ "$v" = 3 ]; then
    cat > "$o/usr/lib/e2e/app-check" <<'EOF'
#!/bin/sh
echo "e2e-app of image v3: cannot open /etc/e2e-app.conf" >&2
exit 1
EOF
  else
    cat > "$o/usr/lib/e2e/app-check" <<'EOF'
#!/bin/sh
echo "e2e-app of image $(cat /etc/e2e/image) is up"
EOF
  fi
  cat > "$o/usr/lib/e2e/reboot" <<'EOF'
#!/bin/sh
# [health] reboot-command: updater health captures this command's output, so the marker goes straight to
# the console. Under QEMU -no-reboot the reboot ends the run; the host boots the disk again.
exec > /dev/console 2>&1
. /lib/e2e/guest.sh
e2e_mark REBOOT-COMMAND "updater health reboots the device"
e2e_reboot
EOF
  chmod 0755 "$o/usr/lib/e2e/app-check" "$o/usr/lib/e2e/reboot"
  if [ "$v" = 4 ]; then
    cat > "$d/hook-v$v.sh" <<'EOF'
# Image v4: the kernel crashes before the health verdict.
e2e_mark PANIC "image $E2E_IMAGE crashes before its health verdict"
echo c > /proc/sysrq-trigger
e2e_hang
EOF
  else
    cat > "$d/hook-v$v.sh" <<'EOF'
# Every boot: the health verdict, as updater-health.service gives it on a device.
e2e_block health updater health --json
EOF
  fi
}

# update_assets: keys and trust root, slot images v1-v4 and bundles v2-v4, into $(update_dir) and the slot cache.
update_assets() {
  local d v t0
  t0=$(e2e_now_ms)
  d=$(update_dir)
  rm -rf "$d"
  mkdir -p "$d/bundles"
  update_host keygen "$d/e2e-keys" >/dev/null
  for v in 1 2 3 4; do
    _update_overlay "$d/overlay-v$v" "$v"
    e2e_cached_slot "update-v$v" --image "v$v" --release "$v.0.0" --overlay "$d/overlay-v$v" --hook "$d/hook-v$v.sh" >/dev/null
  done
  for v in 2 3 4; do
    update_host bundle create -o "$d/bundles/v$v.bundle" -k "$d/e2e-keys/bundle.key" --compatible "$E2E_UPDATE_COMPATIBLE" \
      --version "$v.0.0" --description "end-to-end test image v$v" "rootfs=$E2E_BUILD/slots/update-v$v.img" >/dev/null
    update_host bundle info --json "$d/bundles/v$v.bundle" | jq -r '.manifest.images[0].sha256' > "$d/bundles/v$v.sha256"
    [ "$(cut -d' ' -f1 < "$d/bundles/v$v.sha256")" = "$(sha256sum < "$E2E_BUILD/slots/update-v$v.img" | cut -d' ' -f1)" ] \
      || e2e_die "bundle v$v: the manifest's image hash is not the image's"
  done
  e2e_log "update assets: key, images v1-v4, bundles $(cd "$d/bundles" && ls -s --block-size=K -- *.bundle | tr '\n' ' ')in $(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))"
}
e2e_prepare_for 'update_*' update_assets

# update_disk DISK VERSION...: slot A holds the factory image v1, slot B is empty, /data/bundles holds
# the bundles of VERSION...; grubenv: A good and committed, B bad.
update_disk() {
  local disk=$1 v data; shift
  data="$SCEN_DIR/data"
  mkdir -p "$data/bundles"
  for v in "$@"; do cp "$(update_dir)/bundles/v$v.bundle" "$data/bundles/"; done
  e2e_disk "$disk" --a "$E2E_BUILD/slots/update-v1.img" --data "$data"
}

# update_install_hook NAME VERSION: a per-boot hook that prints the status, installs bundle vVERSION
# from the data partition (its output as E2E-INSTALL lines, progress included), prints the status
# again and reboots.
update_install_hook() {
  scenario_hook "$1" <<EOF
e2e_block status-before updater status --json
e2e_stream INSTALL updater install /data/bundles/v$2.bundle
e2e_block status updater status --json
e2e_reboot
EOF
}

# update_status_hook NAME [COMMANDS]: a per-boot hook that runs COMMANDS (optional), prints the status.
update_status_hook() {
  scenario_hook "$1" <<EOF
${2:-}
e2e_block status updater status --json
EOF
}

# assert_json BLOCK JQ_FILTER WHAT: the JSON the guest framed as BLOCK in the last boot's log passes
# JQ_FILTER (jq -e). A block that a reboot cut short (updater health's reboot command) counts.
assert_json() {
  serial_json_cut "$LOG" "$1" "$2" >/dev/null \
    || e2e_fail "$3: '$2' does not hold for block $1 of $LOG: $(serial_block_cut "$LOG" "$1" | tr -s ' \n' ' ' | cut -c1-1500 || echo missing)"
}

# assert_grub_choice TEXT: what dist/grub.cfg said it booted in the last boot.
assert_grub_choice() { assert_eq "$(serial_grub_choice "$LOG")" "$1" "GRUB's choice in boot $SCEN_BOOTS (log $LOG)"; }

# json_of BLOCK FILTER: a value from the last boot's JSON block, for the scenario log.
json_of() { serial_block_cut "$LOG" "$1" 2>/dev/null | jq -r "$2" 2>/dev/null || true; }

# _update_boot_installs VERSION: boot 1 of the install scenarios: A (v1) installs vVERSION and reboots.
_update_boot_installs() {
  local v=$1 hook
  hook=$(update_install_hook "install-v$v" "$v")
  scenario_boot "$SCEN_DIR/disk.img" 300 "$hook"
  assert_boot_rc 0
  assert_grub_choice "A (committed)"
  assert_booted A v1
  assert_json health '.booted_slot == "A" and .verdict == "pass" and .action == "none"' "health of the factory slot A"
  assert_json status-before '.booted_slot == "A" and .next_boot == "A" and (.slots[] | select(.bootname == "B") | .state == "unrecorded")' "status before the install"
  assert_marker INSTALL '^rc=0$'
  assert_marker INSTALL "^installed $v\\.0\\.0 into slot B "
  assert_json status ".booted_slot == \"A\" and .next_boot == \"B\" and .install_in_progress == null
    and (.slots[] | select(.bootname == \"B\") | .state == \"installed\" and .version == \"$v.0.0\" and .boot_trial == true and .boot_good == true)" \
    "status after installing v$v"
  assert_marker END '^reboot$'
  assert_env "$SCEN_DIR/disk.img" ORDER="B A" A_OK=1 A_TRIAL=0 B_OK=1 B_TRY=0 B_TRIAL=1
  assert_grubenv_block "$SCEN_DIR/disk.img"
}

# update_good_flow: scenario (a) on $SCEN_DIR/disk.img.
update_good_flow() {
  local disk="$SCEN_DIR/disk.img" hook
  update_disk "$disk" 2
  _update_boot_installs 2

  # Boot 2: GRUB counts B's only try and boots it; its health verdict passes and commits it.
  hook=$(update_status_hook status)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_grub_choice "B (trial, try 1 of 1)"
  assert_booted B v2
  assert_json health '.booted_slot == "B" and .version == "2.0.0" and .trial == true and .verdict == "pass" and .action == "committed"' "health of the trial boot of v2"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and .rollback == null and (.problems | length) == 0
    and (.slots[] | select(.bootname == "B") | .version == "2.0.0" and .boot_good == true and .boot_trial == false)' "status after B's verdict"
  assert_env "$disk" ORDER="B A" B_OK=1 B_TRY=0 B_TRIAL=0 A_OK=1
  assert_grubenv_block "$disk"

  # Boot 3: still B, committed: GRUB does not count it and writes nothing.
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_grub_choice "B (committed)"
  assert_booted B v2
  assert_json health '.booted_slot == "B" and .trial == false and .verdict == "pass" and .action == "none"' "health of committed B"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and (.slots[] | select(.bootname == "B") | .version == "2.0.0")' "status on the second boot of B"
  assert_env_unchanged
}

e2e_scenario update_good "boot A, install bundle v2, reboot into B, health passes, B committed; reboot, still B"
scenario_update_good() {
  update_good_flow
  # update_rollback starts where this scenario ends.
  cp --sparse=always "$SCEN_DIR/disk.img" "$(update_dir)/after-good.img.tmp"
  cp "$SCEN_DIR/disk.vars.fd" "$(update_dir)/after-good.vars.fd"
  mv "$(update_dir)/after-good.img.tmp" "$(update_dir)/after-good.img"
}

e2e_scenario update_bad "install v3 whose health check fails: marked bad, reboot, GRUB boots A, status shows the rollback"
scenario_update_bad() {
  local disk="$SCEN_DIR/disk.img" hook
  update_disk "$disk" 3
  _update_boot_installs 3

  # Boot 2: B's trial; the app check fails; updater health marks B bad and runs the reboot command.
  scenario_boot "$disk" 180
  assert_boot_rc 0
  assert_grub_choice "B (trial, try 1 of 1)"
  assert_booted B v3
  assert_json health '.booted_slot == "B" and .version == "3.0.0" and .trial == true and .verdict == "fail" and .action == "marked-bad" and .reboot == true
    and (.report.checks[] | select(.name == "app") | .passed == false)' "health of the trial boot of v3"
  assert_marker REBOOT-COMMAND 'reboots'
  assert_marker END '^reboot$'
  assert_env "$disk" B_OK=0 A_OK=1 A_TRIAL=0
  assert_grubenv_block "$disk"

  # Boot 3: GRUB skips bad B and boots A; health records the rollback, status shows it and why.
  hook=$(update_status_hook status)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_grub_choice "A (committed)"
  assert_booted A v1
  assert_json health '.booted_slot == "A" and .verdict == "pass" and .rollback_recorded.reason == "health-failed"' "health on A after the failed trial"
  assert_json status '.booted_slot == "A" and .next_boot == "A" and .rollback_recorded == true
    and .rollback.from_slot == "B" and .rollback.to_slot == "A" and .rollback.version == "3.0.0" and .rollback.reason == "health-failed"
    and (.rollback.failed_checks | map(.name) == ["app"]) and (.rollback.explanation | test("cannot open /etc/e2e-app.conf"))' "status on A after the rollback"
  e2e_log "rollback shown by status: $(json_of status '.rollback.explanation')"
  assert_env "$disk" B_OK=0
}

e2e_scenario update_hang "install v4 whose init never reaches the health verdict: the try count sends the next boot to A"
scenario_update_hang() {
  local disk="$SCEN_DIR/disk.img" hook
  update_disk "$disk" 4
  _update_boot_installs 4

  # Boot 2: B's trial; the kernel panics before any verdict; panic=5 reboots (the QEMU run ends).
  scenario_boot "$disk" 180
  assert_boot_rc 0
  assert_grub_choice "B (trial, try 1 of 1)"
  assert_booted B v4
  assert_marker PANIC 'crashes before its health verdict'
  serial_clean "$LOG" | grep -a 'Kernel panic' >/dev/null || e2e_fail "boot $SCEN_BOOTS: no kernel panic in $LOG"
  ! serial_block_cut "$LOG" health >/dev/null || e2e_fail "boot $SCEN_BOOTS: v4 reached a health verdict"
  assert_env "$disk" ORDER="B A" B_OK=1 B_TRY=1 B_TRIAL=1

  # Boot 3: B has no tries left, GRUB boots A; health records the rollback (no verdict) and marks B bad.
  hook=$(update_status_hook status)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  serial_clean "$LOG" | grep -a 'slot B has no tries left' >/dev/null || e2e_fail "GRUB did not say B is out of tries ($LOG)"
  assert_grub_choice "A (committed)"
  assert_booted A v1
  assert_json health '.booted_slot == "A" and .rollback_recorded.reason == "no-verdict"' "health on A after the crashed trial"
  assert_json status '.booted_slot == "A" and .next_boot == "A" and .rollback_recorded == true
    and .rollback.from_slot == "B" and .rollback.to_slot == "A" and .rollback.version == "4.0.0" and .rollback.reason == "no-verdict"' "status on A after the crash"
  e2e_log "rollback shown by status: $(json_of status '.rollback.explanation')"
  assert_env "$disk" B_OK=0 A_OK=1 A_TRIAL=0
}

# The moments of update_power_cut, "MIN|MAX": wait until the install prints a progress line "writing N%"
# with N >= MIN (-1: its first line of output, before it verifies the bundle; "done": its final
# "installed" line, printed right after the commit point), then a random delay of 0 to MAX tenths of a
# second, then SIGKILL. Progress lines come per 10 %; an install resumed after an earlier cut starts at
# what is already on the slot. E2E_POWER_CUT_MOMENTS="MIN|MAX ..." replaces the list.
if [ -n "${E2E_POWER_CUT_MOMENTS:-}" ]; then
  read -r -a E2E_POWER_CUT_MOMENTS <<< "$E2E_POWER_CUT_MOMENTS"
else
  E2E_POWER_CUT_MOMENTS=(
    '-1|15'
    '0|5'
    '40|4'
    '70|2'
    'done|0'
  )
fi

# _install_reached LOG MIN: the install in LOG printed a writing line at MIN % or more (MIN -1: started).
_install_reached() {
  serial_markers "$1" INSTALL | awk -v min="$2" '
    min == "done" && /^installed / { ok = 1 }
    min == "done" { next }
    min < 0 && /^start: / { ok = 1 }
    $1 == "writing" && $2 ~ /%$/ && $2 + 0 >= min { ok = 1 }
    END { exit !ok }'
}

# _install_checked LOG: what a resumed install found already on the slot ("checking N%"), else "".
_install_checked() {
  serial_markers "$1" INSTALL | awk '$1 == "checking" { p = $2 } END { print p }'
}

# _install_last_progress LOG: the last progress line the host saw before the cut.
_install_last_progress() {
  serial_markers "$1" INSTALL | awk '($1 == "writing" || $1 == "checking") && $2 ~ /%$/ { p = $1 " " $2 } END { print (p == "" ? "none" : p) }'
}

e2e_scenario update_power_cut "SIGKILL QEMU at random moments during an install: A boots, rerunning the install finishes it"
scenario_update_power_cut() {
  local disk="$SCEN_DIR/disk.img" hook i spec min max delay completed=0 journal=0 want got checked
  [ "$E2E_POWER_CUTS" -ge 1 ] && [ "$E2E_POWER_CUTS" -le ${#E2E_POWER_CUT_MOMENTS[@]} ] \
    || e2e_fail "E2E_POWER_CUTS must be 1-${#E2E_POWER_CUT_MOMENTS[@]}"
  # Slot B starts with random bytes, not zeros: no chunk of the image is there by chance, so what a
  # resumed install finds on the slot is exactly what the cut attempts wrote.
  head -c "$(stat -c %s "$E2E_BUILD/slots/update-v2.img")" /dev/urandom > "$SCEN_DIR/b-junk.img"
  mkdir -p "$SCEN_DIR/data/bundles"
  cp "$(update_dir)/bundles/v2.bundle" "$SCEN_DIR/data/bundles/"
  e2e_disk "$disk" --a "$E2E_BUILD/slots/update-v1.img" --b "$SCEN_DIR/b-junk.img" --data "$SCEN_DIR/data"
  rm -f "$SCEN_DIR/b-junk.img"
  hook=$(update_install_hook install-v2 2)
  : > "$SCEN_DIR/cuts"
  for i in $(seq "$E2E_POWER_CUTS"); do
    spec=${E2E_POWER_CUT_MOMENTS[$((i - 1))]}
    min=${spec%|*}; max=${spec##*|}
    scenario_boot_start "$disk" 300 "$hook"
    local deadline=$(( $(date +%s) + 280 ))
    until _install_reached "$LOG" "$min"; do
      kill -0 "$BOOT_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] \
        || e2e_fail "cut $i: the install never reached ${min}% ($LOG)"
      sleep 0.1
    done
    delay=$(awk -v r="$RANDOM" -v m="$max" 'BEGIN { printf "%.1f", (m ? r % (m + 1) : 0) / 10 }')
    sleep "$delay"
    scenario_boot_kill
    assert_boot_rc 137
    # Every boot of this loop came up on A: the first one from the factory state, the others after a cut.
    assert_booted A v1
    assert_json status-before '.booted_slot == "A" and .next_boot == "A"' "status before install attempt $i"
    if [ "$journal" = 1 ]; then
      assert_json status-before '.install_in_progress.version == "2.0.0" and .install_in_progress.target_bootname == "B"
        and (.slots[] | select(.bootname == "B") | .state == "installing")' "status after a cut in the middle of the install"
    fi
    checked=$(_install_checked "$LOG")
    [ "$i" = 1 ] || printf '  attempt %d found on slot B: %s\n' "$i" "${checked:-nothing (no interrupted install recorded: the cut came before the first write)}" >> "$SCEN_DIR/cuts"
    printf 'cut %d: %ss after the install reached %s; last progress seen: %s%s\n' "$i" "$delay" \
      "$(case "$min" in done) echo "its end" ;; -*) echo "its start" ;; *) echo "${min}%" ;; esac)" "$(_install_last_progress "$LOG")" \
      "$(serial_has "$LOG" INSTALL '^rc=' && echo ", after the install had finished" || true)" | tee -a "$SCEN_DIR/cuts" >&2
    # "installed" is printed after the commit point; the cut may land before the command's rc line reaches
    # the console, so either one says the install finished.
    if serial_has "$LOG" INSTALL '^rc=0$' || serial_has "$LOG" INSTALL '^installed 2\.0\.0 into slot B '; then
      # The cut came after the commit point (the last moment's "installed" line): the rerun completed, and
      # its grubenv write survived the cut: GRUB tries B next, which holds the whole image.
      completed=1
      [ "$journal" = 0 ] || assert_marker INSTALL '^installed 2\.0\.0 into slot B .*\(resumed\)'
      e2e_log "the rerun: $(serial_markers "$LOG" INSTALL | { grep '^installed' || true; })"
      assert_env "$disk" ORDER="B A" B_OK=1 B_TRIAL=1 B_TRY=0
      assert_grubenv_block "$disk"
      break
    fi
    # Not finished: the grubenv must not let GRUB boot B.
    assert_env "$disk" ORDER="A B" A_OK=1 A_TRIAL=0 B_OK=0
    assert_grubenv_block "$disk"
    # Once the install has printed progress, it has written its journal: the next boot must see it.
    [ "$(_install_last_progress "$LOG")" = none ] || journal=1
  done

  if [ "$completed" = 0 ]; then
    # The rerun, not cut: it completes (resuming when a cut came after its first write).
    scenario_boot "$disk" 300 "$hook"
    assert_boot_rc 0
    assert_booted A v1
    checked=$(_install_checked "$LOG")
    printf '  the rerun found on slot B: %s\n' "${checked:-nothing (no interrupted install recorded: the cut came before the first write)}" >> "$SCEN_DIR/cuts"
    assert_marker INSTALL '^rc=0$'
    if [ "$journal" = 1 ]; then
      assert_marker INSTALL '^installed 2\.0\.0 into slot B .*\(resumed\)'
      [ -n "$checked" ] || e2e_fail "the resumed install printed no 'checking' line"
    else
      assert_marker INSTALL '^installed 2\.0\.0 into slot B '
    fi
    e2e_log "the rerun: $(serial_markers "$LOG" INSTALL | { grep '^installed' || true; })"
    assert_json status '.next_boot == "B" and .install_in_progress == null
      and (.slots[] | select(.bootname == "B") | .state == "installed" and .version == "2.0.0" and .boot_trial == true)' "status after the rerun"
    assert_env "$disk" ORDER="B A" B_OK=1 B_TRY=0 B_TRIAL=1
  fi
  # B holds exactly the signed image.
  want=$(cut -d' ' -f1 < "$(update_dir)/bundles/v2.sha256")
  part_read "$disk" 3 "$SCEN_DIR/slot-b.img"
  got=$(head -c "$(stat -c %s "$E2E_BUILD/slots/update-v2.img")" "$SCEN_DIR/slot-b.img" | sha256sum | cut -d' ' -f1)
  rm -f "$SCEN_DIR/slot-b.img"
  assert_eq "$got" "$want" "SHA-256 of slot B after the install"

  # And it boots: B's trial passes its health check and is committed.
  hook=$(update_status_hook status)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_grub_choice "B (trial, try 1 of 1)"
  assert_booted B v2
  assert_json health '.booted_slot == "B" and .version == "2.0.0" and .verdict == "pass" and .action == "committed"' "health of B after the interrupted install"
  assert_env "$disk" ORDER="B A" B_OK=1 B_TRIAL=0
  e2e_log "power cuts: $(grep -c '^cut ' "$SCEN_DIR/cuts") tried"
  sed 's/^/  /' "$SCEN_DIR/cuts" >&2
}

e2e_scenario update_rollback "after update_good: updater rollback on B and a reboot bring back A"
scenario_update_rollback() {
  local disk="$SCEN_DIR/disk.img" hook
  if [ -s "$(update_dir)/after-good.img" ]; then
    e2e_log "starting from the disk update_good left in this run"
    cp --sparse=always "$(update_dir)/after-good.img" "$disk"
    cp "$(update_dir)/after-good.vars.fd" "$SCEN_DIR/disk.vars.fd"
  else
    e2e_log "update_good did not run before: its flow first"
    update_good_flow
  fi
  assert_env "$disk" ORDER="B A" B_OK=1 B_TRIAL=0 A_OK=1 A_TRIAL=0

  # Boot 1: on B (v2, committed) the operator rolls back.
  hook=$(scenario_hook rollback <<'EOF'
e2e_block rollback updater rollback --json
e2e_block status updater status --json
e2e_reboot
EOF
)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_grub_choice "B (committed)"
  assert_booted B v2
  assert_eq "$(serial_block_rc "$LOG" rollback)" 0 "exit status of updater rollback"
  assert_json rollback '.action == "rollback" and .bootname == "A" and .next_boot == "A"' "updater rollback --json"
  assert_json status '.booted_slot == "B" and .next_boot == "A"' "status after updater rollback"
  assert_env "$disk" ORDER="A B" A_OK=1 A_TRIAL=0 B_OK=1

  # Boot 2: A, committed, is back; B keeps its good v2 (a manual rollback is not a failed update).
  hook=$(update_status_hook status)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_grub_choice "A (committed)"
  assert_booted A v1
  assert_json health '.booted_slot == "A" and .verdict == "pass" and .action == "none" and .rollback_recorded == null' "health on A after the manual rollback"
  # The manual rollback is recorded (reason manual), so status says so and an agent does not install v2 again.
  assert_json status '.booted_slot == "A" and .next_boot == "A"
    and .rollback.reason == "manual" and .rollback.from_slot == "B" and .rollback.to_slot == "A" and .rollback.version == "2.0.0"
    and (.slots[] | select(.bootname == "B") | .version == "2.0.0" and .boot_good == true)' "status on A after the manual rollback"
  assert_env_unchanged
}
