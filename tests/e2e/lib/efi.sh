# SPDX-License-Identifier: Apache-2.0
# The efi variant of the test disk: the firmware's own boot manager picks the slot. Each slot is a boot option of
# OVMF's variable store (Boot0010 for A, Boot0011 for B) that starts the kernel's EFI stub on the ESP with the slot's
# command line; the updater's efi backend writes BootNext (a trial), BootOrder (commit, bad, rollback) through
# efivarfs. The host reads the variable store back after each boot with the real efibootmgr (lib/ovmf-vars.py copies
# its live variables into an efivarfs-style directory, EFIVARFS_PATH). Source after common.sh, disk.sh, sdboot.sh.
#
# ESP (FAT, label ESP):
#   /a/vmlinuz /a/initrd.img, /b/...   what the boot options start
#   /EFI/BOOT/BOOTX64.EFI              systemd-boot, the removable-media path a fresh variable store falls back to,
#   /loader/entries/provision.conf     with one entry: slot A with the verdict units masked, the factory's first boot
# The factory boot (efi_provision, once per run) runs efibootmgr in the guest to create both options, B out of
# BootOrder (never written); its variable store is the one every efi disk starts with (the disks' GUIDs are fixed,
# so the options' HD() paths fit them all).

E2E_EFI_BOOT_A=0010
E2E_EFI_BOOT_B=0011
E2E_EFI_VENDOR=16fe2ce9-c076-481d-a939-3251e2f90409
E2E_EFI_GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c

efi_dir() { echo "$E2E_BUILD/efi"; }

# efi_esp_build OUT: the ESP of an efi disk.
efi_esp_build() {
  local out=$1 tmp s
  sdboot_require
  rm -f "$out"
  mkfs.vfat -C -n ESP "$out" $((E2E_ESP_MB * 1024)) >/dev/null || e2e_die "mkfs.vfat failed"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e-efi.XXXXXX")
  printf 'timeout 0\n' > "$tmp/loader.conf"
  E2E_SDBOOT_OPTIONS="${E2E_SDBOOT_OPTIONS:+$E2E_SDBOOT_OPTIONS }systemd.mask=updater-health.service systemd.mask=updater-commit.service e2e.provision=1" \
    sdboot_entry A > "$tmp/provision.conf"
  mmd -i "$out" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries ::/a ::/b
  mcopy -i "$out" "$E2E_SDBOOT_EFI" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$out" "$tmp/loader.conf" ::/loader/loader.conf
  mcopy -i "$out" "$tmp/provision.conf" ::/loader/entries/
  for s in a b; do
    mcopy -i "$out" "$E2E_BUILD/vmlinuz" "::/$s/vmlinuz"
    mcopy -i "$out" "$E2E_BUILD/initrd.img" "::/$s/initrd.img"
  done
  rm -rf "$tmp"
}

# efi_disk DISK --a IMG [--b IMG] [--data DIR]: a complete efi disk; its variable store is the provisioned one
# (efi_provision), unless --factory: then OVMF's empty template (the factory boot itself).
efi_disk() {
  local disk=$1 a= b=- data= factory=0; shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --a) a=$2; shift 2 ;;
      --b) b=$2; shift 2 ;;
      --data) data=$2; shift 2 ;;
      --factory) factory=1; shift ;;
      *) e2e_die "efi_disk: unknown option $1" ;;
    esac
  done
  [ -n "$a" ] || e2e_die "efi_disk: --a IMG is required"
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e-disk.XXXXXX")
  efi_esp_build "$tmp/esp.img"
  data_build "$tmp/data.img" "$data"
  disk_create "$disk" "$tmp/esp.img" "$a" "$b" "$tmp/data.img"
  rm -rf "$tmp"
  rm -f "${disk%.img}.vars.fd"
  if [ "$factory" = 0 ]; then
    [ -f "$(efi_dir)/vars.provisioned.fd" ] || e2e_die "no provisioned variable store (efi_provision)"
    cp "$(efi_dir)/vars.provisioned.fd" "${disk%.img}.vars.fd"
  else
    cp "$OVMF_VARS_TEMPLATE" "${disk%.img}.vars.fd"
  fi
}

# efi_vars DISK: the disk's variable store as an efivarfs-style directory ($(dirname DISK)/efivars, made anew); prints
# its path. The real efibootmgr reads it with EFIVARFS_PATH=DIR/.
efi_vars() {
  local dir
  dir="$(dirname "$1")/efivars"
  rm -rf "$dir"
  python3 "$E2E_DIR/lib/ovmf-vars.py" "${1%.img}.vars.fd" "$dir" || e2e_die "cannot read the variable store of $1"
  echo "$dir"
}

# efi_efibootmgr DISK [ARGS]: efibootmgr's view of the disk's variable store (read only).
efi_efibootmgr() {
  local dir
  dir=$(efi_vars "$1"); shift
  EFIVARFS_PATH="$dir/" efibootmgr "$@"
}

