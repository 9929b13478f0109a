# SPDX-License-Identifier: Apache-2.0
# The update scenarios on real systemd-boot: the disk boots Debian 12's systemd-boot (v252) under OVMF instead of
# GRUB (lib/sdboot.sh), and the guest's updater uses the systemd-boot backend, whose whole state is the name of each
# slot's entry in ESP/loader/entries/. What they prove is that the real systemd-boot does what the backend's model
# (src/Partition/Bootloaders/SystemdBoot/SystemdBootRule.cs) says it does: boots the entry that sorts first (highest
# generation, entries at +0 last), renames a trial entry +1 to +0-1 before booting it, then sorts it last and boots
# the other slot. The host reads the names back with mtools after each boot; each image's own hook also prints the
# names it finds at its start (E2E-ENTRIES, what systemd-boot left before the updater ran) and the EFI variables
# systemd-boot set (E2E-LOADER: LoaderEntrySelected, LoaderBootCountPath; efivarfs mounted by the hook).
#
# Images (built once per run by sdboot_assets; scenarios/updates.sh's overlays, with a systemd-boot update.conf):
#   v1  the factory image in slot A; entries updater-1-a.conf (committed) and updater-0-b+0.conf (B never written)
#   v2  release 2.0.0: its health check passes
#   v4  release 4.0.0: the kernel panics before the health verdict
# update.conf: bootloader = systemd-boot, systemd-boot-esp = /boot/efi (where the guest mounts the ESP),
# systemd-boot-trial-tries = 1; everything else as the GRUB images (state in /data/updater, booted-slot = auto from
# updater.slot= on the entries' command line).

sdboot_dir() { echo "$E2E_BUILD/sdboot"; }

# What a systemd-boot image's hook does first on every boot: mount efivarfs (the updater reads LoaderEntrySelected
# and LoaderBootCountPath there), show the entry names and the loader's variables as it found them.
_sdboot_hook_prelude() {
  cat <<'EOF'
# systemd-boot images: efivarfs for the updater, and what systemd-boot left before anything else runs.
mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null || e2e_mark WARN "cannot mount efivarfs"
_sdboot_var() {
  local f=/sys/firmware/efi/efivars/$1-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
  if [ -r "$f" ]; then tail -c +5 "$f" | tr -d '\000'; else echo -; fi
}
e2e_mark ENTRIES "$(ls "$E2E_ESP/loader/entries" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')"
e2e_mark LOADER "selected=$(_sdboot_var LoaderEntrySelected) count-path=$(_sdboot_var LoaderBootCountPath)"
EOF
}

# sdboot_assets: keys, slot images v1, v2, v4 with the systemd-boot update.conf, bundles v2 and v4.
sdboot_assets() {
  local d v t0
  t0=$(e2e_now_ms)
  sdboot_require
  d=$(sdboot_dir)
  rm -rf "$d"
  mkdir -p "$d/bundles"
  update_host keygen "$d/e2e-keys" >/dev/null
  for v in 1 2 4; do
    # scenarios/updates.sh's overlay and hook, made in this directory (its keys, its hook files).
    ( update_dir() { sdboot_dir; }; _update_overlay "$d/overlay-v$v" "$v" )
    sed -i -e 's|^bootloader = grub$|bootloader = systemd-boot|' \
      -e 's|^grub-env = .*$|systemd-boot-esp = /boot/efi|' \
      -e 's|^grub-trial-tries = \(.*\)$|systemd-boot-trial-tries = \1|' \
      -e 's|^# update.conf of the end-to-end test images .*$|# update.conf of the systemd-boot end-to-end test images (tests/e2e/scenarios/systemd-boot.sh).|' \
      "$d/overlay-v$v/etc/updater/update.conf"
    grep -q '^bootloader = systemd-boot$' "$d/overlay-v$v/etc/updater/update.conf" \
      && grep -q '^systemd-boot-trial-tries = 1$' "$d/overlay-v$v/etc/updater/update.conf" \
      && ! grep -q '^grub' "$d/overlay-v$v/etc/updater/update.conf" \
      || e2e_die "sdboot_assets: update.conf of v$v is not the systemd-boot one: $(tr '\n' '|' < "$d/overlay-v$v/etc/updater/update.conf")"
    { _sdboot_hook_prelude; cat "$d/hook-v$v.sh"; } > "$d/hook-v$v.sh.new"
    mv "$d/hook-v$v.sh.new" "$d/hook-v$v.sh"
    e2e_cached_slot "sdboot-v$v" --image "v$v" --release "$v.0.0" --overlay "$d/overlay-v$v" --hook "$d/hook-v$v.sh" >/dev/null
  done
  for v in 2 4; do
    update_host bundle create -o "$d/bundles/v$v.bundle" -k "$d/e2e-keys/bundle.key" --compatible "$E2E_UPDATE_COMPATIBLE" \
      --version "$v.0.0" --description "end-to-end test image v$v (systemd-boot)" "rootfs=$E2E_BUILD/slots/sdboot-v$v.img" >/dev/null
  done
  e2e_log "systemd-boot assets: key, images v1 v2 v4, bundles $(cd "$d/bundles" && ls -s --block-size=K -- *.bundle | tr '\n' ' ')in $(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))"
}
e2e_prepare_for 'sdboot_*' sdboot_assets

