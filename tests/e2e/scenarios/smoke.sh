# SPDX-License-Identifier: Apache-2.0
# Smoke scenarios: the harness, proven with real boots and without the updater's own logic.
# Slot images: "a1" in slot A, "b1" in slot B, so each boot shows which partition it really ran.

# The grubenv of a disk where both slots hold a committed good image, A first.
SMOKE_ENV_BOTH_GOOD='ORDER=A B|A_OK=1|A_TRY=0|A_TRIAL=0|B_OK=1|B_TRY=0|B_TRIAL=0'

smoke_disk() {
  local disk=$1 a b; shift
  a=$(e2e_cached_slot smoke-a1 --image a1)
  b=$(e2e_cached_slot smoke-b1 --image b1)
  e2e_disk "$disk" --a "$a" --b "$b" "$@"
}

e2e_scenario smoke_boot_a "ORDER=\"A B\" boots slot A; the guest runs the updater and writes /data"
scenario_smoke_boot_a() {
  local disk="$SCEN_DIR/disk.img" hook out
  smoke_disk "$disk" --env "$SMOKE_ENV_BOTH_GOOD"
  hook=$(scenario_hook boot <<'H'
e2e_result "slot=$E2E_SLOT"
e2e_block version updater --version
e2e_block files ls -l /usr/lib/updater /lib/x86_64-linux-gnu /lib64
echo "hello from $E2E_SLOT" > /data/e2e/smoke.txt
H
)
  scenario_boot "$disk" 90 "$hook"
  assert_boot_rc 0
  assert_booted A a1
  assert_marker RESULT '^slot=A$'
  assert_marker END '^poweroff$'
  out=$(serial_block "$LOG" version) || e2e_fail "no updater output in $LOG"
  [ -n "$(printf '%s' "$out" | tr -d '[:space:]')" ] || e2e_fail "updater --version printed nothing"
  assert_eq "$(serial_block_rc "$LOG" version)" 0 "exit status of updater --version in the guest"
  assert_eq "$(data_cat "$disk" /e2e/smoke.txt)" "hello from A" "/data/e2e/smoke.txt read back on the host"
  # A committed slot's boots are not counted: GRUB leaves the environment alone.
  assert_env_unchanged
}

e2e_scenario smoke_boot_b "ORDER=\"B A\" boots slot B; the guest commits B in grubenv, which the next boot honours"
scenario_smoke_boot_b() {
  local disk="$SCEN_DIR/disk.img" hook
  smoke_disk "$disk" --env 'ORDER=B A|A_OK=1|A_TRY=0|A_TRIAL=0|B_OK=1|B_TRY=0|B_TRIAL=1'
  # What "updater mark-good" will do, done here with the real grub-editenv from the guest: the
  # guest's write to the ESP has to reach GRUB.
  hook=$(scenario_hook commit <<'H'
e2e_block env-at-boot grub-editenv "$E2E_ESP/EFI/BOOT/grubenv" list
grub-editenv "$E2E_ESP/EFI/BOOT/grubenv" set B_TRIAL=0 B_TRY=0 && e2e_result committed
H
)
  scenario_boot "$disk" 90 "$hook"
  assert_boot_rc 0
  assert_booted B b1
  # GRUB counted the trial boot before the guest ran.
  serial_block "$LOG" env-at-boot | grep -x 'B_TRY=1' >/dev/null || e2e_fail "GRUB did not count the trial boot of B"
  assert_marker RESULT '^committed$'
  assert_env "$disk" ORDER="B A" B_OK=1 B_TRIAL=0 B_TRY=0
  assert_grubenv_block "$disk"
  scenario_boot "$disk" 90
  assert_boot_rc 0
  assert_booted B b1
  assert_env_unchanged
}

e2e_scenario smoke_fallback "slot A marked bad (A_OK=0): GRUB boots B although ORDER=\"A B\""
scenario_smoke_fallback() {
  local disk="$SCEN_DIR/disk.img"
  smoke_disk "$disk" --env 'ORDER=A B|A_OK=0|A_TRY=0|A_TRIAL=0|B_OK=1|B_TRY=0|B_TRIAL=0'
  scenario_boot "$disk" 90
  assert_boot_rc 0
  assert_booted B b1
  assert_env_unchanged
}

