# SPDX-License-Identifier: Apache-2.0
# The arm64 scenarios: the virt board of lib/arm64.sh, a real U-Boot running dist/boot.cmd as boot.scr, the
# environment in NOR flash, which the cross-built arm64 updater writes through /dev/mtd0 (erase, program, obsolete
# flag) and boot.cmd's saveenv writes from U-Boot. Each scenario asserts on the guest's `updater status --json` and
# `updater health --json` and on the environment the host reads from the flash image with fw_printenv.
#
# Images (arm64 kernel, initramfs with the CFI flash modules, the arm64 updater), built once per run by arm64_assets:
#   v1 factory image in slot A; v2 (2.0.0) passes its health check; v3 (3.0.0) fails it; v4 (4.0.0) panics before
#   its verdict. Their update.conf: bootloader uboot, uboot-env /dev/mtd0 at 0x4000000 and 0x4040000 (the second
#   flash bank), one trial boot. The first boot of every disk finds erased flash: U-Boot runs with its built-in
#   environment and boot.cmd saves its defaults (slot A, committed) before it boots A.

arm64_dir() { echo "$E2E_BUILD/arm64"; }

# _arm64_overlay DIR VERSION: the update scenarios' overlay (lib: scenarios/updates.sh), with the U-Boot update.conf.
_arm64_overlay() {
  local o=$1 v=$2
  ( update_dir() { arm64_dir; }; _update_overlay "$o" "$v" )
  cat > "$o/etc/updater/update.conf" <<EOF
# update.conf of the arm64 end-to-end images (tests/e2e/scenarios/arm64.sh).
[system]
compatible = $E2E_UPDATE_COMPATIBLE
bootloader = uboot
uboot-env = /dev/mtd0
uboot-env-offset = $E2E_ARM64_ENV_ADDR
uboot-env-size = $E2E_ARM64_ENV_SIZE
uboot-env-redundant-offset = $E2E_ARM64_ENV_REDUND_ADDR
uboot-trial-tries = 1
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
timeout = 120s
EOF
}

