#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package of the updater from the NativeAOT publish, with dpkg-deb alone:
#   packaging/build-deb.sh [--rid linux-x64|linux-arm64] [--out DIR]
# writes DIR/updater_VERSION_ARCH.deb (default DIR: publish/) and prints its path. The layout:
#   /usr/lib/updater/         the binary and the two native libraries it loads from its own directory
#   /usr/bin/updater          a symlink to it (the units run /usr/bin/updater)
#   /usr/lib/systemd/system/  the units; system-preset/90-updater.preset enables the verdict units only
#   /usr/lib/tmpfiles.d/      the state directory /var/lib/updater
#   /etc/updater/             update.conf and health.d/10-example.conf, as conffiles
#   /usr/share/doc/updater/   the docs the units' Documentation= point at, the boot scripts as examples
#   man page, bash and zsh completion, the journal message catalog
# VERSION is 1.0.0+gitDATE.COMMIT of the checked-out commit, so a later commit sorts later.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rid=linux-x64
out="$repo/publish"
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rid=${2:?--rid needs linux-x64 or linux-arm64}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$rid" in
  linux-x64) arch=amd64; publish="$repo/publish/updater-aot" ;;
  linux-arm64) arch=arm64; publish="$repo/publish/updater-aot-linux-arm64" ;;
  *) echo "build-deb.sh: $rid: not a runtime identifier this script packages" >&2; exit 2 ;;
esac
if [ "$rid" = linux-x64 ]; then bash "$repo/tests/publish-aot.sh" >&2; else bash "$repo/tests/publish-aot.sh" --rid "$rid" >&2; fi

cd "$repo"
# Whoever builds the package for a product names themselves (DEB_MAINTAINER="Name <address>").
maintainer=${DEB_MAINTAINER:-The updater authors <updater@example.com>}
version="1.0.0+git$(git log -1 --format=%cd --date=format:%Y%m%d%H%M%S).$(git rev-parse --short=12 HEAD)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg="$work/updater"
doc="$pkg/usr/share/doc/updater"
install -d "$pkg/DEBIAN" "$pkg/usr/lib/updater" "$pkg/usr/bin" "$pkg/usr/lib/systemd/system" "$pkg/usr/lib/systemd/system-preset" \
  "$pkg/usr/lib/systemd/catalog" "$pkg/usr/lib/tmpfiles.d" "$pkg/etc/updater/health.d" "$doc/examples" "$pkg/usr/share/man/man1" \
  "$pkg/usr/share/bash-completion/completions" "$pkg/usr/share/zsh/vendor-completions" "$pkg/usr/share/lintian/overrides" \
  "$pkg/usr/share/dbus-1/system.d" "$pkg/usr/share/dbus-1/system-services" "$pkg/usr/lib/sysusers.d" "$doc/dbus"

install -m 0755 "$publish/updater" "$pkg/usr/lib/updater/updater"
# The native libraries are loaded by the binary, not linked: they are private, not in the library path.
install -m 0644 "$publish/libsodium.so" "$publish/libMonoPosixHelper.so" "$pkg/usr/lib/updater/"
# Mono.Posix's helper comes with its symbols; the package ships what runs.
strip_tool=strip
[ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ] && strip_tool=aarch64-linux-gnu-strip
"$strip_tool" --strip-unneeded --remove-section=.comment --remove-section=.note "$pkg/usr/lib/updater/libMonoPosixHelper.so"
ln -s ../lib/updater/updater "$pkg/usr/bin/updater"
install -m 0644 dist/updater.service dist/updater-check.service dist/updater-check.timer dist/updater-commit.service \
  dist/updater-health.service dist/updater-dbus.service "$pkg/usr/lib/systemd/system/"
