# SPDX-License-Identifier: Apache-2.0
# A slot's root filesystem: an ext4 image made from a staging directory with mkfs.ext4 -d (no
# mounts). Source after common.sh, kernel.sh.

E2E_SLOT_MB=${E2E_SLOT_MB:-96}
# Host binaries copied into every slot with their libraries (ldd closure), for hooks to use.
E2E_SLOT_EXTRA_BINS=${E2E_SLOT_EXTRA_BINS:-/usr/bin/grub-editenv}
# Libraries the .NET runtime opens with dlopen (ldd does not see them): OpenSSL for hashing and
# TLS, libgcc_s for unwinding.
E2E_SLOT_DLOPEN_LIBS=${E2E_SLOT_DLOPEN_LIBS:-"libssl.so.3 libcrypto.so.3 libgcc_s.so.1"}

# _copy_lib_closure STAGE FILE...: copies each ELF file's shared libraries (and the dynamic
# loader) into STAGE at the same paths, dereferencing symlinks.
_copy_lib_closure() {
  local stage=$1 lib; shift
  for lib in $(ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]* \(0x/ { print $1 }' | sort -u); do
    [ -e "$stage$lib" ] && continue
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
  done
}

# _find_host_lib SONAME: the host path of a shared library, from ld.so's cache.
_find_host_lib() { ldconfig -p | awk -v so="$1" '$1 == so && /x86-64/ && !f { print $NF; f = 1 }'; }

# rootfs_install_updater STAGE DIR: the updater's publish directory DIR in the layout a package installs:
# /usr/lib/updater/ (debug symbols left out) and /usr/bin/updater linking to the binary.
rootfs_install_updater() {
  local stage=$1 updater=$2 f
  [ -x "$updater/updater" ] || e2e_die "rootfs_install_updater: $updater/updater is missing"
  mkdir -p "$stage/usr/lib/updater" "$stage/usr/bin"
  for f in "$updater"/*; do
    case "$f" in *.dbg|*.pdb) continue ;; esac
    cp -a "$f" "$stage/usr/lib/updater/"
  done
  ln -sfn ../lib/updater/updater "$stage/usr/bin/updater"
}

# rootfs_image_info STAGE SECURITY_VERSION [RELEASE]: /usr/lib/updater/image-info, as every image build writes it
# (docs/anti-rollback.md): without a readable floor the updater refuses to install.
rootfs_image_info() {
  local stage=$1 security=$2 release=${3:-}
  mkdir -p "$stage/usr/lib/updater"
  {
    printf '# written by the image build (tests/e2e/lib/rootfs.sh): docs/anti-rollback.md\n[image]\n'
    printf 'security-version = %s\n' "$security"
    [ -z "$release" ] || printf 'version = %s\n' "$release"
    printf 'built = %s\n' "$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)"
  } > "$stage/usr/lib/updater/image-info"
}

# rootfs_build OUT [options]: writes an ext4 image of E2E_SLOT_MB MiB to OUT.
#   --image NAME      what /etc/e2e/image says (the version the scenario checks for), default "v1"
#   --hook FILE       the slot's own hook, installed as /etc/e2e/hook.sh (see guest/slot-init)
#   --overlay DIR     copied over the root last (update.conf, root.json, health.d, ...)
#   --updater DIR     a publish directory of the updater: its files go to /usr/lib/updater
#                     (debug symbols left out), /usr/bin/updater links to the binary, and the
#                     libraries it and the .so files beside it need go along
#   --kernel FILE --initrd FILE   become /boot/vmlinuz and /boot/initrd.img
#   --label LABEL     filesystem label (default "rootfs")
#   --security-version N  the image's anti-rollback floor in /usr/lib/updater/image-info (default 0)
#   --release VERSION     the release version image-info names (default: none)
# Every image ships /usr/lib/updater/image-info, as an image build must (docs/anti-rollback.md): without
# a readable floor the updater refuses to install.
rootfs_build() {
  local out=$1; shift
  local image=v1 hook= overlay= updater= kernel= initrd= label=rootfs security=0 release=
  while [ $# -gt 0 ]; do
    case "$1" in
      --image) image=$2; shift 2 ;;
      --security-version) security=$2; shift 2 ;;
      --release) release=$2; shift 2 ;;
      --hook) hook=$2; shift 2 ;;
      --overlay) overlay=$2; shift 2 ;;
      --updater) updater=$2; shift 2 ;;
      --kernel) kernel=$2; shift 2 ;;
      --initrd) initrd=$2; shift 2 ;;
      --label) label=$2; shift 2 ;;
      *) e2e_die "rootfs_build: unknown option $1" ;;
    esac
  done
  [ -n "$kernel" ] && [ -n "$initrd" ] || e2e_die "rootfs_build: --kernel and --initrd are required"

  local stage
  stage=$(mktemp -d "${TMPDIR:-/tmp}/e2e-rootfs.XXXXXX")
  mkdir -p "$stage"/{bin,sbin,etc/e2e,lib/e2e,lib64,proc,sys,dev,run,tmp,var,root,data,boot/efi,mnt} \
           "$stage"/usr/{bin,sbin,lib} "$stage"/etc/updater
  chmod 1777 "$stage/tmp"
  chmod 0700 "$stage/root"

  cp "$E2E_BUSYBOX" "$stage/bin/busybox"
  local applet
  for applet in $(/usr/bin/busybox --list); do
    case "$applet" in busybox|init) ;; *) ln -s busybox "$stage/bin/$applet" ;; esac
  done
  install -m 0755 "$E2E_DIR/guest/slot-init" "$stage/sbin/init"
  install -m 0644 "$E2E_DIR/guest/guest.sh" "$stage/lib/e2e/guest.sh"
  printf '%s\n' "$image" > "$stage/etc/e2e/image"
  [ -z "$hook" ] || install -m 0755 "$hook" "$stage/etc/e2e/hook.sh"

  cp "$kernel" "$stage/boot/vmlinuz"
  cp "$initrd" "$stage/boot/initrd.img"

  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
  printf 'root:x:0:\n' > "$stage/etc/group"
  printf 'e2e-guest\n' > "$stage/etc/hostname"
  printf 'ID=updater-e2e\nVERSION_ID=%s\n' "$image" > "$stage/etc/os-release"

  local f so
  if [ "${E2E_ARCH:-x86_64}" = arm64 ]; then
    # Cross-built: the libraries come from Debian's arm64 multiarch directory (lib/arm64.sh).
    [ -z "$updater" ] || rootfs_install_updater "$stage" "$updater"
    arm64_lib_closure "$stage" $(ls "$stage"/usr/lib/updater/updater "$stage"/usr/lib/updater/*.so* 2>/dev/null) \
      $(for so in $E2E_SLOT_DLOPEN_LIBS; do echo "/usr/lib/aarch64-linux-gnu/$so"; done)
    for so in $E2E_SLOT_DLOPEN_LIBS; do cp -L "/usr/lib/aarch64-linux-gnu/$so" "$stage/lib/aarch64-linux-gnu/$so"; done
  elif [ -n "$updater" ]; then
    rootfs_install_updater "$stage" "$updater"
    _copy_lib_closure "$stage" "$stage"/usr/lib/updater/updater $(ls "$stage"/usr/lib/updater/*.so* 2>/dev/null)
  fi
  [ "${E2E_ARCH:-x86_64}" = arm64 ] || for so in $E2E_SLOT_DLOPEN_LIBS; do
    f=$(_find_host_lib "$so")
    if [ -n "$f" ]; then
      mkdir -p "$stage/lib/x86_64-linux-gnu"
      cp -L "$f" "$stage/lib/x86_64-linux-gnu/$so"
      _copy_lib_closure "$stage" "$f"
    fi
  done
  [ "${E2E_ARCH:-x86_64}" = arm64 ] || for f in $E2E_SLOT_EXTRA_BINS; do
    [ -x "$f" ] || continue
    cp -L "$f" "$stage/usr/bin/"
    _copy_lib_closure "$stage" "$f"
  done

  rootfs_image_info "$stage" "$security" "$release"

  [ -z "$overlay" ] || cp -a "$overlay"/. "$stage"/

  rm -f "$out"
  # 4 KiB blocks; no features GRUB 2.06 cannot read (it loads the kernel from this filesystem).
  mkfs.ext4 -q -F -L "$label" -b 4096 -O ^metadata_csum_seed,^orphan_file -E root_owner=0:0 \
    -d "$stage" "$out" "${E2E_SLOT_MB}M" >/dev/null 2>&1 \
    || mkfs.ext4 -q -F -L "$label" -b 4096 -E root_owner=0:0 -d "$stage" "$out" "${E2E_SLOT_MB}M" >/dev/null \
    || { rm -rf "$stage"; e2e_die "mkfs.ext4 of $out failed"; }
  rm -rf "$stage"
}