# arm64_assets: U-Boot, boot.scr, kernel and initramfs, the arm64 updater, images v1-v4 and bundles v2-v4.
arm64_assets() {
  local d v t0 uboot published
  t0=$(e2e_now_ms)
  d=$(arm64_dir)
  rm -rf "$d"
  mkdir -p "$d/bundles"
  uboot=$(arm64_uboot_build)
  head -c "$E2E_ARM64_FLASH_BYTES" /dev/zero > "$d/flash0.img"
  dd if="$uboot" of="$d/flash0.img" conv=notrunc status=none
  # dist/boot.cmd with this board's settings, as a board's image build sets them: the disk is virtio 0, the
  # kernel is the slot's /boot/vmlinuz (an arm64 Image), the console the PL011 UART.
  sed -e 's/^updater_devtype=.*/updater_devtype=virtio/' \
      -e 's|^updater_kernel=.*|updater_kernel=/boot/vmlinuz|' \
      -e 's/^updater_bootargs=.*/updater_bootargs="panic=5 rootwait console=ttyAMA0"/' \
      "$E2E_REPO/dist/boot.cmd" > "$d/boot.cmd"
  grep -qx 'updater_devtype=virtio' "$d/boot.cmd" && grep -qx 'updater_kernel=/boot/vmlinuz' "$d/boot.cmd" \
    && grep -q '^updater_bootargs="panic=5 rootwait console=ttyAMA0"$' "$d/boot.cmd" \
    || e2e_die "dist/boot.cmd no longer has the board settings lib/arm64.sh replaces"
  mkimage -A arm64 -T script -C none -n updater -d "$d/boot.cmd" "$d/boot.scr" > /dev/null || e2e_die "mkimage of boot.scr failed"
  arm64_kernel_fetch
  ( E2E_BUSYBOX=$(arm64_busybox) KERNEL_MODULES=$ARM64_KERNEL_MODULES E2E_EXTRA_MODULES=$ARM64_EXTRA_MODULES \
      E2E_MODULES=$E2E_ARM64_MODULES; initramfs_build "$d/initrd.img" )
  published=$(nice bash "$E2E_REPO/tests/publish-aot.sh" --rid linux-arm64 | sed -n '$p') || e2e_die "publish for linux-arm64 failed"
  [ -x "$published/updater" ] || e2e_die "no arm64 updater in $published"
  update_host keygen "$d/e2e-keys" > /dev/null
  # libubootenv's fw_printenv/fw_setenv for arm64, with the fw_env.config of this board: the guest's own tools
  # read and write the environment the updater and U-Boot write.
  rm -rf "$d/libubootenv"
  dpkg -x "$(_arm64_deb libubootenv-tool:arm64)" "$d/libubootenv"
  dpkg -x "$(_arm64_deb libubootenv0.1:arm64)" "$d/libubootenv"
  for v in 1 2 3 4; do
    _arm64_overlay "$d/overlay-v$v" "$v"
    mkdir -p "$d/overlay-v$v/usr/bin" "$d/overlay-v$v/lib/aarch64-linux-gnu"
    cp -L "$d/libubootenv/usr/bin/fw_printenv" "$d/libubootenv/usr/bin/fw_setenv" "$d/overlay-v$v/usr/bin/"
    cp -L "$d/libubootenv/usr/lib/aarch64-linux-gnu/libubootenv.so.0" "$d/overlay-v$v/lib/aarch64-linux-gnu/"
    printf '/dev/mtd0 %s %s %s\n' "$E2E_ARM64_ENV_ADDR" "$E2E_ARM64_ENV_SIZE" "$E2E_ARM64_ENV_SECT_SIZE" \
      "$E2E_ARM64_ENV_REDUND_ADDR" "$E2E_ARM64_ENV_SIZE" "$E2E_ARM64_ENV_SECT_SIZE" > "$d/overlay-v$v/etc/fw_env.config"
    ( E2E_ARCH=arm64 E2E_BUSYBOX=$(arm64_busybox)
      rootfs_build "$d/v$v.img" --image "v$v" --release "$v.0.0" --overlay "$d/overlay-v$v" --hook "$d/hook-v$v.sh" \
        --kernel "$ARM64_KERNEL_IMAGE" --initrd "$d/initrd.img" --updater "$published" )
  done
  for v in 2 3 4; do
    update_host bundle create -o "$d/bundles/v$v.bundle" -k "$d/e2e-keys/bundle.key" --compatible "$E2E_UPDATE_COMPATIBLE" \
      --version "$v.0.0" --description "arm64 end-to-end test image v$v" "rootfs=$d/v$v.img" > /dev/null
  done
  e2e_log "arm64 assets: U-Boot $(cat "$(dirname "$uboot")/version"), kernel $ARM64_KERNEL_VERSION, images v1-v4, bundles, in $(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))"
}
e2e_prepare_for 'arm64_*' arm64_assets

# arm64_disk DISK VERSION...: GPT disk, partition 1 (FAT) holds boot.scr, slot A v1, slot B empty, the bundles of
# VERSION... on the data partition; the flash that goes with it is erased.
arm64_disk() {
  local disk=$1 v data tmp; shift
  data="$SCEN_DIR/data"
  mkdir -p "$data/bundles"
  for v in "$@"; do cp "$(arm64_dir)/bundles/v$v.bundle" "$data/bundles/"; done
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e-arm64.XXXXXX")
  mkfs.vfat -C -n BOOT "$tmp/boot.img" $((E2E_ESP_MB * 1024)) > /dev/null
  mcopy -i "$tmp/boot.img" "$(arm64_dir)/boot.scr" ::/boot.scr
  data_build "$tmp/data.img" "$data"
  disk_create "$disk" "$tmp/boot.img" "$(arm64_dir)/v1.img" - "$tmp/data.img"
  rm -rf "$tmp"
  rm -f "${disk%.img}.env-flash.img"
}

# arm64_machine: what every arm64 scenario sets first.
arm64_machine() {
  E2E_MACHINE=arm64
  E2E_ARM64_FLASH0="$(arm64_dir)/flash0.img"
  E2E_KEEP_WARM_VARS=0
  SCEN_STATE_SUMMARY=uboot_env_summary
  SCEN_STATE_NAME="U-Boot environment"
}

assert_uboot_choice() { assert_eq "$(serial_uboot_choice "$LOG")" "$1" "boot.cmd's choice in boot $SCEN_BOOTS (log $LOG)"; }