install -m 0644 dist/dbus-1/system.d/io.github.updater.Updater1.conf "$pkg/usr/share/dbus-1/system.d/"
install -m 0644 dist/dbus-1/system-services/io.github.updater.Updater1.service "$pkg/usr/share/dbus-1/system-services/"
install -m 0644 dist/sysusers.d/updater.conf "$pkg/usr/lib/sysusers.d/updater.conf"
install -m 0644 dist/90-updater.preset "$pkg/usr/lib/systemd/system-preset/"
install -m 0644 dist/updater.catalog "$pkg/usr/lib/systemd/catalog/"
install -m 0644 dist/tmpfiles.d/updater.conf "$pkg/usr/lib/tmpfiles.d/updater.conf"
install -m 0644 update.conf "$pkg/etc/updater/update.conf"
install -m 0644 dist/health.d/10-example.conf "$pkg/etc/updater/health.d/10-example.conf"
install -m 0644 docs/*.md README.md THIRD-PARTY-NOTICES.md "$doc/"
install -m 0644 docs/dbus/io.github.updater.Updater1.xml "$doc/dbus/"
install -m 0644 dist/grub.cfg dist/boot.cmd "$doc/examples/"
# Not active from the package: a device's initramfs takes it on purpose (docs/integration.md, section 3).
install -d "$doc/examples/initramfs-tools/scripts/local-top"
install -m 0644 dist/initramfs-tools/scripts/local-top/updater-slot "$doc/examples/initramfs-tools/scripts/local-top/"
install -m 0644 LICENSE "$doc/LICENSE"
gzip -9n -c dist/updater.1 > "$pkg/usr/share/man/man1/updater.1.gz"
install -m 0644 dist/completion/updater.bash "$pkg/usr/share/bash-completion/completions/updater"
install -m 0644 dist/completion/_updater "$pkg/usr/share/zsh/vendor-completions/_updater"
install -m 0644 packaging/lintian-overrides "$pkg/usr/share/lintian/overrides/updater"
# Debian's copyright and changelog, from the project's own files.
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: updater"
  echo
  echo "Files: *"
  echo "Copyright: 2026 The updater authors"
  echo "License: Apache-2.0"
  echo " On Debian systems, the full text of the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0."
  echo " The components the binary ships or links, and their licences: THIRD-PARTY-NOTICES.md in this directory."
} > "$doc/copyright"
{
  echo "updater ($version) unstable; urgency=medium"
  echo
  echo "  * Built from commit $(git rev-parse HEAD)."
  echo
  echo " -- $maintainer  $(git log -1 --format=%cD)"
} | gzip -9n > "$doc/changelog.gz"

cat > "$pkg/DEBIAN/control" <<CONTROL
Package: updater
Version: $version
Architecture: $arch
Maintainer: $maintainer
Section: admin
Priority: optional
Depends: libc6 (>= 2.34), libssl3, zlib1g
Recommends: systemd, e2fsprogs
Suggests: grub-common, libubootenv-tool, systemd-boot, efibootmgr
Installed-Size: $(du -sk "$pkg" --exclude=DEBIAN | cut -f1)
Homepage: https://github.com/updater/updater
Description: atomic A/B OS image updates with automatic rollback
 Installs a signed OS image bundle into the inactive slot of an A/B pair while
 verifying every chunk, tells the bootloader (GRUB, U-Boot, systemd-boot or the
 EFI boot manager) to try it once, and after the reboot gives the health
 verdict: the new slot is committed, or the bootloader falls back to the slot
 that worked. Updates come from a file, any HTTP server, or a signed channel
 with staged rollouts.
CONTROL
printf '/etc/updater/update.conf\n/etc/updater/health.d/10-example.conf\n' > "$pkg/DEBIAN/conffiles"
install -m 0755 packaging/postinst "$pkg/DEBIAN/postinst"
install -m 0755 packaging/prerm "$pkg/DEBIAN/prerm"
install -m 0755 packaging/postrm "$pkg/DEBIAN/postrm"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's| \./| |') > "$pkg/DEBIAN/md5sums"
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/control" "$pkg/DEBIAN/conffiles"
mkdir -p "$out"
deb="$out/updater_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
