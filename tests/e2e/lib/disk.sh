# SPDX-License-Identifier: Apache-2.0
# The test disk: a GPT image built from partition images with sgdisk and dd conv=notrunc. No loop
# devices, no mounts. Source after common.sh.
#
#   #  GPT name   type  size                 filesystem (label)   holds
#   1  esp        EF00  E2E_ESP_MB (64 MiB)  FAT (ESP)            /EFI/BOOT/BOOTX64.EFI, grub.cfg, grubenv
#   2  rootfs-a   8304  E2E_SLOT_MB (96)     ext4 (rootfs)        slot A
#   3  rootfs-b   8304  E2E_SLOT_MB (96)     ext4 (rootfs)        slot B
#   4  data       8300  E2E_DATA_MB (256)    ext4 (data)          /data: state directory, bundles
# Partitions start on MiB boundaries, one after the other from 1 MiB.

E2E_ESP_MB=${E2E_ESP_MB:-64}
E2E_SLOT_MB=${E2E_SLOT_MB:-96}
E2E_DATA_MB=${E2E_DATA_MB:-256}
E2E_DISK_GUID=2d3c8b3e-6f64-4a5b-9e0e-000000000000
E2E_ESP_GUID=2d3c8b3e-6f64-4a5b-9e0e-000000000001
# Where GRUB finds its environment: $prefix/grubenv, with the EFI image's prefix /EFI/BOOT.
E2E_GRUBENV_ON_ESP=${E2E_GRUBENV_ON_ESP:-/EFI/BOOT/grubenv}
# GRUB modules built into BOOTX64.EFI: everything a grub.cfg for A/B needs, nothing loaded later.
E2E_GRUB_MODULES=${E2E_GRUB_MODULES:-"part_gpt fat ext2 normal linux boot loadenv test echo configfile search search_label search_fs_uuid search_fs_file regexp serial terminal halt reboot sleep efi_gop ls cat true probe"}

# part_offset DISK N / part_size DISK N: byte offset and size of partition N, read from the GPT.
part_offset() {
  sgdisk -i "$2" "$1" | awk '/^First sector:/ { printf "%d\n", $3 * 512 }'
}
part_size() {
  sgdisk -i "$2" "$1" | awk '/^First sector:/ { f = $3 } /^Last sector:/ { printf "%d\n", ($3 - f + 1) * 512 }'
}

# part_write DISK N IMAGE: copies IMAGE into partition N (must fit).
part_write() {
  local disk=$1 n=$2 img=$3 off size isz
  off=$(part_offset "$disk" "$n"); size=$(part_size "$disk" "$n"); isz=$(stat -c %s "$img")
  [ "$isz" -le "$size" ] || e2e_die "$img ($isz bytes) does not fit partition $n ($size bytes)"
  dd if="$img" of="$disk" bs=1M seek="$off" oflag=seek_bytes conv=notrunc,sparse status=none
}

# part_read DISK N OUT: copies partition N out of DISK.
part_read() {
  local disk=$1 n=$2 out=$3 off size
  off=$(part_offset "$disk" "$n"); size=$(part_size "$disk" "$n")
  dd if="$disk" of="$out" bs=1M skip="$off" count="$size" iflag=skip_bytes,count_bytes conv=sparse status=none
}

# grub_efi_build OUT: GRUB's EFI executable from Debian's grub-efi-amd64-bin modules.
grub_efi_build() {
  grub-mkimage -O x86_64-efi -p /EFI/BOOT -o "$1" $E2E_GRUB_MODULES \
    || e2e_die "grub-mkimage failed"
}