# _arm64_boot_installs VERSION: boot 1: erased flash, boot.cmd saves its defaults and boots A, which installs VERSION.
_arm64_boot_installs() {
  local v=$1 hook
  hook=$(update_install_hook "install-v$v" "$v")
  scenario_boot "$SCEN_DIR/disk.img" 420 "$hook"
  assert_boot_rc 0
  serial_clean "$LOG" | grep -a 'updater: fresh environment: saving the defaults' > /dev/null \
    || e2e_fail "boot.cmd did not save its defaults on erased flash ($LOG)"
  assert_uboot_choice "slot A"
  assert_booted A v1
  assert_json health '.booted_slot == "A" and .verdict == "pass" and .action == "none"' "health of the factory slot A"
  assert_marker INSTALL '^rc=0$'
  assert_marker INSTALL "^installed $v\\.0\\.0 into slot B "
  assert_json status ".booted_slot == \"A\" and .next_boot == \"B\"
    and (.slots[] | select(.bootname == \"B\") | .state == \"installed\" and .version == \"$v.0.0\" and .boot_trial == true)" \
    "status after installing v$v"
  assert_uboot_env "$SCEN_DIR/disk.img" BOOT_ORDER="B A" BOOT_B_LEFT=1 BOOT_B_TRIAL=1 BOOT_A_TRIAL=0
  # The updater wrote the copy that was not current and obsoleted the other: exactly one is active.
  case "$(uboot_env_flags "$SCEN_DIR/disk.img")" in "1 0"|"0 1") ;; *) e2e_fail "flags after the install: $(uboot_env_flags "$SCEN_DIR/disk.img")" ;; esac
}

e2e_scenario arm64_good "arm64, real U-Boot: install v2 on A, boot.cmd counts B's trial, health commits it; B again; fw_setenv in the guest"
scenario_arm64_good() {
  arm64_machine
  local disk="$SCEN_DIR/disk.img" hook
  arm64_disk "$disk" 2
  _arm64_boot_installs 2

  hook=$(update_status_hook status)
  scenario_boot "$disk" 300 "$hook"
  assert_boot_rc 0
  assert_uboot_choice "slot B"
  serial_clean "$LOG" | grep -a 'updater: slot B on trial, 0 boots left after this one' > /dev/null \
    || e2e_fail "boot.cmd did not count B's trial ($LOG)"
  assert_booted B v2
  assert_json health '.booted_slot == "B" and .version == "2.0.0" and .trial == true and .verdict == "pass" and .action == "committed"' "health of B's trial"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and (.problems | length) == 0' "status after B's verdict"
  assert_uboot_env "$disk" BOOT_ORDER="B A" BOOT_B_TRIAL=0 BOOT_B_LEFT=1

  scenario_boot "$disk" 300 "$hook"
  assert_boot_rc 0
  assert_uboot_choice "slot B"
  assert_booted B v2
  assert_json health '.booted_slot == "B" and .trial == false and .action == "none"' "health of committed B"
  assert_env_unchanged

  # libubootenv on the same NOR flash (it uses the active/obsolete flags there too): fw_setenv writes over the
  # updater's copies, and the updater reads what it wrote.
  hook=$(update_status_hook fw-setenv 'mkdir -p /var/lock
e2e_block fw-setenv fw_setenv e2e_from fw_setenv')
  scenario_boot "$disk" 300 "$hook"
  assert_boot_rc 0
  assert_uboot_choice "slot B"
  assert_eq "$(serial_block_rc "$LOG" fw-setenv)" 0 "exit status of fw_setenv in the guest ($(serial_block_cut "$LOG" fw-setenv | tr '\n' ' '))"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and .bootloader_variables.e2e_from == "fw_setenv" and (.problems | length) == 0' "status after fw_setenv"
  assert_uboot_env "$disk" e2e_from=fw_setenv BOOT_ORDER="B A" BOOT_B_TRIAL=0
  case "$(uboot_env_flags "$disk")" in "1 0"|"0 1") ;; *) e2e_fail "flags after fw_setenv: $(uboot_env_flags "$disk")" ;; esac
}