e2e_scenario smoke_try_counted "a trial boot of B that powers off unconfirmed counts its try; the next boot falls back to A"
scenario_smoke_try_counted() {
  local disk="$SCEN_DIR/disk.img"
  smoke_disk "$disk" --env 'ORDER=B A|A_OK=1|A_TRY=0|A_TRIAL=0|B_OK=1|B_TRY=0|B_TRIAL=1'
  scenario_boot "$disk" 90
  assert_boot_rc 0
  assert_booted B b1
  assert_eq "$(serial_grub_choice "$LOG")" "B (trial, try 1 of 1)" "GRUB's choice"
  assert_env "$disk" B_TRY=1 B_TRIAL=1 B_OK=1 ORDER="B A"
  assert_grubenv_block "$disk"
  scenario_boot "$disk" 90
  assert_boot_rc 0
  assert_booted A a1
  assert_env "$disk" B_TRY=1 A_TRY=0
  assert_env_unchanged
}

e2e_scenario smoke_hang "a trial boot that hangs is ended by the host's timeout; its try was counted, the next boot is A"
scenario_smoke_hang() {
  local disk="$SCEN_DIR/disk.img" hook
  smoke_disk "$disk" --env 'ORDER=B A|A_OK=1|A_TRY=0|A_TRIAL=0|B_OK=1|B_TRY=0|B_TRIAL=1'
  hook=$(scenario_hook hang <<'H'
e2e_hang
H
)
  scenario_boot "$disk" 60 "$hook"
  assert_boot_rc 124
  assert_booted B b1
  assert_marker END '^hang$'
  assert_env "$disk" B_TRY=1
  scenario_boot "$disk" 90
  assert_boot_rc 0
  assert_booted A a1
}

e2e_scenario smoke_power_cut "QEMU SIGKILLed while the guest writes to /data; the next boot comes up and mounts /data"
scenario_smoke_power_cut() {
  local disk="$SCEN_DIR/disk.img" hook delay
  smoke_disk "$disk" --env "$SMOKE_ENV_BOTH_GOOD"
  hook=$(scenario_hook writer <<'H'
i=0
e2e_mark WRITING start
while :; do
  i=$((i + 1))
  dd if=/dev/urandom of=/data/e2e/fill.$((i % 4)) bs=64k count=64 2>/dev/null
  echo "$i" > /data/e2e/count.tmp && mv /data/e2e/count.tmp /data/e2e/count
  [ $((i % 4)) -ne 0 ] || sync
done
H
)
  scenario_boot_start "$disk" 90 "$hook"
  boot_wait_marker "$LOG" WRITING '^start$' 80 || e2e_fail "the guest never started writing ($LOG)"
  delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.1f", (r % 30) / 10 }')
  e2e_log "cutting the power ${delay}s into the writes"
  sleep "$delay"
  scenario_boot_kill
  assert_boot_rc 137
  assert_no_marker END '.'
  hook=$(scenario_hook check <<'H'
e2e_result "count=$(cat /data/e2e/count 2>/dev/null || echo none)"
H
)
  scenario_boot "$disk" 90 "$hook"
  assert_boot_rc 0
  assert_booted A a1
  assert_no_marker WARN 'cannot mount data'
  assert_marker RESULT '^count=([0-9]+|none)$'
}

e2e_scenario smoke_http "the guest downloads a file from the host's HTTP server over QEMU user networking, whole and by Range"
scenario_smoke_http() {
  local disk="$SCEN_DIR/disk.img" hook want
  smoke_disk "$disk" --env "$SMOKE_ENV_BOTH_GOOD"
  mkdir -p "$SCEN_DIR/www"
  head -c 3000000 /dev/urandom > "$SCEN_DIR/www/blob"
  want=$(sha256sum < "$SCEN_DIR/www/blob" | cut -d' ' -f1)
  scenario_http "$SCEN_DIR/www"
  hook=$(scenario_hook fetch <<'H'
wget -q -O /tmp/blob "$E2E_HTTP_URL/blob" && e2e_result "sha256=$(sha256sum < /tmp/blob | cut -d' ' -f1)"
# Bytes 1000-1999 as a Range request (busybox wget resumes with Range from the local size).
head -c 1000 /tmp/blob > /tmp/part && wget -q -c -O /tmp/part "$E2E_HTTP_URL/blob" \
  && e2e_result "resumed=$(sha256sum < /tmp/part | cut -d' ' -f1)"
H
)
  scenario_boot "$disk" 90 "$hook"
  assert_boot_rc 0
  assert_booted A a1
  assert_marker RESULT "^sha256=$want\$"
  assert_marker RESULT "^resumed=$want\$"
}
