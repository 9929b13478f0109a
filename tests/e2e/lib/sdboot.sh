# SPDX-License-Identifier: Apache-2.0
# The systemd-boot variant of the test disk: the same GPT layout (lib/disk.sh), but the ESP boots Debian's
# systemd-boot (systemd-boot-efi) instead of GRUB, and each slot's state is the name of its Boot Loader
# Specification entry in ESP/loader/entries/, which systemd-boot counts down itself (docs/bootloaders.md,
# "## systemd-boot"). Host side: the entry names read back with mtools, assertions on them.
# Source after common.sh, disk.sh and grubenv.sh (for _esp).
#
# ESP (FAT, label ESP):
#   /EFI/BOOT/BOOTX64.EFI          systemd-bootx64.efi (the removable-media path: OVMF boots it on a fresh disk)
#   /loader/loader.conf            timeout 0, no default (the backend refuses a default that pins one entry)
#   /loader/entries/updater-1-a.conf     slot A, committed (the factory state)
#   /loader/entries/updater-0-b+0.conf   slot B, marked bad: never written
#   /a/vmlinuz /a/initrd.img       the kernel and initramfs the GRUB disks boot from the slots' /boot,
#   /b/vmlinuz /b/initrd.img       the same files for both slots (an update does not change the kernel here)
# Each entry's options are the command line dist/grub.cfg passes for that slot: updater.slot=A|B and
# grub.cfg's updater_cmdline; the initramfs finds the slot by updater.slot=, as on the GRUB disks.

E2E_SDBOOT_EFI=${E2E_SDBOOT_EFI:-/usr/lib/systemd/boot/efi/systemd-bootx64.efi}
# More kernel command line for the entries (the systemd guests: systemd.show_status=error).
E2E_SDBOOT_OPTIONS=${E2E_SDBOOT_OPTIONS:-}

# sdboot_require: stops when systemd-boot's EFI binary is missing.
sdboot_require() {
  [ -r "$E2E_SDBOOT_EFI" ] || e2e_die "no $E2E_SDBOOT_EFI (apt-get install systemd-boot-efi; see tests/e2e/install-deps.sh)"
}

# sdboot_cmdline: what dist/grub.cfg (the one this run boots, $E2E_BUILD/grub.cfg) appends after updater.slot=.
sdboot_cmdline() {
  local c
  c=$(sed -n 's/^set updater_cmdline="\(.*\)"$/\1/p' "$E2E_BUILD/grub.cfg" | sed -n '$p')
  [ -n "$c" ] || e2e_die "no 'set updater_cmdline=\"...\"' in $E2E_BUILD/grub.cfg"
  printf '%s\n' "$c"
}

# sdboot_entry SLOT: the Type #1 entry of SLOT (A or B) as the integrator provisions it.
sdboot_entry() {
  local slot=$1 dir
  dir=$(printf '%s' "$1" | tr AB ab)
  cat <<EOF
title   Updater e2e (slot $slot)
linux   /$dir/vmlinuz
initrd  /$dir/initrd.img
options updater.slot=$slot $(sdboot_cmdline)${E2E_SDBOOT_OPTIONS:+ $E2E_SDBOOT_OPTIONS}
EOF
}

# sdboot_esp_build OUT: the systemd-boot ESP image, in the factory state (A committed, B never written).
sdboot_esp_build() {
  local out=$1 tmp s
  sdboot_require
  rm -f "$out"
  mkfs.vfat -C -n ESP "$out" $((E2E_ESP_MB * 1024)) >/dev/null || e2e_die "mkfs.vfat failed"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e-sdboot.XXXXXX")
  printf 'timeout 0\n' > "$tmp/loader.conf"
  sdboot_entry A > "$tmp/updater-1-a.conf"
  sdboot_entry B > "$tmp/updater-0-b+0.conf"
  mmd -i "$out" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries ::/a ::/b
  mcopy -i "$out" "$E2E_SDBOOT_EFI" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$out" "$tmp/loader.conf" ::/loader/loader.conf
  mcopy -i "$out" "$tmp/updater-1-a.conf" "$tmp/updater-0-b+0.conf" ::/loader/entries/
  for s in a b; do
    mcopy -i "$out" "$E2E_BUILD/vmlinuz" "::/$s/vmlinuz"
    mcopy -i "$out" "$E2E_BUILD/initrd.img" "::/$s/initrd.img"
  done
  rm -rf "$tmp"
}

# sdboot_disk DISK --a IMG [--data DIR]: a complete test disk booting systemd-boot (slot B empty).
sdboot_disk() {
  local disk=$1 a= data=; shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --a) a=$2; shift 2 ;;
      --data) data=$2; shift 2 ;;
      *) e2e_die "sdboot_disk: unknown option $1" ;;
    esac
  done
  [ -n "$a" ] || e2e_die "sdboot_disk: --a IMG is required"
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e-disk.XXXXXX")
  sdboot_esp_build "$tmp/esp.img"
  data_build "$tmp/data.img" "$data"
  disk_create "$disk" "$tmp/esp.img" "$a" - "$tmp/data.img"
  rm -rf "$tmp"
  rm -f "${disk%.img}.vars.fd"
}

# sdboot_entries DISK: the file names in the ESP's loader/entries/, one a line, sorted (C locale).
sdboot_entries() {
  local out
  out=$(mdir -b -i "$(_esp "$1")" ::/loader/entries) || e2e_die "cannot list ::/loader/entries on $1"
  printf '%s\n' "$out" | sed -n 's|^.*/||p' | LC_ALL=C sort
}

# sdboot_summary DISK: the entry names on one line, for logs and the per-boot before/after files.
sdboot_summary() { sdboot_entries "$1" | tr '\n' ' ' | sed 's/ $//'; }

# assert_sdboot_entries DISK NAME... (sorted): the ESP's loader/entries/ holds exactly these files.
assert_sdboot_entries() {
  local disk=$1 got; shift
  got=$(sdboot_summary "$disk")
  assert_eq "$got" "$*" "ESP loader/entries after boot $SCEN_BOOTS (before it: $(cat "${LOG:-}.env-before" 2>/dev/null || echo none))"
}