e2e_scenario arm64_bad "arm64, real U-Boot: v3's check fails on its trial: marked bad, boot.cmd boots A, the rollback is reported"
scenario_arm64_bad() {
  arm64_machine
  local disk="$SCEN_DIR/disk.img" hook
  arm64_disk "$disk" 3
  _arm64_boot_installs 3

  scenario_boot "$disk" 300
  assert_boot_rc 0
  assert_uboot_choice "slot B"
  assert_booted B v3
  assert_json health '.booted_slot == "B" and .verdict == "fail" and .action == "marked-bad" and .reboot == true' "health of v3's trial"
  assert_marker REBOOT-COMMAND 'reboots'
  assert_uboot_env "$disk" BOOT_B_LEFT=0

  hook=$(update_status_hook status)
  scenario_boot "$disk" 300 "$hook"
  assert_boot_rc 0
  assert_uboot_choice "slot A"
  assert_booted A v1
  assert_json status '.booted_slot == "A" and .rollback.version == "3.0.0" and .rollback.reason == "health-failed"
    and (.rollback.explanation | test("cannot open /etc/e2e-app.conf"))' "status on A after the rollback"
}

e2e_scenario arm64_hang "arm64, real U-Boot: v4 panics on its trial before any verdict; its used-up try sends the next boot to A"
scenario_arm64_hang() {
  arm64_machine
  local disk="$SCEN_DIR/disk.img" hook
  arm64_disk "$disk" 4
  _arm64_boot_installs 4

  scenario_boot "$disk" 300
  assert_boot_rc 0
  assert_uboot_choice "slot B"
  assert_booted B v4
  assert_marker PANIC 'crashes before its health verdict'
  assert_uboot_env "$disk" BOOT_ORDER="B A" BOOT_B_LEFT=0 BOOT_B_TRIAL=1

  hook=$(update_status_hook status)
  scenario_boot "$disk" 300 "$hook"
  assert_boot_rc 0
  assert_uboot_choice "slot A"
  assert_booted A v1
  assert_json status '.booted_slot == "A" and .rollback.version == "4.0.0" and .rollback.reason == "no-verdict"' "status on A after the crash"
}

# The moments of arm64_power_cut, as update_power_cut's (scenarios/updates.sh): before the first write, during
# it, and right after the commit point (the environment written through /dev/mtd0).
E2E_ARM64_POWER_CUT_MOMENTS=${E2E_ARM64_POWER_CUT_MOMENTS:-"-1|10 30|5 70|3 done|0"}

