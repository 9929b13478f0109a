# SPDX-License-Identifier: Apache-2.0
# Reading the guest's serial log on the host. Source after common.sh.
# The stream carries CR and ANSI escapes (OVMF, GRUB): every reader goes through serial_clean.

# serial_clean LOG: the log as plain lines.
serial_clean() {
  sed -e 's/\r//g' \
      -e 's/\x1b\[[0-9;?]*[ -\/]*[@-~]//g' \
      -e 's/\x1b[()][0-9A-Za-z]//g' \
      -e 's/\x1b[=>78cDEHM]//g' "$1" | tr -d '\000'
}

# serial_markers LOG NAME: every value of "E2E-NAME: value", in order (nothing, and status 0,
# when there is none).
# Readers here never stop reading early (no grep -q, head): under pipefail a writer killed by
# SIGPIPE would turn a match into a failure.
serial_markers() {
  serial_clean "$1" | { grep -a -o "E2E-$2: .*" || true; } | sed "s/^E2E-$2: //"
}

# serial_marker LOG NAME: the last value of marker NAME (exit 1 when there is none).
serial_marker() {
  local v
  v=$(serial_markers "$1" "$2" | sed -n '$p')
  [ -n "$v" ] || return 1
  printf '%s\n' "$v"
}

# serial_has LOG NAME REGEX: true when some value of marker NAME matches REGEX (grep -E).
serial_has() { serial_markers "$1" "$2" | grep -E -- "$3" >/dev/null; }

# serial_block LOG NAME: the output a guest framed with e2e_block NAME (the last one), without the
# frame. Exit 1 when the block is missing or unterminated.
serial_block() {
  serial_clean "$1" | awk -v name="$2" '
    $0 ~ "E2E-BEGIN " name "$" { buf = ""; inside = 1; next }
    inside && $0 ~ "E2E-END " name " rc=" { inside = 0; found = 1; out = buf; next }
    inside { buf = buf $0 "\n" }
    END { if (!found) exit 1; printf "%s", out }'
}

# serial_block_cut LOG NAME: like serial_block, for a command that may end the boot itself (e.g.
# `updater health` running its reboot command): a block without its end runs to the next E2E- marker
# or to the end of the log.
serial_block_cut() {
  serial_clean "$1" | awk -v name="$2" '
    $0 ~ "E2E-BEGIN " name "$" { buf = ""; inside = 1; found = 1; out = ""; next }
    inside && ($0 ~ "E2E-END " name " rc=" || $0 ~ /E2E-[A-Z-]+:/) { inside = 0; out = buf; next }
    inside { buf = buf $0 "\n" }
    END { if (!found) exit 1; if (inside) out = buf; printf "%s", out }'
}

# serial_json_cut LOG NAME [JQ_FILTER]: serial_json on serial_block_cut.
serial_json_cut() {
  local block
  block=$(serial_block_cut "$1" "$2") || return 1
  printf '%s\n' "$block" | jq -e "${3:-.}"
}

# serial_block_rc LOG NAME: the exit status recorded at the end of block NAME.
serial_block_rc() {
  serial_clean "$1" | sed -n "s/.*E2E-END $2 rc=\([0-9]*\).*/\1/p" | sed -n '$p'
}

# serial_json LOG NAME [JQ_FILTER]: the JSON a guest framed with e2e_block NAME (e.g. the output of
# `updater status --json`), through jq (default filter "."). Fails when the block is missing or is
# not JSON.
serial_json() {
  local block
  block=$(serial_block "$1" "$2") || return 1
  printf '%s\n' "$block" | jq -e "${3:-.}"
}

# serial_grub_choice LOG: what dist/grub.cfg said it booted, e.g. "B (trial, try 1 of 3)"; empty
# when GRUB booted nothing.
serial_grub_choice() {
  serial_clean "$1" | sed -n 's/.*updater: booting slot \([AB]\) (\([^)]*\)).*/\1 (\2)/p' | sed -n '$p'
}
