# SPDX-License-Identifier: Apache-2.0
# Unattended updates in real systemd guests: nothing in the guest drives an install, a reboot or a verdict. The host is
# the fleet: it publishes signed channel files and serves the bundles over QEMU user networking (busybox httpd on
# 127.0.0.1:PORT, 10.0.2.2:PORT in the guest), and collects the devices' status reports (a CGI endpoint). The guest is
# an image as a device maker would build it: updater.service (the agent, Type=notify, watchdog) enabled by a preset,
# [channel] in update.conf with auto-reboot, the verdict units of dist/. The host only watches the console and the
# reports, and publishes the next channel file when the device has acted on the last one:
#
#   channel 1   2.0.0, wave 1 %     the device's bucket (55.0) is above it: it waits
#   channel 2   2.0.0, wave 100 %   it installs 2.0.0 into B and reboots itself; B's trial passes and is committed
#   channel 3   3.0.0, wave 100 %   it installs 3.0.0 into A and reboots; 3.0.0's application unit fails, the health
#                                   service marks A bad and reboots; back on B, the agent reports the rollback and
#                                   does not install 3.0.0 again
#   channel 4   4.0.0, halted       nothing installs
#
# For GRUB (dist/grub.cfg under OVMF, grubenv on the ESP) and systemd-boot (counted Type #1 entries). Assertions: the
# daemon's lines on the console, the guest's `updater status --json` after each verdict, the reports the host received,
# the boot loader's state read on the host.

unattended_dir() { echo "$E2E_BUILD/unattended"; }
UNATTENDED_BACKENDS="grub systemd-boot"
# The fleet's port per backend: fixed, because the images name it (two scenarios run side by side, E2E_JOBS).
E2E_FLEET_PORT_BASE=${E2E_FLEET_PORT_BASE:-18480}
_fleet_port() {
  case "$1" in
    grub) echo "$E2E_FLEET_PORT_BASE" ;;
    systemd-boot) echo $((E2E_FLEET_PORT_BASE + 1)) ;;
    *) e2e_die "_fleet_port: unknown backend $1" ;;
  esac
}
# The device's machine id (on its data partition), and the id the fleet knows it by (docs/channel-format.md, "Device
# identity"). Its bucket for 2.0.0 is 55.08 (printed truncated, 55.0): a wave of 1 % leaves it out.
UNATTENDED_MACHINE_ID=e2e0000000000000000000000000e2e1
UNATTENDED_DEVICE_ID=e1e53a8f922d4403a4488c8ae5c5ec9a

# unattended_assets: keys, images v1-v3 per backend (each following the channel on its port), bundles v2, v3 and 4.0.0.
unattended_assets() {
  local d backend v url t0 kernel
  t0=$(e2e_now_ms)
  sdboot_require
  sdroot_fetch
  d=$(unattended_dir)
  rm -rf "$d"
  mkdir -p "$E2E_BUILD/slots"
  update_host keygen "$d/e2e-keys" >/dev/null
  for backend in $UNATTENDED_BACKENDS; do
    url="http://10.0.2.2:$(_fleet_port "$backend")"
    # GRUB boots the kernel in the slot's /boot; systemd-boot the ESP's copy.
    kernel=()
    [ "$backend" != grub ] || kernel=(--kernel "$E2E_BUILD/vmlinuz" --initrd "$E2E_BUILD/initrd.img")
    for v in 1 2 3; do
      _systemd_overlay "$d/overlay-$backend-v$v" "$v" "$backend" "$d/e2e-keys" "$url"
      sdroot_build "$E2E_BUILD/slots/unattended-$backend-v$v.img" --image "v$v" --release "$v.0.0" \
        --overlay "$d/overlay-$backend-v$v" --updater "$E2E_BUILD/updater" "${kernel[@]}"
    done
    mkdir -p "$d/bundles/$backend"
    for v in 2 3; do
      update_host bundle create -o "$d/bundles/$backend/v$v.bundle" -k "$d/e2e-keys/bundle.key" --compatible "$E2E_UPDATE_COMPATIBLE" \
        --version "$v.0.0" --description "end-to-end unattended test image v$v ($backend)" "rootfs=$E2E_BUILD/slots/unattended-$backend-v$v.img" >/dev/null
    done
    # The halted release: a valid bundle the channel pins (the v2 image under version 4.0.0); the device must never
    # fetch it.
    update_host bundle create -o "$d/bundles/$backend/v4.bundle" -k "$d/e2e-keys/bundle.key" --compatible "$E2E_UPDATE_COMPATIBLE" \
      --version 4.0.0 --description "end-to-end unattended test: the halted release ($backend)" "rootfs=$E2E_BUILD/slots/unattended-$backend-v2.img" >/dev/null
  done
  e2e_log "unattended assets: images v1-v3 and bundles v2-v4 for $UNATTENDED_BACKENDS, in $(e2e_fmt_ms $(( $(e2e_now_ms) - t0 )))"
}
e2e_prepare_for 'unattended_*' unattended_assets