# _sdboot_scenario: what every scenario here starts with: the boot logs' before/after files hold the entry names.
_sdboot_scenario() {
  SCEN_STATE_SUMMARY=sdboot_summary
  SCEN_STATE_NAME="loader/entries"
}

# sdboot_update_disk DISK VERSION...: slot A holds the factory image v1, slot B is empty, /data/bundles holds the
# bundles of VERSION...; the ESP boots systemd-boot, entries in the factory state.
sdboot_update_disk() {
  local disk=$1 v data; shift
  data="$SCEN_DIR/data"
  mkdir -p "$data/bundles"
  for v in "$@"; do cp "$(sdboot_dir)/bundles/v$v.bundle" "$data/bundles/"; done
  sdboot_disk "$disk" --a "$E2E_BUILD/slots/sdboot-v1.img" --data "$data"
  assert_eq "$(sdboot_summary "$disk")" "updater-0-b+0.conf updater-1-a.conf" "ESP loader/entries of the new disk"
}

# assert_guest_entries NAMES: the names the image's hook found in loader/entries at its start (the last boot).
assert_guest_entries() {
  assert_eq "$(serial_marker "$LOG" ENTRIES || echo none)" "$1" "loader/entries the guest found at the start of boot $SCEN_BOOTS (log $LOG)"
}

# assert_loader SELECTED COUNT_PATH: the EFI variables systemd-boot set for the last boot, as the image's hook read
# them: LoaderEntrySelected (the id of the entry it booted: its file name as it found it, before any rename) and
# LoaderBootCountPath (the entry's path after the rename; "-": unset, the entry was not counted).
assert_loader() {
  assert_eq "$(serial_marker "$LOG" LOADER || echo none)" "selected=$1 count-path=$2" "systemd-boot's EFI variables in boot $SCEN_BOOTS (log $LOG)"
}

