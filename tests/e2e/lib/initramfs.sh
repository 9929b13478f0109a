# SPDX-License-Identifier: Apache-2.0
# The test initramfs: static busybox, the kernel modules the guest needs (loaded with busybox insmod
# in dependency order, since the image has no kmod), and guest/initramfs-init as /init.
# Source after common.sh and kernel.sh; kernel_fetch must have run.

# Modules loaded at boot, before the slot is mounted. Dependencies are added automatically.
# crc32c_generic is explicit: ext4 needs the crc32c algorithm but does not declare it.
E2E_MODULES=${E2E_MODULES:-"virtio_pci virtio_blk crc32c_generic ext4 vfat nls_cp437 nls_ascii nls_iso8859-1 virtio_net qemu_fw_cfg efivarfs i6300esb"}

# _module_path NAME: the .ko file of a module ("-" and "_" in module names are the same).
_module_path() {
  local n=${1//-/_}
  if [ -z "${_MODULE_INDEX_FOR:-}" ] || [ "$_MODULE_INDEX_FOR" != "$KERNEL_MODULES" ]; then
    declare -gA _MODULE_INDEX=()
    local f b
    while read -r f; do
      b=${f##*/}; b=${b%.xz}; b=${b%.zst}; b=${b%.ko}
      _MODULE_INDEX[${b//-/_}]=$f
    done < <(find "$KERNEL_MODULES/kernel" ${E2E_EXTRA_MODULES:+"$E2E_EXTRA_MODULES"} -name '*.ko*')
    _MODULE_INDEX_FOR=$KERNEL_MODULES
  fi
  printf '%s' "${_MODULE_INDEX[$n]:-}"
}

# _module_cat FILE: the uncompressed module.
_module_cat() {
  case "$1" in
    *.xz) xz -dc "$1" ;;
    *.zst) zstd -dc "$1" ;;
    *) cat "$1" ;;
  esac
}

# _module_order NAME...: prints module files, dependencies first, each once.
_module_order() {
  local -A seen=()
  local out=()
  _visit() {
    local n=$1 f deps d
    n=${n//-/_}
    [ -z "${seen[$n]:-}" ] || return 0
    seen[$n]=1
    f=$(_module_path "$n")
    [ -n "$f" ] || e2e_die "kernel module $n not found under $KERNEL_MODULES"
    deps=$(_module_cat "$f" | grep -a -o 'depends=[A-Za-z0-9_,-]*' | sed -n '1s/^depends=//p')
    for d in ${deps//,/ }; do _visit "$d"; done
    out+=("$f")
  }
  local m
  for m in "$@"; do _visit "$m"; done
  printf '%s\n' "${out[@]}"
}

# The static busybox the guest runs (lib/arm64.sh sets the arm64 one); its applets are listed by the host's, the
# same Debian build.
E2E_BUSYBOX=${E2E_BUSYBOX:-/usr/bin/busybox}

# initramfs_build OUT: writes a gzip'd newc cpio to OUT. E2E_EXTRA_MODULES: a directory of more .ko files.
initramfs_build() {
  local out=$1 stage f base
  stage=$(mktemp -d "${TMPDIR:-/tmp}/e2e-initramfs.XXXXXX")
  mkdir -p "$stage"/{bin,dev,proc,sys,newroot,etc,lib/modules}
  cp "$E2E_BUSYBOX" "$stage/bin/busybox"
  local applet
  for applet in $(/usr/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$stage/bin/$applet"
  done
  : > "$stage/etc/modules.order"
  while read -r f; do
    base=$(basename "$f"); base=${base%.xz}; base=${base%.zst}
    _module_cat "$f" > "$stage/lib/modules/$base"
    echo "${base%.ko}" >> "$stage/etc/modules.order"
  done < <(_module_order $E2E_MODULES)
  install -m 0755 "$E2E_DIR/guest/initramfs-init" "$stage/init"
  (cd "$stage" && find . | LC_ALL=C sort | /usr/bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9n > "$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$stage"
}