# efi_summary DISK: BootOrder, BootNext and the updater's trial marker on one line, as efibootmgr and the store say.
efi_summary() {
  local out dir order next trial=-
  out=$(efi_efibootmgr "$1") || return 1
  dir="$(dirname "$1")/efivars"
  order=$(printf '%s\n' "$out" | sed -n 's/^BootOrder: //p')
  next=$(printf '%s\n' "$out" | sed -n 's/^BootNext: //p')
  [ ! -f "$dir/UpdaterTrial-$E2E_EFI_VENDOR" ] || trial=$(tail -c +5 "$dir/UpdaterTrial-$E2E_EFI_VENDOR" | tr -d '\000')
  printf 'BootOrder=%s BootNext=%s UpdaterTrial=%s\n' "${order:--}" "${next:--}" "${trial:--}"
}

# assert_efi ORDER_PREFIX NEXT [ABSENT]: BootOrder starts with ORDER_PREFIX (comma-separated), BootNext is NEXT ("-":
# unset), and the option ABSENT (if given) is not in BootOrder at all; both slot options exist and are active.
assert_efi() {
  local want=$1 next=$2 absent=${3:-} out order got_next
  out=$(efi_efibootmgr "$SCEN_DIR/disk.img" -v)
  order=$(printf '%s\n' "$out" | sed -n 's/^BootOrder: //p')
  got_next=$(printf '%s\n' "$out" | sed -n 's/^BootNext: //p')
  case ",$order," in ",$want,"*) ;; *) e2e_fail "BootOrder after boot $SCEN_BOOTS: expected it to start with $want, got '$order' ($(efi_summary "$SCEN_DIR/disk.img"))" ;; esac
  assert_eq "${got_next:--}" "$next" "BootNext after boot $SCEN_BOOTS ($(efi_summary "$SCEN_DIR/disk.img"))"
  if [ -n "$absent" ]; then
    case ",$order," in *",$absent,"*) e2e_fail "BootOrder after boot $SCEN_BOOTS still holds $absent: '$order'" ;; esac
  fi
  printf '%s\n' "$out" | grep -q "^Boot$E2E_EFI_BOOT_A\* Updater slot A" || e2e_fail "no active Boot$E2E_EFI_BOOT_A for slot A: $out"
  printf '%s\n' "$out" | grep -q "^Boot$E2E_EFI_BOOT_B\* Updater slot B" || e2e_fail "no active Boot$E2E_EFI_BOOT_B for slot B: $out"
}

# efi_provision A_IMAGE: the factory's first boot of an efi disk (slot A holds A_IMAGE): the guest creates the slots'
# boot options with efibootmgr, A first, B out of BootOrder; the variable store becomes $(efi_dir)/vars.provisioned.fd.
efi_provision() {
  local a=$1 d disk hook cmdline
  d=$(efi_dir)
  mkdir -p "$d/provision"
  disk="$d/provision/disk.img"
  efi_disk "$disk" --a "$a" --factory
  cmdline="$(sdboot_cmdline)${E2E_SDBOOT_OPTIONS:+ $E2E_SDBOOT_OPTIONS}"
  hook="$d/provision/hook.sh"
  cat > "$hook" <<EOF
# The factory's first boot: one boot option per slot, each the kernel's EFI stub with the slot's command line.
for s in A B; do
  case \$s in A) n=$E2E_EFI_BOOT_A dir=a ;; B) n=$E2E_EFI_BOOT_B dir=b ;; esac
  efibootmgr -q -c -b \$n -d /dev/vda -p 1 -L "Updater slot \$s" -l "\\\\\$dir\\\\vmlinuz" \\
    -u "initrd=\\\\\$dir\\\\initrd.img updater.slot=\$s $cmdline" || e2e_mark PROVISION-FAIL "efibootmgr -c \$n"
done
# A first, B never written: out of BootOrder; the firmware's own options after them.
rest=\$(efibootmgr | sed -n 's/^BootOrder: //p' | tr ',' '\n' | grep -v -x -e $E2E_EFI_BOOT_A -e $E2E_EFI_BOOT_B | paste -sd, -)
efibootmgr -q -o "$E2E_EFI_BOOT_A\${rest:+,\$rest}" || e2e_mark PROVISION-FAIL "efibootmgr -o"
e2e_block efibootmgr efibootmgr -v
EOF
  SCEN_DIR="$d/provision" SCEN_LOGS="$E2E_LOGS/efi-provision" SCEN_BOOTS=0 LOG="$E2E_LOGS/efi-provision/boot-1.log"
  mkdir -p "$E2E_LOGS/efi-provision"
  boot_start "$disk" "$LOG" 400 "$hook"
  boot_wait
  [ "$BOOT_RC" = 0 ] || e2e_die "the efi factory boot ended with $BOOT_RC (log $LOG)"
  ! serial_has "$LOG" PROVISION-FAIL . || e2e_die "the efi factory boot failed: $(serial_markers "$LOG" PROVISION-FAIL | tr '\n' ' ') (log $LOG)"
  cp "${disk%.img}.vars.fd" "$d/vars.provisioned.fd"
  e2e_log "efi factory boot: $(efi_summary "$disk") in $(e2e_fmt_ms "$BOOT_MS")"
}
