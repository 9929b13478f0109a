# SPDX-License-Identifier: Apache-2.0
# Shared settings and small helpers for the QEMU end-to-end tests. Source, do not run.
# Every path can be overridden from the environment.

# mkfs, sgdisk, debugfs and ldconfig live in sbin.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
E2E_REPO=${E2E_REPO:-$(cd "$E2E_DIR/../.." && pwd)}
# Downloaded and unpacked Debian kernel, reused across runs (CI caches this directory).
E2E_CACHE=${E2E_CACHE:-/var/cache/updater-e2e}
# Disks, logs and build products of one run (gitignored).
E2E_WORK=${E2E_WORK:-$E2E_DIR/work}
E2E_LOGS=${E2E_LOGS:-$E2E_WORK/logs}

# Firmware from Debian's ovmf package (2 MiB variant: a per-scenario copy of the VARS file is cheap).
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}
OVMF_VARS_TEMPLATE=${OVMF_VARS_TEMPLATE:-/usr/share/OVMF/OVMF_VARS.fd}

e2e_log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
e2e_die() { printf '[e2e %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# e2e_require_tools: stops with a list of what is missing and the Debian packages that provide it.
e2e_require_tools() {
  local missing=() t
  for t in qemu-system-x86_64 sgdisk mkfs.vfat mcopy mmd mkfs.ext4 debugfs grub-mkimage grub-editenv \
           gzip apt-get dpkg timeout jq ldconfig; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [ -x /usr/bin/busybox ] && ! ldd /usr/bin/busybox >/dev/null 2>&1 \
    || missing+=("static busybox")
  [ -r "$OVMF_CODE" ] && [ -r "$OVMF_VARS_TEMPLATE" ] || missing+=("OVMF firmware")
  [ -d /usr/lib/grub/x86_64-efi ] || missing+=("GRUB x86_64-efi modules")
  if [ ${#missing[@]} -gt 0 ]; then
    e2e_die "missing: ${missing[*]} (apt-get install qemu-system-x86 ovmf grub-efi-amd64-bin grub-common gdisk dosfstools mtools e2fsprogs busybox-static jq; see tests/e2e/install-deps.sh)"
  fi
}

# e2e_now_ms: wall clock in milliseconds, for timing lines.
e2e_now_ms() { date +%s%3N; }

# e2e_fmt_ms MS: "12.3s".
e2e_fmt_ms() { awk -v ms="$1" 'BEGIN { printf "%.1fs", ms / 1000 }'; }