# _fleet_serve BACKEND: the fleet's server for this scenario: $SCEN_DIR/www (stable.channel, bundles/) and the report
# endpoint /cgi-bin/report, which appends each POSTed document as one line to $SCEN_DIR/reports.jsonl.
_fleet_serve() {
  local www="$SCEN_DIR/www"
  mkdir -p "$www/bundles" "$www/cgi-bin"
  cp -l "$(unattended_dir)/bundles/$1"/*.bundle "$www/bundles/"
  : > "$SCEN_DIR/reports.jsonl"
  cat > "$www/cgi-bin/report" <<EOF
#!/bin/sh
# The fleet's status endpoint: one report (JSON) per POST, kept as one line.
[ "\$REQUEST_METHOD" = POST ] || { printf 'Status: 405 Method Not Allowed\r\n\r\n'; exit 0; }
body=\$(head -c "\${CONTENT_LENGTH:-0}" | tr -d '\n')
printf '%s\n' "\$body" >> '$SCEN_DIR/reports.jsonl'
printf 'Status: 204 No Content\r\n\r\n'
EOF
  chmod 0755 "$www/cgi-bin/report"
  http_serve "$www" "$(_fleet_port "$1")"
  trap 'http_stop' EXIT
}

# _fleet_publish VERSION RELEASE [channel create options]: publishes channel file VERSION offering RELEASE (bundle
# bundles/vMAJOR.bundle), replacing the served file atomically.
_fleet_publish() {
  local version=$1 release=$2 www="$SCEN_DIR/www"; shift 2
  update_host channel create -o "$www/stable.channel.tmp" -k "$(unattended_dir)/e2e-keys/channel.key" \
    --channel stable --channel-version "$version" --compatible "$E2E_UPDATE_COMPATIBLE" --release "$release" \
    --bundle-url "bundles/v${release%%.*}.bundle" --bundle "$www/bundles/v${release%%.*}.bundle" "$@" >/dev/null \
    || e2e_fail "updater channel create of channel version $version failed"
  mv "$www/stable.channel.tmp" "$www/stable.channel"
  e2e_log "published channel version $version: $release $*"
}

# _console_wait REGEX SECONDS WHAT: waits while the boot runs until its console has a line matching REGEX; fails naming
# WHAT when the boot ends first or SECONDS pass.
_console_has() { serial_clean "$LOG" | grep -a -E -- "$1" >/dev/null; }
_console_wait() {
  local re=$1 deadline=$(( $(date +%s) + $2 ))
  while ! _console_has "$re"; do
    kill -0 "$BOOT_PID" 2>/dev/null || { _console_has "$re" && return 0; e2e_fail "boot $SCEN_BOOTS ended before $3 (no line matching /$re/; log $LOG)"; }
    [ "$(date +%s)" -lt "$deadline" ] || e2e_fail "boot $SCEN_BOOTS: no $3 within $2 s (no line matching /$re/; log $LOG)"
    sleep 0.5
  done
  e2e_log "boot $SCEN_BOOTS: $3 after $(e2e_fmt_ms $(( $(e2e_now_ms) - BOOT_T0 )))"
}

# assert_report JQ_FILTER WHAT: some report received so far passes JQ_FILTER.
assert_report() {
  jq -s -e "any(.[]; $1)" "$SCEN_DIR/reports.jsonl" >/dev/null \
    || e2e_fail "no report $2 (received: $(jq -c '[.event, .current_version, .target_version, .rollback_reason]' "$SCEN_DIR/reports.jsonl" | tr '\n' ' '))"
}
assert_no_report() {
  ! jq -s -e "any(.[]; $1)" "$SCEN_DIR/reports.jsonl" >/dev/null || e2e_fail "unexpected report $2: $(jq -c "select($1)" "$SCEN_DIR/reports.jsonl")"
}

# The boot loader's state after each step (UNATTENDED_STATE STATE):
#   factory   A committed, B never written
#   b-trial   2.0.0 in B on trial (one try)
#   a-trial   B committed, 3.0.0 in A on trial
#   a-bad     B committed, A marked bad
_grub_unattended_state() {
  local disk="$SCEN_DIR/disk.img"
  case "$1" in
    factory) assert_env "$disk" ORDER="A B" A_OK=1 A_TRIAL=0 B_OK=0 ;;
    b-trial) assert_env "$disk" ORDER="B A" A_OK=1 A_TRIAL=0 B_OK=1 B_TRY=0 B_TRIAL=1 ;;
    a-trial) assert_env "$disk" ORDER="A B" A_OK=1 A_TRY=0 A_TRIAL=1 B_OK=1 B_TRIAL=0 ;;
    a-bad) assert_env "$disk" A_OK=0 B_OK=1 B_TRIAL=0 ;;
    *) e2e_die "_grub_unattended_state: unknown state $1" ;;
  esac
  assert_grubenv_block "$disk"
}
_sdboot_unattended_state() {
  local disk="$SCEN_DIR/disk.img"
  case "$1" in
    factory) assert_sdboot_entries "$disk" updater-0-b+0.conf updater-1-a.conf ;;
    b-trial) assert_sdboot_entries "$disk" updater-1-a.conf updater-2-b+1.conf ;;
    a-trial) assert_sdboot_entries "$disk" updater-2-b.conf updater-3-a+1.conf ;;
    a-bad) assert_sdboot_entries "$disk" updater-2-b.conf updater-3-a+0.conf ;;
    *) e2e_die "_sdboot_unattended_state: unknown state $1" ;;
  esac
}

# _unattended_boot_start: the next boot of the disk, nobody driving it; the host ends it only at the very end.
_unattended_boot_start() { scenario_boot_start "$SCEN_DIR/disk.img" 400; }

# _unattended_flow: the four channel files and four boots described at the top.
_unattended_flow() {
  local disk="$SCEN_DIR/disk.img" t0
  t0=$(date -u -d '-1 min' +%Y-%m-%dT%H:%MZ)
  _fleet_publish 1 2.0.0 --wave "1@$t0"
  $UNATTENDED_STATE factory

  # Boot 1: A (1.0.0, committed). The agent waits for its wave; channel 2 widens it to 100 %: it installs 2.0.0 into B
  # and reboots by itself.
  _unattended_boot_start
  _console_wait "channel 'stable' version 1: bucket 55\\.0 is not below the 1 % of wave 1" 300 "the agent's first poll (waiting for its wave)"
  _fleet_publish 2 2.0.0 --wave "100@$t0"
  _console_wait "installed 2\\.0\\.0 into slot B " 200 "the unattended install of 2.0.0"
  boot_wait; _scenario_after_boot "$disk"
  assert_boot_rc 0
  assert_booted A v1
  assert_verdict_units active active inactive
  assert_json status '.booted_slot == "A" and (.problems | length) == 0' "status on the factory slot"
  assert_console 'rebooting to activate the update' "the agent's reboot"
  assert_report '.event == "status" and .current_version == "1.0.0"' "status from the agent on 1.0.0"
  assert_report '.event == "install-started" and .target_version == "2.0.0" and .channel_version == 2' "install-started of 2.0.0"
  assert_report '.event == "install-finished" and .target_version == "2.0.0" and .channel_version == 2' "install-finished of 2.0.0"
  $UNATTENDED_STATE b-trial

  # Boot 2: B's trial. The health service passes it, the commit follows boot-complete.target; the agent, which installs
  # nothing while the verdict is pending, then finds 2.0.0 installed. Channel 3 offers 3.0.0: into A, reboot.
  _unattended_boot_start
  _console_wait "channel 'stable' version 2( \\(not modified\\))?: already on 2\\.0\\.0" 300 "the agent's poll on committed 2.0.0"
  _fleet_publish 3 3.0.0
  _console_wait "installed 3\\.0\\.0 into slot A " 200 "the unattended install of 3.0.0"
  boot_wait; _scenario_after_boot "$disk"
  assert_boot_rc 0
  assert_booted B v2
  assert_verdict_units active active "$UNATTENDED_BLESS"
  assert_console 'verdict: pass: slot B \(2\.0\.0\) passed its trial boot, boot-complete.target was reached, and it is committed' "B's commit"
  assert_json status '.booted_slot == "B" and .next_boot == "B" and (.slots[] | select(.bootname == "B") | .version == "2.0.0" and .boot_good == true and .boot_trial == false)' "status after B's commit"
  assert_report '.event == "status" and .current_version == "2.0.0"' "status from the agent on 2.0.0"
  assert_report '.event == "install-finished" and .current_version == "2.0.0" and .target_version == "3.0.0" and .channel_version == 3' "install-finished of 3.0.0"
  $UNATTENDED_STATE a-trial

  # Boot 3: A's trial of 3.0.0: its application unit fails, the health service marks A bad and reboots.
  _unattended_boot_start
  boot_wait; _scenario_after_boot "$disk"
  assert_boot_rc 0
  assert_booted A v3
  assert_console 'e2e-app of image v3: cannot open' "the application's failure"
  assert_console 'verdict: fail' "the trial's failed verdict"
  $UNATTENDED_STATE a-bad

  # Boot 4: B, committed. The rollback is recorded and reported; the agent does not take 3.0.0 again. Channel 4 halts
  # the next release: nothing installs. The host ends the boot after another poll.
  _unattended_boot_start
  _console_wait "channel 'stable' version 3( \\(not modified\\))?: 3\\.0\\.0 was rolled back on this device" 300 "the agent's refusal to install 3.0.0 again"
  _fleet_publish 4 4.0.0 --halt
  _console_wait "channel 'stable' version 4: halted: the rollout of 4\\.0\\.0" 120 "the agent's poll of the halted channel"
  sleep 12
  scenario_boot_kill
  assert_booted B v2
  assert_json status '.booted_slot == "B" and .next_boot == "B" and .rollback.reason == "health-failed" and .rollback.version == "3.0.0" and .rollback.from_slot == "A"' "status on B after 3.0.0's failed trial"
  assert_report '.event == "rollback" and .rollback_reason == "health-failed" and .target_version == "3.0.0"' "of the rollback of 3.0.0, with its reason"
  assert_no_report '.event == "install-started" and .target_version == "4.0.0"' "of an install of the halted 4.0.0"
  assert_no_report '.event == "install-started" and .target_version == "3.0.0" and .current_version == "2.0.0" and .channel_version > 3' "of a second install of 3.0.0"
  $UNATTENDED_STATE a-bad
  # Who the reports say they are from: the application-specific id, never the raw machine id.
  assert_no_report ".machine_id != \"$UNATTENDED_DEVICE_ID\"" "from another id than the device's"
  ! grep -q -i "$UNATTENDED_MACHINE_ID" "$SCEN_DIR/reports.jsonl" || e2e_fail "a report carries the raw machine id"
  e2e_log "reports received: $(jq -r '.event' "$SCEN_DIR/reports.jsonl" | tr '\n' ' ')"
}

# _unattended_data: the data partition at the factory: the device's machine id, written once.
_unattended_data() {
  mkdir -p "$SCEN_DIR/data"
  printf '%s\n' "$UNATTENDED_MACHINE_ID" > "$SCEN_DIR/data/machine-id"
  echo "$SCEN_DIR/data"
}

e2e_scenario unattended_grub "systemd guest, GRUB: the agent waits for its wave, installs 2.0.0 and reboots, B commits; 3.0.0 fails and is rolled back and reported; a halted channel installs nothing"
scenario_unattended_grub() {
  _systemd_scenario
  SCEN_STATE_SUMMARY=grubenv_summary
  SCEN_STATE_NAME=grubenv
  UNATTENDED_STATE=_grub_unattended_state
  UNATTENDED_BLESS=inactive
  _fleet_serve grub
  e2e_disk "$SCEN_DIR/disk.img" --a "$E2E_BUILD/slots/unattended-grub-v1.img" --data "$(_unattended_data)"
  _unattended_flow
}

e2e_scenario unattended_sdboot "systemd guest, systemd-boot: the same unattended cycle with counted entries (waves, install, commit, rollback, halt)"
scenario_unattended_sdboot() {
  _systemd_scenario
  UNATTENDED_STATE=_sdboot_unattended_state
  UNATTENDED_BLESS=active
  E2E_SDBOOT_OPTIONS=$SYSTEMD_CMDLINE
  _fleet_serve systemd-boot
  sdboot_disk "$SCEN_DIR/disk.img" --a "$E2E_BUILD/slots/unattended-systemd-boot-v1.img" --data "$(_unattended_data)"
  _unattended_flow
}