e2e_scenario arm64_power_cut "arm64, real U-Boot: SIGKILL during an install, right after its commit point, and during U-Boot's saveenv of B's trial count"
scenario_arm64_power_cut() {
  arm64_machine
  local disk="$SCEN_DIR/disk.img" hook i=0 spec min max delay completed=0 journal=0 left
  arm64_disk "$disk" 2
  hook=$(update_install_hook install-v2 2)
  : > "$SCEN_DIR/cuts"
  for spec in $E2E_ARM64_POWER_CUT_MOMENTS; do
    i=$((i + 1))
    min=${spec%|*}; max=${spec##*|}
    scenario_boot_start "$disk" 420 "$hook"
    local deadline=$(( $(date +%s) + 400 ))
    until _install_reached "$LOG" "$min"; do
      kill -0 "$BOOT_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] || e2e_fail "cut $i: the install never reached $min ($LOG)"
      sleep 0.1
    done
    delay=$(awk -v r="$RANDOM" -v m="$max" 'BEGIN { printf "%.1f", (m ? r % (m + 1) : 0) / 10 }')
    sleep "$delay"
    scenario_boot_kill
    assert_boot_rc 137
    assert_booted A v1
    printf 'cut %d: %ss after %s; last progress seen: %s\n' "$i" "$delay" \
      "$(case "$min" in done) echo "its end" ;; -*) echo "its start" ;; *) echo "${min}%" ;; esac)" "$(_install_last_progress "$LOG")" | tee -a "$SCEN_DIR/cuts" >&2
    if serial_has "$LOG" INSTALL '^installed 2\.0\.0 into slot B '; then
      completed=1
      # An earlier cut after the first write left the journal: this install went on from it.
      [ "$journal" = 0 ] || assert_marker INSTALL '^installed 2\.0\.0 into slot B .*\(resumed\)'
      assert_uboot_env "$disk" BOOT_ORDER="B A" BOOT_B_LEFT=1 BOOT_B_TRIAL=1
      break
    fi
    # Not finished: boot.cmd must not boot B.
    assert_uboot_env "$disk" BOOT_ORDER="A B" BOOT_B_LEFT=0
    [ "$(_install_last_progress "$LOG")" = none ] || journal=1
  done
  [ "$completed" = 1 ] || e2e_fail "no cut came after the commit point (moments: $E2E_ARM64_POWER_CUT_MOMENTS)"

  # U-Boot's own write: boot.cmd counts B's trial with saveenv (erase, program, obsolete flag); cut while it
  # writes. The next boot finds the old count (B gets its trial again) or the new one (B's try is used up: A).
  scenario_boot_start "$disk" 300
  local deadline=$(( $(date +%s) + 120 ))
  until serial_clean "$LOG" | grep -a -q 'Writing to Flash'; do
    kill -0 "$BOOT_PID" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] || e2e_fail "U-Boot never saved B's trial count ($LOG)"
    sleep 0.05
  done
  scenario_boot_kill
  left=$(uboot_env_get "$disk" BOOT_B_LEFT)
  printf 'cut %d: during U-Boot saveenv of the trial count: BOOT_B_LEFT=%s afterwards (flags %s)\n' "$((i + 1))" "${left:-none}" "$(uboot_env_flags "$disk")" | tee -a "$SCEN_DIR/cuts" >&2
  assert_uboot_env "$disk" BOOT_ORDER="B A" BOOT_B_TRIAL=1 BOOT_A_LEFT=3 BOOT_A_TRIAL=0
  case "$left" in
    1) # the old environment: B's trial again, which passes and is committed
      hook=$(update_status_hook status)
      scenario_boot "$disk" 300 "$hook"
      assert_boot_rc 0
      assert_uboot_choice "slot B"
      assert_booted B v2
      assert_json health '.booted_slot == "B" and .version == "2.0.0" and .verdict == "pass" and .action == "committed"' "health of B after the cuts"
      assert_uboot_env "$disk" BOOT_ORDER="B A" BOOT_B_TRIAL=0 ;;
    0) # the new one: B's only try was spent by the cut boot, so A, which records that B never gave a verdict
      hook=$(update_status_hook status)
      scenario_boot "$disk" 300 "$hook"
      assert_boot_rc 0
      assert_uboot_choice "slot A"
      assert_booted A v1
      assert_json status '.booted_slot == "A" and .rollback.version == "2.0.0" and .rollback.reason == "no-verdict"' "status on A after the cut trial" ;;
    *) e2e_fail "after a cut during saveenv, BOOT_B_LEFT is '${left}', neither the old 1 nor the new 0 ($(uboot_env_summary "$disk"))" ;;
  esac
  sed 's/^/  /' "$SCEN_DIR/cuts" >&2
}

e2e_scenario arm64_rollback "arm64, real U-Boot: after v2 is committed, updater rollback on B and a reboot bring back A"
scenario_arm64_rollback() {
  arm64_machine
  local disk="$SCEN_DIR/disk.img" hook
  arm64_disk "$disk" 2
  _arm64_boot_installs 2
  hook=$(scenario_hook commit-and-rollback <<'EOF'
e2e_block rollback updater rollback --json
e2e_block status updater status --json
e2e_reboot
EOF
)
  scenario_boot "$disk" 300 "$hook"
  assert_boot_rc 0
  assert_uboot_choice "slot B"
  assert_booted B v2
  assert_json health '.booted_slot == "B" and .action == "committed"' "health of B's trial"
  assert_json rollback '.action == "rollback" and .bootname == "A" and .next_boot == "A"' "updater rollback --json"
  assert_uboot_env "$disk" BOOT_ORDER="A B" BOOT_A_TRIAL=0

  hook=$(update_status_hook status)
  scenario_boot "$disk" 300 "$hook"
  assert_boot_rc 0
  assert_uboot_choice "slot A"
  assert_booted A v1
  assert_json status '.booted_slot == "A" and .rollback.reason == "manual" and .rollback.version == "2.0.0"' "status on A after the manual rollback"
}