# grubenv_create OUT VAR=VALUE...: a 1024-byte GRUB environment block.
grubenv_create() {
  local out=$1; shift
  rm -f "$out"
  grub-editenv "$out" create
  [ $# -eq 0 ] || grub-editenv "$out" set "$@"
}

# esp_build OUT GRUB_CFG GRUBENV: a FAT image with BOOTX64.EFI, grub.cfg and grubenv in /EFI/BOOT.
esp_build() {
  local out=$1 cfg=$2 env=$3 efi
  rm -f "$out"
  mkfs.vfat -C -n ESP "$out" $((E2E_ESP_MB * 1024)) >/dev/null || e2e_die "mkfs.vfat failed"
  efi=$(mktemp "${TMPDIR:-/tmp}/e2e-grub.XXXXXX.efi")
  grub_efi_build "$efi"
  mmd -i "$out" ::/EFI ::/EFI/BOOT
  mcopy -i "$out" "$efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$out" "$cfg" ::/EFI/BOOT/grub.cfg
  mcopy -i "$out" "$env" "::$E2E_GRUBENV_ON_ESP"
  rm -f "$efi"
}

# data_build OUT [DIR]: the data partition's ext4 image (label "data"), from DIR if given; always
# has /updater (the state directory), /bundles and /e2e.
data_build() {
  local out=$1 src=${2:-} stage
  stage=$(mktemp -d "${TMPDIR:-/tmp}/e2e-data.XXXXXX")
  [ -z "$src" ] || cp -a "$src"/. "$stage"/
  mkdir -p "$stage/updater" "$stage/bundles" "$stage/e2e"
  rm -f "$out"
  mkfs.ext4 -q -F -L data -b 4096 -E root_owner=0:0 -d "$stage" "$out" "${E2E_DATA_MB}M" >/dev/null \
    || { rm -rf "$stage"; e2e_die "mkfs.ext4 of $out failed"; }
  rm -rf "$stage"
}

# disk_create DISK ESP_IMG SLOT_A_IMG SLOT_B_IMG DATA_IMG: the whole disk. SLOT_B_IMG may be "-"
# for an empty (zeroed) slot B.
disk_create() {
  local disk=$1 esp=$2 a=$3 b=$4 data=$5 total
  total=$((1 + E2E_ESP_MB + 2 * E2E_SLOT_MB + E2E_DATA_MB + 1))
  rm -f "$disk"
  truncate -s "${total}M" "$disk"
  sgdisk -Z "$disk" >/dev/null 2>&1 || true
  # Fixed GUIDs: every test disk is the same machine model, so a variable store provisioned once (efibootmgr's
  # HD() device paths name the ESP by its partition GUID, lib/efi.sh) boots any of them.
  sgdisk -a 2048 -U "$E2E_DISK_GUID" \
    -n "1:1M:+${E2E_ESP_MB}M" -t 1:EF00 -c 1:esp -u "1:$E2E_ESP_GUID" \
    -n "2:0:+${E2E_SLOT_MB}M" -t 2:8304 -c 2:rootfs-a -u 2:2d3c8b3e-6f64-4a5b-9e0e-000000000002 \
    -n "3:0:+${E2E_SLOT_MB}M" -t 3:8304 -c 3:rootfs-b -u 3:2d3c8b3e-6f64-4a5b-9e0e-000000000003 \
    -n "4:0:+${E2E_DATA_MB}M" -t 4:8300 -c 4:data -u 4:2d3c8b3e-6f64-4a5b-9e0e-000000000004 \
    "$disk" >/dev/null || e2e_die "sgdisk failed on $disk"
  part_write "$disk" 1 "$esp"
  part_write "$disk" 2 "$a"
  [ "$b" = - ] || part_write "$disk" 3 "$b"
  part_write "$disk" 4 "$data"
}

# --- the data partition, read and written in place with debugfs (no mounts) ---

_data_dev() { echo "$1?offset=$(part_offset "$1" 4)"; }

# data_cat DISK PATH: prints a file of the data partition.
data_cat() { debugfs -R "cat $2" "$(_data_dev "$1")" 2>/dev/null; }

# data_ls DISK DIR: lists a directory of the data partition.
data_ls() { debugfs -R "ls -l $2" "$(_data_dev "$1")" 2>/dev/null; }

# data_exists DISK PATH: true when PATH exists on the data partition.
data_exists() { debugfs -R "stat $2" "$(_data_dev "$1")" 2>&1 | grep '^Inode:' >/dev/null; }

# data_put DISK SRC DEST: copies host file SRC to DEST (an absolute path whose directory exists)
# on the data partition, replacing DEST.
data_put() {
  local dev
  dev=$(_data_dev "$1")
  debugfs -w -R "rm $3" "$dev" >/dev/null 2>&1 || true
  debugfs -w -R "write $2 $3" "$dev" >/dev/null 2>&1
  data_exists "$1" "$3" || e2e_die "data_put: $3 not written"
}

# data_rm DISK PATH: removes a file from the data partition (no error if absent).
data_rm() { debugfs -w -R "rm $2" "$(_data_dev "$1")" >/dev/null 2>&1 || true; }
