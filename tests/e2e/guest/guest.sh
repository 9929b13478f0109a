# SPDX-License-Identifier: Apache-2.0
# Helpers for the code that runs inside a test guest (/lib/e2e/guest.sh). Sourced by /sbin/init and
# by every hook; busybox sh.

# The slot GRUB booted and the image this slot holds.
E2E_SLOT=$(sed -n 's/.*updater\.slot=\([^ ]*\).*/\1/p' /proc/cmdline)
E2E_IMAGE=$(cat /etc/e2e/image 2>/dev/null || echo unknown)
E2E_FWCFG_HOOK=/sys/firmware/qemu_fw_cfg/by_name/opt/e2e/hook/raw
E2E_FWCFG_ENV=/sys/firmware/qemu_fw_cfg/by_name/opt/e2e/env/raw
E2E_DATA=/data
E2E_ESP=/boot/efi
# Variables the host passed for this boot (NAME=VALUE lines), e.g. E2E_HTTP_URL.
if [ -r "$E2E_FWCFG_ENV" ]; then
  while IFS= read -r _e2e_line; do
    case "$_e2e_line" in
      [A-Za-z_]*=*) export "$_e2e_line" ;;
    esac
  done < "$E2E_FWCFG_ENV"
  unset _e2e_line
fi

# e2e_mark NAME TEXT: one marker line on the console, "E2E-NAME: TEXT"; the host greps for it.
e2e_mark() { local name=$1; shift; echo "E2E-$name: $*"; }

# e2e_result TEXT: the conventional result line, "E2E-RESULT: TEXT".
e2e_result() { e2e_mark RESULT "$*"; }

# e2e_block NAME CMD...: runs CMD and frames its output (stdout and stderr) between
#   E2E-BEGIN NAME / E2E-END NAME rc=N
# so the host can cut it out of the serial log (serial_block). Returns CMD's status.
e2e_block() {
  local name=$1 rc; shift
  echo "E2E-BEGIN $name"
  "$@" 2>&1
  rc=$?
  echo ""
  echo "E2E-END $name rc=$rc"
  return $rc
}

# e2e_stream NAME CMD...: runs CMD and prints every line of its output (stdout and stderr) as it comes,
# as "E2E-NAME: line", then "E2E-NAME: rc=N". The host can follow the progress while the command runs
# (boot_wait_marker). Returns CMD's status.
e2e_stream() {
  local name=$1 rc; shift
  e2e_mark "$name" "start: $*"
  { "$@" 2>&1; echo "$?" > /run/e2e-stream.rc; } | while IFS= read -r _e2e_line; do echo "E2E-$name: $_e2e_line"; done
  rc=$(cat /run/e2e-stream.rc 2>/dev/null || echo 255)
  e2e_mark "$name" "rc=$rc"
  return "$rc"
}

# e2e_part NAME: the block device of the GPT partition named NAME (esp, rootfs-a, rootfs-b, data).
e2e_part() {
  local u
  for u in /sys/class/block/*/uevent; do
    if grep -qx "PARTNAME=$1" "$u"; then
      echo "/dev/$(sed -n 's/^DEVNAME=//p' "$u")"
      return 0
    fi
  done
  return 1
}

# e2e_slot_device A|B: the block device of a slot.
e2e_slot_device() {
  case "$1" in
    A) e2e_part rootfs-a ;;
    B) e2e_part rootfs-b ;;
    *) return 1 ;;
  esac
}

e2e_mount_data() {
  local dev
  dev=$(e2e_part data) || { e2e_mark WARN "no data partition"; return 1; }
  mkdir -p "$E2E_DATA"
  mount -t ext4 -o rw,noatime "$dev" "$E2E_DATA" || { e2e_mark WARN "cannot mount data $dev"; return 1; }
}

e2e_mount_esp() {
  local dev
  dev=$(e2e_part esp) || { e2e_mark WARN "no esp partition"; return 1; }
  mkdir -p "$E2E_ESP"
  mount -t vfat -o rw,flush "$dev" "$E2E_ESP" 2>/dev/null \
    || mount -t vfat -o rw "$dev" "$E2E_ESP" || { e2e_mark WARN "cannot mount esp $dev"; return 1; }
}

# e2e_net_up: static address for QEMU user networking (guest 10.0.2.15, host 10.0.2.2). /sbin/init
# runs it on every boot that has a network card.
e2e_net_up() {
  local ifc
  ifc=$(ls /sys/class/net | grep -v '^lo$' | head -1)
  [ -n "$ifc" ] || return 1
  ip link set "$ifc" up
  ip addr add 10.0.2.15/24 dev "$ifc"
  ip route add default via 10.0.2.2
}

_e2e_unmount_all() {
  e2e_mark UPTIME "end=$(cut -d' ' -f1 /proc/uptime)"
  sync
  umount "$E2E_ESP" 2>/dev/null
  umount "$E2E_DATA" 2>/dev/null
  sync
}

# e2e_poweroff / e2e_reboot: end this boot cleanly. Under QEMU -no-reboot both end the QEMU run;
# the marker tells the host which one the guest asked for.
e2e_poweroff() { e2e_mark END poweroff; _e2e_unmount_all; poweroff -f; sleep 60; }
e2e_reboot() { e2e_mark END reboot; _e2e_unmount_all; reboot -f; sleep 60; }

# e2e_hang: never reach a verdict (the host's timeout ends the run).
e2e_hang() { e2e_mark END hang; e2e_mark UPTIME "end=$(cut -d' ' -f1 /proc/uptime)"; sync; while :; do sleep 3600; done; }

# On the systemd test images PID 1 ends the boot: it stops the units and unmounts the file systems itself.
if [ -d /run/systemd/system ]; then
  e2e_poweroff() { e2e_mark END poweroff; e2e_mark UPTIME "end=$(cut -d' ' -f1 /proc/uptime)"; systemctl --no-block poweroff; sleep 600; }
  e2e_reboot() { e2e_mark END reboot; e2e_mark UPTIME "end=$(cut -d' ' -f1 /proc/uptime)"; systemctl --no-block reboot; sleep 600; }
fi
