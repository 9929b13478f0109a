# SPDX-License-Identifier: Apache-2.0
# The arm64 machine of the end-to-end suite: qemu-system-aarch64 -M virt under TCG, a real U-Boot in the first
# flash bank running dist/boot.cmd (as boot.scr from the disk's first partition), its redundant environment in the
# second flash bank, which Linux sees as NOR flash (/dev/mtd0) and the arm64 updater writes. Source after the
# other libraries (lib/e2e.sh does it all).
#
# Everything is built from Debian packages on the host and cached in $E2E_CACHE/arm64 (nothing is installed):
#   u-boot      Debian's u-boot source package (apt-get source; deb-src is added when missing), qemu_arm64_defconfig
#               with these changes: a redundant environment of 8 KiB per copy (copy 1 at 0x4000000, copy 2 at
#               0x4040000, each in its own 256 KiB erase block of QEMU's flash), and word programming instead of
#               buffered writes, which QEMU 7.2's flash model gets wrong for U-Boot's write pattern (QEMU issue
#               #2343: saveenv times out). Word programming under TCG costs about 1 ms a word, and saveenv writes
#               the whole erase block back (the environment and the rest of the block), 59 s a save; so the CFI
#               driver is patched to skip words that are all ones, which programming leaves unchanged on NOR
#               anyway: a save then programs the 8 KiB environment, 2-3 s.
#   kernel      linux-image-*-arm64 (apt-get download, dpkg -x). Debian builds it without the CFI flash
#               drivers (CONFIG_MTD_CFI and CONFIG_MTD_PHYSMAP are off), so cfi_util, gen_probe, cfi_probe,
#               cfi_cmdset_0001 and physmap are built as out-of-tree modules from linux-source of the same
#               version against its linux-headers, with the host's aarch64 cross compiler.
#   busybox     busybox-static:arm64.
#   libraries   the arm64 updater's (glibc, OpenSSL, zlib, libgcc_s) from Debian multiarch (tests/install-deps.sh).

E2E_ARM64_CACHE=${E2E_ARM64_CACHE:-$E2E_CACHE/arm64}
# Where boot.cmd finds the environment and what update.conf says: the second bank of the virt board's flash.
E2E_ARM64_ENV_ADDR=0x4000000
E2E_ARM64_ENV_REDUND_ADDR=0x4040000
E2E_ARM64_ENV_SIZE=0x2000
E2E_ARM64_ENV_SECT_SIZE=0x40000
E2E_ARM64_FLASH_BYTES=$((64 * 1024 * 1024))
# The first flash bank: U-Boot, padded to the bank's size (scenarios/arm64.sh makes it).
E2E_ARM64_FLASH0=${E2E_ARM64_FLASH0:-}
E2E_ARM64_MODULES=${E2E_ARM64_MODULES:-"virtio_pci virtio_blk crc32c_generic ext4 vfat nls_cp437 nls_ascii nls_iso8859-1 virtio_net qemu_fw_cfg mtd chipreg cfi_util gen_probe cfi_probe cfi_cmdset_0001 physmap"}

_arm64_apt() {
  # apt-get download/source need package lists; a fresh machine may have none for arm64 yet.
  "$@" > "$E2E_ARM64_CACHE/apt.log" 2>&1 && return 0
  apt-get update -qq > /dev/null 2>&1 || true
  "$@" > "$E2E_ARM64_CACHE/apt.log" 2>&1 || { cat "$E2E_ARM64_CACHE/apt.log" >&2; e2e_die "failed: $*"; }
}

# _arm64_deb_src: deb-src entries for `apt-get source`, added (as root) when the machine has none. They must name
# the same Signed-By as the machine's deb entries for the same archive: apt refuses the whole list ("Conflicting
# values set for option Signed-By") otherwise, and then every apt-get fails. A one-line .list that an earlier
# version of this script wrote next to deb822 sources is such a conflict, and is removed.
_arm64_deb_src() {
  local old=/etc/apt/sources.list.d/updater-e2e-deb-src.list new=/etc/apt/sources.list.d/updater-e2e-deb-src.sources signed
  if [ -f "$old" ] && [ "$(id -u)" = 0 ]; then
    rm -f "$old" "$new"
  fi
  grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
  [ "$(id -u)" = 0 ] || e2e_die "arm64: no deb-src entries for apt-get source u-boot (add them, or run as root)"
  # The keyring the deb822 deb entries name, if any (one-line entries without [signed-by=] name none).
  signed=$(sed -n 's/^Signed-By: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  {
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n'
    [ -z "$signed" ] || printf 'Signed-By: %s\n' "$signed"
    printf '\nTypes: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n'
    [ -z "$signed" ] || printf 'Signed-By: %s\n' "$signed"
  } > "$new"
  apt-get update -qq > /dev/null 2>&1 || true
}

