# SPDX-License-Identifier: Apache-2.0
# The systemd test images: slot roots holding a minimal Debian 12 with systemd 252 as PID 1 (debootstrap, cached
# like the kernel), the updater in the layout a package installs (/usr/bin/updater, /usr/lib/updater/), the units
# of dist/ in /usr/lib/systemd/system enabled through dist/90-updater.preset, and the test's own units
# (guest/systemd/). No hook in the image drives the verdict: updater-health.service and updater-commit.service do,
# as on a device. Source after common.sh, rootfs.sh.

E2E_DEBIAN_ROOT=${E2E_DEBIAN_ROOT:-$E2E_CACHE/debian-root}
# What the guests add to the health tests' root: udev (the fstab's PARTLABEL= links), systemd-boot (bootctl,
# systemd-bless-boot and its generator, as a systemd-boot device has them), efibootmgr (provisioning the efi disks).
E2E_DEBIAN_EXTRA=udev,systemd-boot,efibootmgr
# Slot size of the systemd disks: the stripped root is about 150 MiB.
E2E_SD_SLOT_MB=${E2E_SD_SLOT_MB:-256}

# sdroot_fetch: the cached Debian root (tests/HealthCheck.Tests/systemd-root.sh with the packages above; about a
# minute the first time, needs the Debian mirror and root).
sdroot_fetch() {
  UPDATER_SYSTEMD_ROOT=$E2E_DEBIAN_ROOT UPDATER_SYSTEMD_ROOT_EXTRA=$E2E_DEBIAN_EXTRA \
    bash "$E2E_REPO/tests/HealthCheck.Tests/systemd-root.sh" >&2 || e2e_die "the Debian root for the systemd guests failed"
}

# sdroot_build OUT [options]: an ext4 slot image of E2E_SD_SLOT_MB MiB.
#   --image NAME  --release VERSION  --security-version N  as rootfs_build
#   --overlay DIR     copied over the root last (update.conf, root.json, health.d, units of this image...)
#   --updater DIR     the publish directory of the updater
#   --kernel FILE --initrd FILE   become /boot/vmlinuz and /boot/initrd.img (GRUB boots the kernel from the slot;
#                     systemd-boot and the firmware boot the ESP's copies)
sdroot_build() {
  local out=$1; shift
  local image=v1 overlay= updater= security=0 release= kernel= initrd= g
  while [ $# -gt 0 ]; do
    case "$1" in
      --image) image=$2; shift 2 ;;
      --security-version) security=$2; shift 2 ;;
      --release) release=$2; shift 2 ;;
      --overlay) overlay=$2; shift 2 ;;
      --updater) updater=$2; shift 2 ;;
      --kernel) kernel=$2; shift 2 ;;
      --initrd) initrd=$2; shift 2 ;;
      *) e2e_die "sdroot_build: unknown option $1" ;;
    esac
  done
  [ -f "$E2E_DEBIAN_ROOT/.updater-systemd-root" ] || e2e_die "no Debian root in $E2E_DEBIAN_ROOT (sdroot_fetch)"
  local stage
  stage=$(mktemp -d "${TMPDIR:-/tmp}/e2e-sdroot.XXXXXX")
  # What a device image leaves out: package lists, documentation, translations.
  tar -C "$E2E_DEBIAN_ROOT" --exclude=./.updater-systemd-root --exclude=./var/lib/apt/lists --exclude=./var/cache \
    --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/locale --exclude=./usr/share/info \
    -cf - . | tar -C "$stage" -xf -
  g="$E2E_DIR/guest/systemd"
  mkdir -p "$stage/data" "$stage/boot/efi" "$stage/etc/e2e" "$stage/lib/e2e" "$stage/usr/lib/e2e" \
    "$stage/usr/lib/systemd/system-preset" "$stage/etc/systemd/network"
  [ -z "$updater" ] || rootfs_install_updater "$stage" "$updater"
  [ -z "$kernel" ] || install -m 0644 "$kernel" "$stage/boot/vmlinuz"
  [ -z "$initrd" ] || install -m 0644 "$initrd" "$stage/boot/initrd.img"
  rootfs_image_info "$stage" "$security" "$release"
  # The units as a package installs them, enabled by its preset.
  install -m 0644 "$E2E_REPO"/dist/*.service "$E2E_REPO"/dist/*.timer "$stage/usr/lib/systemd/system/"
  install -m 0644 "$E2E_REPO/dist/90-updater.preset" "$stage/usr/lib/systemd/system-preset/"
  # The test's side: markers, the per-boot hook, its application, the console for the verdict units.
  install -m 0644 "$E2E_DIR/guest/guest.sh" "$stage/lib/e2e/guest.sh"
  install -m 0755 "$g/boot-marker" "$g/driver" "$stage/usr/lib/e2e/"
  install -m 0644 "$g/e2e-boot.service" "$g/e2e-driver.service" "$g/e2e-app.service" "$stage/usr/lib/systemd/system/"
  install -m 0644 "$g/e2e.preset" "$stage/usr/lib/systemd/system-preset/80-e2e.preset"
  install -m 0644 "$g/fstab" "$stage/etc/fstab"
  install -m 0644 "$g/10-e2e.network" "$stage/etc/systemd/network/"
  for u in updater-health updater; do
    install -D -m 0644 "$g/updater-health-e2e.conf" "$stage/etc/systemd/system/$u.service.d/e2e.conf"
  done
  install -D -m 0644 "$g/updater-commit-e2e.conf" "$stage/etc/systemd/system/updater-commit.service.d/e2e.conf"
  printf '%s\n' "$image" > "$stage/etc/e2e/image"
  printf 'e2e-guest\n' > "$stage/etc/hostname"
  [ -z "$overlay" ] || cp -a "$overlay"/. "$stage"/
  systemctl --root="$stage" preset-all >/dev/null 2>&1 || { rm -rf "$stage"; e2e_die "systemctl preset-all in $stage failed"; }
  rm -f "$out"
  mkfs.ext4 -q -F -L rootfs -b 4096 -E root_owner=0:0 -d "$stage" "$out" "${E2E_SD_SLOT_MB}M" >/dev/null \
    || { rm -rf "$stage"; e2e_die "mkfs.ext4 of $out failed"; }
  rm -rf "$stage"
}
