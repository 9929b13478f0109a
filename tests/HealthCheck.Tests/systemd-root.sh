#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prepares the minimal Debian root that the HealthCheck tests boot with `systemd-nspawn --boot` to ask a real
# systemd about real units over D-Bus. Run as root before `dotnet test` (CI does). Idempotent: when the root
# is already complete it only checks the host tools and returns within a second.
#
#   UPDATER_SYSTEMD_ROOT   where the root lives (default /var/cache/updater-tests/systemd-root); the tests
#                          read the same variable
#   UPDATER_DEBIAN_MIRROR  Debian mirror for debootstrap (default: the bookworm mirror apt already uses)
#   UPDATER_SYSTEMD_ROOT_EXTRA  more packages, comma-separated (the QEMU guests of tests/e2e add udev,
#                          systemd-boot, efibootmgr to a root of their own)
set -euo pipefail

root="${UPDATER_SYSTEMD_ROOT:-/var/cache/updater-tests/systemd-root}"
suite=bookworm
# Bump when the content of the root changes, so cached roots built by an older script are rebuilt.
extra="${UPDATER_SYSTEMD_ROOT_EXTRA:-}"
case "$extra" in *[!a-z0-9.+,-]*) echo "systemd-root.sh: UPDATER_SYSTEMD_ROOT_EXTRA is not a comma-separated package list: $extra" >&2; exit 2 ;; esac
stamp_content="updater-systemd-root v1 $suite minbase systemd systemd-sysv dbus${extra:+ $extra}"
stamp="$root/.updater-systemd-root"

if [ "$(id -u)" -ne 0 ]; then
  echo "systemd-root.sh: must run as root (debootstrap, systemd-nspawn)" >&2
  exit 1
fi

# Host tools: debootstrap builds the root, systemd-container provides systemd-nspawn, util-linux nsenter.
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
command -v nsenter >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  echo "systemd-root.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_content" ]; then
  echo "systemd-root.sh: $root is ready (cached)"
  exit 0
fi

# The mirror apt is configured with: deb822 .sources files first, then one-line sources.list entries.
find_mirror() {
  local f found
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # Stanzas are separated by blank lines; take the URIs of the first stanza whose Suites name the suite.
    found=$(awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; hit = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/); uris = u[1] }
          if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) hit = 1 }
        }
        if (hit && uris != "") { print uris; exit }
      }' "$f")
    if [ -n "$found" ]; then echo "$found"; return; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    found=$(awk -v suite="$suite" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' "$f")
    if [ -n "$found" ]; then echo "$found"; return; fi
  done
}
mirror="${UPDATER_DEBIAN_MIRROR:-$(find_mirror)}"
mirror="${mirror:-http://deb.debian.org/debian}"

# Build beside the final place and rename at the end: an interrupted run never leaves a half root that
# looks finished.
work="$root.partial"
rm -rf "$work"
mkdir -p "$(dirname "$root")"
echo "systemd-root.sh: debootstrap $suite from $mirror into $work"
start=$(date +%s)
debootstrap --variant=minbase --include="systemd,systemd-sysv,dbus${extra:+,$extra}" "$suite" "$work" "$mirror"

# A container that boots in under a second and stays quiet: no consoles to log in on, nothing that waits
# for a network, no periodic jobs that would start while a test looks at unit states.
for unit in getty.target console-getty.service systemd-networkd-wait-online.service \
            apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer; do
  ln -sf /dev/null "$work/etc/systemd/system/$unit"
done
# The tests' units are written into the running container under /etc/systemd/system; the root itself is
# only read (the tests boot it with --volatile=overlay), so runs never see each other's leftovers.
: > "$work/etc/machine-id"
rm -f "$work/var/cache/apt/archives/"*.deb

echo "$stamp_content" > "$work/.updater-systemd-root"
rm -rf "$root"
mv "$work" "$root"
echo "systemd-root.sh: $root ready in $(( $(date +%s) - start )) s ($(du -sh "$root" | cut -f1))"