# _arm64_deb NAME[:ARCH]: the cached .deb of a package (downloaded once). Prints its path.
_arm64_deb() {
  local pkg=$1 name=${1%%:*} deb
  deb=$(ls "$E2E_ARM64_CACHE/debs/${name}"_*.deb 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$deb" ]; then
    mkdir -p "$E2E_ARM64_CACHE/debs"
    (cd "$E2E_ARM64_CACHE/debs" && _arm64_apt apt-get download "$pkg")
    deb=$(ls "$E2E_ARM64_CACHE/debs/${name}"_*.deb | sort -V | tail -1)
  fi
  echo "$deb"
}

# arm64_kernel_fetch: the arm64 kernel, its modules and the CFI flash modules built for it. Sets
#   ARM64_KERNEL_VERSION, ARM64_KERNEL_IMAGE, ARM64_KERNEL_MODULES, ARM64_EXTRA_MODULES (a directory of .ko files).
arm64_kernel_fetch() {
  local pkg ver dir tmp
  mkdir -p "$E2E_ARM64_CACHE"
  pkg=${E2E_ARM64_KERNEL_PACKAGE:-}
  if [ -z "$pkg" ]; then
    pkg=$(cd "$E2E_ARM64_CACHE/debs" 2>/dev/null && ls linux-image-*-arm64_*.deb 2>/dev/null | sed 's/_.*//' | sort -uV | tail -1 || true)
  fi
  if [ -z "$pkg" ]; then
    pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ && !f { sub(/:arm64$/, "", $2); print $2; f = 1 }')
    [ -n "$pkg" ] || { apt-get update -qq >/dev/null 2>&1 || true
      pkg=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ && !f { sub(/:arm64$/, "", $2); print $2; f = 1 }'); }
    [ -n "$pkg" ] || e2e_die "apt-cache depends linux-image-arm64:arm64 names no kernel package (dpkg --add-architecture arm64; apt-get update)"
  fi
  ARM64_KERNEL_VERSION=${pkg#linux-image-}
  dir="$E2E_ARM64_CACHE/kernel-$ARM64_KERNEL_VERSION"
  if [ ! -f "$dir/.complete" ]; then
    e2e_log "arm64: unpacking $pkg"
    tmp=$(mktemp -d "$E2E_ARM64_CACHE/.kernel.XXXXXX")
    dpkg -x "$(_arm64_deb "$pkg:arm64")" "$tmp/image"
    _arm64_build_cfi_modules "$tmp" || { rm -rf "$tmp"; e2e_die "arm64: building the CFI flash modules failed"; }
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$tmp/image/boot" "$tmp/image/lib" "$dir/"
    mv "$tmp/cfi" "$dir/cfi"
    rm -rf "$tmp"
    touch "$dir/.complete"
  fi
  ARM64_KERNEL_IMAGE="$dir/boot/vmlinuz-$ARM64_KERNEL_VERSION"
  ARM64_KERNEL_MODULES="$dir/lib/modules/$ARM64_KERNEL_VERSION"
  ARM64_EXTRA_MODULES="$dir/cfi"
  [ -f "$ARM64_KERNEL_IMAGE" ] && [ -f "$ARM64_EXTRA_MODULES/physmap.ko" ] || e2e_die "$dir is incomplete"
}

# _arm64_build_cfi_modules TMP: drivers/mtd/{chips,maps} of linux-source, built against the kernel's headers into TMP/cfi.
_arm64_build_cfi_modules() {
  local tmp=$1 v=$ARM64_KERNEL_VERSION common src hdr
  common=${v%-arm64}-common
  # linux-kbuild-6.1 from linux-headers-6.1.0-57-arm64: the series, e.g. 6.1.
  local series
  series=$(echo "$v" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
  e2e_log "arm64: building the CFI flash modules for $v (linux-source-$series)"
  mkdir -p "$tmp/hdr" "$tmp/src" "$tmp/cfi"
  dpkg -x "$(_arm64_deb "linux-headers-$v:arm64")" "$tmp/hdr"
  dpkg -x "$(_arm64_deb "linux-headers-$common")" "$tmp/hdr"
  dpkg -x "$(_arm64_deb "linux-kbuild-$series")" "$tmp/hdr"
  hdr="$tmp/hdr/usr/src/linux-headers-$v"
  sed -i "s|/usr/src/linux-headers-|$tmp/hdr/usr/src/linux-headers-|" "$hdr/Makefile"
  dpkg --fsys-tarfile "$(_arm64_deb "linux-source-$series")" | tar -x -C "$tmp/src" "./usr/src/linux-source-$series.tar.xz"
  tar -xJf "$tmp/src/usr/src/linux-source-$series.tar.xz" -C "$tmp/src" \
    --wildcards "linux-source-$series/drivers/mtd/chips/*" "linux-source-$series/drivers/mtd/maps/*"
  src="$tmp/src/linux-source-$series/drivers/mtd"
  cp "$src"/chips/{cfi_probe.c,cfi_util.c,gen_probe.c,cfi_cmdset_0001.c,fwh_lock.h} "$src"/maps/physmap-core.c "$src"/maps/physmap-*.h "$tmp/cfi/"
  printf '%s\n' 'ccflags-y += -DCONFIG_MTD_PHYSMAP_OF=1' \
    'obj-m += cfi_util.o gen_probe.o cfi_probe.o cfi_cmdset_0001.o physmap.o' 'physmap-objs := physmap-core.o' > "$tmp/cfi/Kbuild"
  make -s -C "$hdr" M="$tmp/cfi" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -j2 modules > "$tmp/cfi-build.log" 2>&1 \
    || { cat "$tmp/cfi-build.log" >&2; return 1; }
  find "$tmp/cfi" -mindepth 1 ! -name '*.ko' -delete
}

# arm64_busybox: the static arm64 busybox. Prints its path.
arm64_busybox() {
  local dir="$E2E_ARM64_CACHE/busybox"
  if [ ! -x "$dir/bin/busybox" ]; then
    rm -rf "$dir.tmp"
    dpkg -x "$(_arm64_deb busybox-static:arm64)" "$dir.tmp"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir/bin/busybox"
}

# arm64_uboot_build: U-Boot for the virt board (see the top of this file). Prints the path of u-boot.bin.
arm64_uboot_build() {
  local work="$E2E_ARM64_CACHE/u-boot-build" dsc ver srcdir out cfg
  # The directory names the recipe: change it with the configuration or the patch below.
  local cached="$E2E_ARM64_CACHE/u-boot-r2/u-boot.bin"
  if [ -f "$cached" ]; then echo "$cached"; return 0; fi
  mkdir -p "$work"
  _arm64_deb_src
  ls "$work"/u-boot_*.dsc > /dev/null 2>&1 || (cd "$work" && _arm64_apt apt-get source --download-only u-boot)
  dsc=$(ls "$work"/u-boot_*.dsc | sort -V | tail -1)
  ver=$(sed -n 's/^Version: //p' "$dsc")
  srcdir="$work/src"
  if [ ! -f "$srcdir/.unpacked" ]; then
    rm -rf "$srcdir"
    dpkg-source -x "$dsc" "$srcdir" > "$work/unpack.log" 2>&1 || { cat "$work/unpack.log" >&2; e2e_die "dpkg-source -x $dsc failed"; }
    _arm64_uboot_patch "$srcdir"
    touch "$srcdir/.unpacked"
  fi
  e2e_log "arm64: building U-Boot $ver (qemu_arm64, redundant environment in flash)"
  out="$work/out"
  rm -rf "$out"
  make -s -C "$srcdir" O="$out" CROSS_COMPILE=aarch64-linux-gnu- qemu_arm64_defconfig > "$work/build.log" 2>&1
  cfg="$srcdir/scripts/config --file $out/.config"
  $cfg --set-str LOCALVERSION "-updater-e2e"
  $cfg --disable SYS_FLASH_USE_BUFFER_WRITE
  $cfg --enable ENV_IS_IN_FLASH --enable SYS_REDUNDAND_ENVIRONMENT --enable CMD_SAVEENV --enable CMD_NVEDIT_INFO
  $cfg --set-val ENV_ADDR "$E2E_ARM64_ENV_ADDR" --set-val ENV_ADDR_REDUND "$E2E_ARM64_ENV_REDUND_ADDR"
  $cfg --set-val ENV_SIZE "$E2E_ARM64_ENV_SIZE" --set-val ENV_SECT_SIZE "$E2E_ARM64_ENV_SECT_SIZE"
  make -s -C "$srcdir" O="$out" CROSS_COMPILE=aarch64-linux-gnu- olddefconfig >> "$work/build.log" 2>&1
  local want
  for want in '# CONFIG_SYS_FLASH_USE_BUFFER_WRITE is not set' 'CONFIG_SYS_REDUNDAND_ENVIRONMENT=y' 'CONFIG_ENV_IS_IN_FLASH=y' \
              "CONFIG_ENV_ADDR=$E2E_ARM64_ENV_ADDR" "CONFIG_ENV_ADDR_REDUND=$E2E_ARM64_ENV_REDUND_ADDR" \
              "CONFIG_ENV_SIZE=$E2E_ARM64_ENV_SIZE" "CONFIG_ENV_SECT_SIZE=$E2E_ARM64_ENV_SECT_SIZE" 'CONFIG_DISTRO_DEFAULTS=y'; do
    grep -qxF "$want" "$out/.config" || e2e_die "arm64: U-Boot's configuration lost '$want' (see $out/.config)"
  done
  make -s -C "$srcdir" O="$out" CROSS_COMPILE=aarch64-linux-gnu- -j2 all >> "$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; e2e_die "arm64: U-Boot build failed"; }
  mkdir -p "$(dirname "$cached")"
  cp "$out/.config" "$(dirname "$cached")/config"
  echo "$ver" > "$(dirname "$cached")/version"
  cp "$out/u-boot.bin" "$cached.tmp" && mv "$cached.tmp" "$cached"
  rm -rf "$out"
  echo "$cached"
}

# _arm64_uboot_patch SRCDIR: the word-programming loop of drivers/mtd/cfi_flash.c skips all-ones words (see the top).
_arm64_uboot_patch() {
  python3 - "$1/drivers/mtd/cfi_flash.c" <<'PY' || e2e_die "arm64: patching U-Boot's cfi_flash.c failed"
import sys
path = sys.argv[1]
text = open(path).read()
old = """\twhile (cnt >= info->portwidth) {
\t\tcword.w32 = 0;
\t\tfor (i = 0; i < info->portwidth; i++)
\t\t\tflash_add_byte(info, &cword, *src++);
\t\trc = flash_write_cfiword(info, wp, cword);
"""
new = """\twhile (cnt >= info->portwidth) {
\t\tuchar ones = 0xff; /* updater e2e: erased flash already holds an all-ones word */
\t\tcword.w32 = 0;
\t\tfor (i = 0; i < info->portwidth; i++) {
\t\t\tones &= *src;
\t\t\tflash_add_byte(info, &cword, *src++);
\t\t}
\t\trc = ones == 0xff ? 0 : flash_write_cfiword(info, wp, cword);
"""
if text.count(old) != 1:
    sys.exit("the word-programming loop is not where it was")
open(path, "w").write(text.replace(old, new))
PY
}

# arm64_lib_closure STAGE FILE...: the arm64 shared libraries FILE... need (NEEDED, recursively, read with
# readelf: ldd cannot run arm64 binaries), from Debian's multiarch directory, and the dynamic loader.
arm64_lib_closure() {
  local stage=$1 f lib path; shift
  local -a todo=("$@")
  local -A seen=()
  mkdir -p "$stage/lib/aarch64-linux-gnu"
  cp -L /usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$stage/lib/ld-linux-aarch64.so.1"
  while [ ${#todo[@]} -gt 0 ]; do
    f=${todo[0]}; todo=("${todo[@]:1}")
    for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [ -z "${seen[$lib]:-}" ] || continue
      seen[$lib]=1
      [ "$lib" != ld-linux-aarch64.so.1 ] || continue
      path=/usr/lib/aarch64-linux-gnu/$lib
      [ -e "$path" ] || path=/lib/aarch64-linux-gnu/$lib
      [ -e "$path" ] || e2e_die "arm64: $(basename "$f") needs $lib, which is not in /usr/lib/aarch64-linux-gnu (tests/install-deps.sh installs the multiarch libraries)"
      cp -L "$path" "$stage/lib/aarch64-linux-gnu/$lib"
      todo+=("$path")
    done
  done
}

# --- the machine ---

# arm64_env_flash DISK: the second flash bank that goes with DISK (the environment), kept across its boots.
# A new one is erased flash (0xFF): U-Boot starts with its built-in environment, and boot.cmd saves its defaults.
arm64_env_flash() {
  local flash="${1%.img}.env-flash.img"
  if [ ! -f "$flash" ]; then
    head -c "$E2E_ARM64_FLASH_BYTES" /dev/zero | tr '\0' '\377' > "$flash.tmp"
    mv "$flash.tmp" "$flash"
  fi
  echo "$flash"
}

# _qemu_cmd_arm64 DISK LOG HOOK PIDFILE: the virt board, U-Boot in flash bank 0 (read-only), the environment in
# bank 1, the disk on virtio-blk (U-Boot's virtio 0, Linux's /dev/vda). lib/qemu.sh's _qemu_cmd calls it when
# E2E_MACHINE=arm64.
_qemu_cmd_arm64() {
  local disk=$1 log=$2 hook=$3 pidfile=$4
  printf '%s\n' qemu-system-aarch64 -accel tcg -machine virt -cpu cortex-a57 -m "$E2E_QEMU_MEM" -smp 1 \
    -nodefaults -display none -no-reboot \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$E2E_ARM64_FLASH0" \
    -drive "if=pflash,format=raw,unit=1,file=$(arm64_env_flash "$disk")" \
    -drive "if=none,id=disk0,format=raw,cache=unsafe,file=$disk" \
    -device virtio-blk-pci,drive=disk0 \
    -chardev "file,id=serial0,path=$log" -serial chardev:serial0 \
    -pidfile "$pidfile"
  if [ "$E2E_QEMU_NET" = user ]; then
    printf '%s\n' -netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile=
  fi
  [ -z "$hook" ] || printf '%s\n' -fw_cfg "name=opt/e2e/hook,file=$hook"
  [ -z "$E2E_GUEST_ENV_FILE" ] || [ ! -s "$E2E_GUEST_ENV_FILE" ] \
    || printf '%s\n' -fw_cfg "name=opt/e2e/env,file=$E2E_GUEST_ENV_FILE"
}

# --- the environment, read on the host with fw_printenv (a file: its flags rule equals flash's for 0 and 1) ---

_arm64_fw_config() {
  local cfg="${1%.img}.fw_env.config" flash
  flash=$(arm64_env_flash "$1")
  printf '%s 0x0 %s\n%s %s %s\n' "$flash" "$E2E_ARM64_ENV_SIZE" "$flash" \
    "$(printf '0x%x' $((E2E_ARM64_ENV_REDUND_ADDR - E2E_ARM64_ENV_ADDR)))" "$E2E_ARM64_ENV_SIZE" > "$cfg"
  echo "$cfg"
}

# uboot_env_get DISK NAME: a variable of DISK's environment ("" when unset or when no copy is valid).
uboot_env_get() { fw_printenv -c "$(_arm64_fw_config "$1")" -n "$2" 2>/dev/null || true; }

# uboot_env_summary DISK: the boot variables on one line (scenario_boot's before/after record).
uboot_env_summary() {
  fw_printenv -c "$(_arm64_fw_config "$1")" 2>/dev/null | grep '^BOOT_' | sort | tr '\n' ' ' || echo "(no valid environment)"
}

# uboot_env_flags DISK: the two copies' flag bytes, e.g. "1 0" (copy 1 active).
uboot_env_flags() {
  local flash
  flash=$(arm64_env_flash "$1")
  printf '%d %d' "$(od -An -tu1 -j4 -N1 "$flash")" "$(od -An -tu1 -j$(( E2E_ARM64_ENV_REDUND_ADDR - E2E_ARM64_ENV_ADDR + 4 )) -N1 "$flash")"
}

# assert_uboot_env DISK NAME=VALUE...: variables of the environment in flash, as fw_printenv reads them.
assert_uboot_env() {
  local disk=$1 kv name want got; shift
  for kv in "$@"; do
    name=${kv%%=*}; want=${kv#*=}
    got=$(uboot_env_get "$disk" "$name")
    [ "$got" = "$want" ] || e2e_fail "U-Boot environment $name: expected '$want', got '$got' (env: $(uboot_env_summary "$disk"), flags $(uboot_env_flags "$disk"))"
  done
}

# serial_uboot_choice LOG: what boot.cmd said it booted ("slot B from virtio 0:3"), from its "updater: booting" line.
serial_uboot_choice() { serial_clean "$1" | sed -n 's/^updater: booting \(slot [AB]\) from .*/\1/p' | tail -1; }
