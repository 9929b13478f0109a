# SPDX-License-Identifier: Apache-2.0
# Running a test disk under QEMU: one boot per run (-no-reboot), TCG (KVM does not work on these
# machines), OVMF, the serial console to a file. Source after common.sh.

E2E_QEMU_MEM=${E2E_QEMU_MEM:-512}
# Every boot timeout is multiplied by this (a slower or busier machine: 2).
E2E_TIMEOUT_SCALE=${E2E_TIMEOUT_SCALE:-1}
# Host-side network for the guest (QEMU user networking: guest 10.0.2.15, host 10.0.2.2). Set to
# "none" to boot without a network card.
E2E_QEMU_NET=${E2E_QEMU_NET:-user}

# OVMF's variable store after a first boot (its boot options for this machine), when
# E2E_OVMF_VARS_WARM names a file: new disks start from it instead of the empty template, which
# saves OVMF's first-boot setup (a few seconds per disk under TCG). lib/build.sh sets it per run.

# qemu_vars DISK: the OVMF variable store that goes with DISK, kept across its boots.
qemu_vars() {
  local vars="${1%.img}.vars.fd"
  if [ ! -f "$vars" ]; then
    if [ -n "${E2E_OVMF_VARS_WARM:-}" ] && [ -s "$E2E_OVMF_VARS_WARM" ]; then
      cp "$E2E_OVMF_VARS_WARM" "$vars"
    else
      cp "$OVMF_VARS_TEMPLATE" "$vars"
    fi
  fi
  echo "$vars"
}

# A file of NAME=VALUE lines the guest reads into its environment (guest.sh), passed with
# -fw_cfg name=opt/e2e/env when set: how the host tells the guest e.g. the URL of its HTTP server.
E2E_GUEST_ENV_FILE=${E2E_GUEST_ENV_FILE:-}

# _qemu_cmd DISK LOG HOOK PIDFILE: prints the QEMU command line, one argument per line.
# E2E_MACHINE=arm64 (set by the arm64 scenarios): the virt board of lib/arm64.sh instead.
_qemu_cmd() {
  if [ "${E2E_MACHINE:-x86_64}" = arm64 ]; then _qemu_cmd_arm64 "$@"; return; fi
  local disk=$1 log=$2 hook=$3 pidfile=$4
  printf '%s\n' qemu-system-x86_64 -accel tcg -machine q35 -cpu max -m "$E2E_QEMU_MEM" -smp 1 \
    -nodefaults -display none -vga none -no-reboot \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
    -drive "if=pflash,format=raw,unit=1,file=$(qemu_vars "$disk")" \
    -drive "if=none,id=disk0,format=raw,cache=unsafe,file=$disk" \
    -device virtio-blk-pci,drive=disk0,bootindex=0 \
    -chardev "file,id=serial0,path=$log" -serial chardev:serial0 \
    -pidfile "$pidfile"
  if [ "$E2E_QEMU_NET" = user ]; then
    printf '%s\n' -netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile=
  fi
  [ -z "$hook" ] || printf '%s\n' -fw_cfg "name=opt/e2e/hook,file=$hook"
  [ -z "$E2E_GUEST_ENV_FILE" ] || [ ! -s "$E2E_GUEST_ENV_FILE" ] \
    || printf '%s\n' -fw_cfg "name=opt/e2e/env,file=$E2E_GUEST_ENV_FILE"
}

# boot_start DISK LOG TIMEOUT [HOOK]: starts one boot in the background. Sets BOOT_PID (the
# timeout process), BOOT_QEMU_PIDFILE and BOOT_T0. HOOK is a guest shell script for this boot only
# (see guest/slot-init).
boot_start() {
  local disk=$1 log=$2 tmo=$3 hook=${4:-}
  tmo=$(awk -v t="$tmo" -v s="$E2E_TIMEOUT_SCALE" 'BEGIN { printf "%d", t * s }')
  [ -f "$disk" ] || e2e_die "boot_start: no disk $disk"
  [ -z "$hook" ] || [ -f "$hook" ] || e2e_die "boot_start: no hook $hook"
  mkdir -p "$(dirname "$log")"
  : > "$log"
  BOOT_QEMU_PIDFILE="$log.pid"
  rm -f "$BOOT_QEMU_PIDFILE"
  local -a cmd
  mapfile -t cmd < <(_qemu_cmd "$disk" "$log" "$hook" "$BOOT_QEMU_PIDFILE")
  printf '%q ' "${cmd[@]}" > "$log.cmd"; echo >> "$log.cmd"
  BOOT_T0=$(e2e_now_ms)
  nice timeout --kill-after=10 "$tmo" "${cmd[@]}" > "$log.qemu" 2>&1 &
  BOOT_PID=$!
}

# boot_wait: waits for the boot started last. Sets BOOT_RC (0: the guest powered off or rebooted,
# 124: the timeout ended it, 137: killed, other: QEMU failed) and BOOT_MS.
boot_wait() {
  BOOT_RC=0
  wait "$BOOT_PID" || BOOT_RC=$?
  BOOT_MS=$(( $(e2e_now_ms) - BOOT_T0 ))
  rm -f "$BOOT_QEMU_PIDFILE"
}

# _qemu_keep_warm_vars DISK: after a clean boot, keeps DISK's variable store as the warm one. Not from a disk whose
# store holds boot options of its own (the efi disks, E2E_KEEP_WARM_VARS=0): every disk has the same GUIDs, so other
# disks would boot those options.
_qemu_keep_warm_vars() {
  if [ "$BOOT_RC" = 0 ] && [ "${E2E_KEEP_WARM_VARS:-1}" = 1 ] && [ -n "${E2E_OVMF_VARS_WARM:-}" ] && [ ! -s "$E2E_OVMF_VARS_WARM" ]; then
    cp "${1%.img}.vars.fd" "$E2E_OVMF_VARS_WARM.tmp" && mv "$E2E_OVMF_VARS_WARM.tmp" "$E2E_OVMF_VARS_WARM"
  fi
}

# boot_kill: SIGKILL the running QEMU (a power cut), then reap it. Sets BOOT_RC, BOOT_MS.
boot_kill() {
  local pid i
  for i in $(seq 50); do [ -s "$BOOT_QEMU_PIDFILE" ] && break; sleep 0.1; done
  pid=$(cat "$BOOT_QEMU_PIDFILE" 2>/dev/null || true)
  [ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
  boot_wait
}

# boot_wait_marker LOG NAME REGEX SECONDS: waits while the boot runs until marker NAME has a value
# matching REGEX. False when the boot ended or SECONDS passed first.
boot_wait_marker() {
  local log=$1 name=$2 re=$3 deadline=$(( $(date +%s) + $4 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    serial_has "$log" "$name" "$re" && return 0
    kill -0 "$BOOT_PID" 2>/dev/null || { serial_has "$log" "$name" "$re"; return; }
    sleep 0.2
  done
  return 1
}

# boot_once DISK LOG TIMEOUT [HOOK]: one boot, to its end. Sets BOOT_RC and BOOT_MS; returns
# BOOT_RC. A guest that hangs is ended by TIMEOUT (seconds) and returns 124.
boot_once() {
  boot_start "$@"
  boot_wait
  _qemu_keep_warm_vars "$1"
  e2e_log "boot $(basename "$2"): rc=$BOOT_RC in $(e2e_fmt_ms "$BOOT_MS")"
  return "$BOOT_RC"
}