# _sdboot_boot_installs VERSION: boot 1: A (v1, committed) installs vVERSION and reboots; B's entry becomes the
# trial with one try at the next generation.
_sdboot_boot_installs() {
  local v=$1 hook
  hook=$(update_install_hook "install-v$v" "$v")
  scenario_boot "$SCEN_DIR/disk.img" 300 "$hook"
  assert_boot_rc 0
  assert_booted A v1
  # systemd-boot booted the committed entry and renamed nothing.
  assert_guest_entries "updater-0-b+0.conf updater-1-a.conf"
  assert_loader updater-1-a.conf -
  assert_json health '.booted_slot == "A" and .verdict == "pass" and .action == "none"' "health of the factory slot A"
  # No problems anywhere: status compares systemd-boot's LoaderEntrySelected with updater.slot= and would list a mismatch.
  assert_json status-before '.booted_slot == "A" and .next_boot == "A" and (.problems | length) == 0 and (.slots[] | select(.bootname == "B") | .state == "unrecorded")' "status before the install"
  assert_marker INSTALL '^rc=0$'
  assert_marker INSTALL "^installed $v\\.0\\.0 into slot B "
  assert_json status ".booted_slot == \"A\" and .next_boot == \"B\" and .install_in_progress == null and (.problems | length) == 0
    and (.slots[] | select(.bootname == \"B\") | .state == \"installed\" and .version == \"$v.0.0\" and .boot_trial == true and .boot_good == true)" \
    "status after installing v$v"
  assert_marker END '^reboot$'
  assert_sdboot_entries "$SCEN_DIR/disk.img" "updater-1-a.conf" "updater-2-b+1.conf"
}

e2e_scenario sdboot_update_good "real systemd-boot: A installs v2 (updater-2-b+1), B's try is counted (+0-1) and booted, health commits it; again B"
scenario_sdboot_update_good() {
  local disk="$SCEN_DIR/disk.img" hook
  _sdboot_scenario
  sdboot_update_disk "$disk" 2
  _sdboot_boot_installs 2

  # Boot 2: systemd-boot sorts updater-2-b+1 first, renames it +0-1 and boots B; its verdict passes and commits it.
  hook=$(update_status_hook status)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_booted B v2
  assert_guest_entries "updater-1-a.conf updater-2-b+0-1.conf"
  assert_loader 'updater-2-b+1.conf' '\loader\entries\updater-2-b+0-1.conf'
  assert_json health '.booted_slot == "B" and .version == "2.0.0" and .trial == true and .verdict == "pass" and .action == "committed"' "health of the trial boot of v2"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and .rollback == null and (.problems | length) == 0
    and (.slots[] | select(.bootname == "B") | .version == "2.0.0" and .boot_good == true and .boot_trial == false)' "status after B's verdict"
  # The updater read what systemd-boot left in efivarfs; LoaderEntrySelected, the name before the rename, names B.
  assert_json status '.bootloader_variables.LoaderEntrySelected == "updater-2-b+1.conf"
    and .bootloader_variables.LoaderBootCountPath == "\\loader\\entries\\updater-2-b+0-1.conf"' "systemd-boot's variables in the status"
  assert_sdboot_entries "$disk" "updater-1-a.conf" "updater-2-b.conf"

  # Boot 3: still B, committed: systemd-boot boots it uncounted and renames nothing.
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_booted B v2
  assert_guest_entries "updater-1-a.conf updater-2-b.conf"
  assert_loader updater-2-b.conf -
  assert_json health '.booted_slot == "B" and .trial == false and .verdict == "pass" and .action == "none"' "health of committed B"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and (.problems | length) == 0 and (.slots[] | select(.bootname == "B") | .version == "2.0.0")' "status on the second boot of B"
  assert_env_unchanged
}

e2e_scenario sdboot_update_hang "real systemd-boot: v4 panics on its one try (+0-1); systemd-boot sorts it last, boots A, which records no-verdict"
scenario_sdboot_update_hang() {
  local disk="$SCEN_DIR/disk.img" hook
  _sdboot_scenario
  sdboot_update_disk "$disk" 4
  _sdboot_boot_installs 4

  # Boot 2: systemd-boot counts B's only try (+1 -> +0-1) and boots it; the kernel panics before any verdict.
  scenario_boot "$disk" 180
  assert_boot_rc 0
  assert_booted B v4
  assert_guest_entries "updater-1-a.conf updater-2-b+0-1.conf"
  assert_loader 'updater-2-b+1.conf' '\loader\entries\updater-2-b+0-1.conf'
  assert_marker PANIC 'crashes before its health verdict'
  serial_clean "$LOG" | grep -a 'Kernel panic' >/dev/null || e2e_fail "boot $SCEN_BOOTS: no kernel panic in $LOG"
  ! serial_block_cut "$LOG" health >/dev/null || e2e_fail "boot $SCEN_BOOTS: v4 reached a health verdict"
  assert_sdboot_entries "$disk" "updater-1-a.conf" "updater-2-b+0-1.conf"

  # Boot 3: B's entry is at +0, sorted last: systemd-boot boots A (renaming nothing); health records the rollback
  # (no verdict) and marks B bad (+0).
  hook=$(update_status_hook status)
  scenario_boot "$disk" 180 "$hook"
  assert_boot_rc 0
  assert_booted A v1
  assert_guest_entries "updater-1-a.conf updater-2-b+0-1.conf"
  assert_loader updater-1-a.conf -
  assert_json health '.booted_slot == "A" and .rollback_recorded.reason == "no-verdict"' "health on A after the crashed trial"
  assert_json status '.booted_slot == "A" and .next_boot == "A" and .rollback_recorded == true and (.problems | length) == 0
    and .rollback.from_slot == "B" and .rollback.to_slot == "A" and .rollback.version == "4.0.0" and .rollback.reason == "no-verdict"' "status on A after the crash"
  e2e_log "rollback shown by status: $(json_of status '.rollback.explanation')"
  assert_sdboot_entries "$disk" "updater-1-a.conf" "updater-2-b+0.conf"
}
