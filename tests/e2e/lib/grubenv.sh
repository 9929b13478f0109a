# SPDX-License-Identifier: Apache-2.0
# The GRUB environment on a test disk's ESP, read and written from the host with mtools and the
# real grub-editenv on a copy. Source after common.sh and disk.sh. Never while QEMU runs the disk.

_esp() { echo "$1@@$(part_offset "$1" 1)"; }

# grubenv_get_file DISK OUT: copies the grubenv block out of the disk.
grubenv_get_file() {
  rm -f "$2"
  mcopy -n -i "$(_esp "$1")" "::$E2E_GRUBENV_ON_ESP" "$2" || e2e_die "cannot read $E2E_GRUBENV_ON_ESP from $1"
}

# grubenv_list DISK: "NAME=VALUE" lines, as grub-editenv prints them.
grubenv_list() {
  local tmp
  tmp=$(mktemp "${TMPDIR:-/tmp}/e2e-grubenv.XXXXXX")
  grubenv_get_file "$1" "$tmp"
  grub-editenv "$tmp" list
  rm -f "$tmp"
}

# grubenv_get DISK NAME: the value of NAME (empty when unset).
grubenv_get() { grubenv_list "$1" | sed -n "s/^$2=//p" | sed -n 1p; }

# grubenv_set DISK NAME=VALUE...: sets variables; the block stays 1024 bytes.
grubenv_set() {
  local disk=$1 tmp; shift
  tmp=$(mktemp "${TMPDIR:-/tmp}/e2e-grubenv.XXXXXX")
  grubenv_get_file "$disk" "$tmp"
  grub-editenv "$tmp" set "$@"
  [ "$(stat -c %s "$tmp")" -eq 1024 ] || e2e_die "grubenv is not 1024 bytes after set"
  mcopy -o -n -i "$(_esp "$disk")" "$tmp" "::$E2E_GRUBENV_ON_ESP" || e2e_die "cannot write grubenv to $disk"
  rm -f "$tmp"
}

# grubenv_summary DISK: one line with the slot variables, for logs.
grubenv_summary() {
  grubenv_list "$1" | grep -E '^(ORDER|[AB]_(OK|TRY|TRIAL))=' | sort | tr '\n' ' '
}
