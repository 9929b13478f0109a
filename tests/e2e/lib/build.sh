# SPDX-License-Identifier: Apache-2.0
# The shared build products of one run, made once and reused by every scenario:
#   $E2E_BUILD/vmlinuz, initrd.img   the Debian kernel and the test initramfs
#   $E2E_BUILD/updater/              the NativeAOT-published updater (tests/publish-aot.sh)
#   $E2E_BUILD/grub.cfg              dist/grub.cfg (or E2E_GRUB_CFG)
# Source after the other libraries (lib/e2e.sh does it all).

E2E_BUILD=${E2E_BUILD:-$E2E_WORK/build}
E2E_OVMF_VARS_WARM=${E2E_OVMF_VARS_WARM-$E2E_BUILD/ovmf-vars.warm.fd}

# The GRUB script under test: dist/grub.cfg, or the file E2E_GRUB_CFG names (e.g. a deliberately broken
# copy, to see which scenarios catch the defect).
e2e_grub_cfg_source() {
  local cfg=${E2E_GRUB_CFG:-$E2E_REPO/dist/grub.cfg}
  [ -f "$cfg" ] || e2e_die "no GRUB script $cfg"
  echo "$cfg"
}

# e2e_updater_publish: the directory tests/publish-aot.sh publishes the NativeAOT updater into (the same
# one the rest of the tests and CI use; nothing is rebuilt while src/ is unchanged).
e2e_updater_publish() {
  local dir
  dir=$(nice bash "$E2E_REPO/tests/publish-aot.sh" | sed -n '$p') || e2e_die "tests/publish-aot.sh failed"
  [ -x "$dir/updater" ] || e2e_die "tests/publish-aot.sh produced no $dir/updater"
  echo "$dir"
}

# e2e_prepare: kernel (cache), initramfs, updater, grub.cfg into $E2E_BUILD. E2E_UPDATER_DIR names
# an existing publish directory to use instead of tests/publish-aot.sh.
e2e_prepare() {
  local t0
  t0=$(e2e_now_ms)
  e2e_require_tools
  mkdir -p "$E2E_BUILD" "$E2E_LOGS"
  # Slot images are shared by the scenarios of one run only: they hold this run's updater and guest.
  rm -rf "$E2E_BUILD/slots"
  [ -z "$E2E_OVMF_VARS_WARM" ] || rm -f "$E2E_OVMF_VARS_WARM"
  kernel_fetch
  cp "$KERNEL_IMAGE" "$E2E_BUILD/vmlinuz"
  initramfs_build "$E2E_BUILD/initrd.img"
  local published=${E2E_UPDATER_DIR:-}
  [ -n "$published" ] || published=$(e2e_updater_publish)
  [ -x "$published/updater" ] || e2e_die "$published has no updater"
  if [ "$(realpath "$published")" != "$(realpath -m "$E2E_BUILD/updater")" ]; then
    rm -rf "$E2E_BUILD/updater"
    mkdir -p "$E2E_BUILD/updater"
    cp -a "$published"/. "$E2E_BUILD/updater/"
  fi
  cp "$(e2e_grub_cfg_source)" "$E2E_BUILD/grub.cfg"
  e2e_log "prepared: kernel $KERNEL_VERSION, grub.cfg from $(e2e_grub_cfg_source), in $(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))"
}

# e2e_slot_image OUT [rootfs_build options]: a slot image with this run's kernel, initramfs and
# updater (see rootfs_build for --image, --hook, --overlay).
e2e_slot_image() {
  local out=$1; shift
  rootfs_build "$out" --kernel "$E2E_BUILD/vmlinuz" --initrd "$E2E_BUILD/initrd.img" \
    --updater "$E2E_BUILD/updater" "$@"
}

# e2e_disk DISK [options]: a complete test disk.
#   --a IMG / --b IMG   slot images (default: slot A from e2e_slot_image --image v1, slot B empty)
#   --data DIR          extra content for the data partition
#   --env "VAR=VALUE ..."  the initial grubenv (default: ORDER="A B", A committed and good, B bad)
e2e_disk() {
  local disk=$1; shift
  local a= b=- data= env='ORDER=A B|A_OK=1|A_TRY=0|A_TRIAL=0|B_OK=0|B_TRY=0|B_TRIAL=0'
  while [ $# -gt 0 ]; do
    case "$1" in
      --a) a=$2; shift 2 ;;
      --b) b=$2; shift 2 ;;
      --data) data=$2; shift 2 ;;
      --env) env=$2; shift 2 ;;
      *) e2e_die "e2e_disk: unknown option $1" ;;
    esac
  done
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/e2e-disk.XXXXXX")
  if [ -z "$a" ]; then
    a="$tmp/a.img"
    e2e_slot_image "$a" --image v1
  fi
  local -a envargs
  IFS='|' read -r -a envargs <<< "$env"
  grubenv_create "$tmp/grubenv" "${envargs[@]}"
  esp_build "$tmp/esp.img" "$E2E_BUILD/grub.cfg" "$tmp/grubenv"
  data_build "$tmp/data.img" "$data"
  disk_create "$disk" "$tmp/esp.img" "$a" "$b" "$tmp/data.img"
  rm -rf "$tmp"
  rm -f "${disk%.img}.vars.fd"
}
