#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Publishes the updater as it ships, NativeAOT: updater + libMonoPosixHelper.so + libsodium.so in one directory.
# Tests that run the real binary (the systemd container tests, the e2e suite, the arm64 smoke) use it.
#
#   tests/publish-aot.sh [--rid RID] [OUTDIR]
#
# RID: linux-x64 (default) or linux-arm64. OUTDIR: for linux-x64 $UPDATER_AOT_DIR, else publish/updater-aot; for
# another RID publish/updater-aot-RID. linux-arm64 on an x86-64 machine is a cross build: clang targets aarch64,
# lld links against Debian's cross libraries (crossbuild-essential-arm64), the cross objcopy strips. Every ELF file
# of the publish is checked with file(1) to be of the RID's architecture.
#
# Idempotent and fast when up to date: nothing is rebuilt while no source or build file is newer than the
# last publish. Prints the directory on its last line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rid=linux-x64
if [ "${1:-}" = --rid ]; then rid=${2:?--rid needs a runtime identifier}; shift 2; fi
# What file(1) says of an ELF file of that architecture, and the cross build's options when it is not this machine's.
cross=()
case "$rid" in
  linux-x64) elf_arch="x86-64"; host_arch=x86_64 ;;
  linux-arm64) elf_arch="ARM aarch64"; host_arch=aarch64 ;;
  *) echo "publish-aot.sh: $rid: not a runtime identifier this script builds (linux-x64, linux-arm64)" >&2; exit 2 ;;
esac
if [ "$(uname -m)" != "$host_arch" ]; then
  cross=(-p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld "-p:ObjCopyName=$host_arch-linux-gnu-objcopy")
fi
if [ "$rid" = linux-x64 ]; then
  out="${1:-${UPDATER_AOT_DIR:-$repo/publish/updater-aot}}"
else
  out="${1:-$repo/publish/updater-aot-$rid}"
fi
stamp="$out/.published"

# Everything the binary is built from: sources and project files of src/, the central props.
newer() {
  find "$repo/src" "$repo/Directory.Build.props" "$repo/Directory.Packages.props" \
    \( -name bin -o -name obj \) -prune -o -type f -newer "$stamp" -print -quit
}
if [ -x "$out/updater" ] && [ -f "$stamp" ] && [ -z "$(newer)" ]; then
  echo "publish-aot.sh: up to date"
  echo "$out"
  exit 0
fi

# Into a fresh directory beside the final one, renamed at the end: a reader never sees half a publish.
work="$out.partial"
rm -rf "$work"
mkdir -p "$(dirname "$out")"
touch "$work.start"
echo "publish-aot.sh: dotnet publish src/Updater (NativeAOT, $rid) into $out"
if ! nice dotnet publish "$repo/src/Updater" -c Release -r "$rid" -p:PublishAot=true "${cross[@]}" -o "$work" -nologo -v quiet > "$work.log" 2>&1; then
  cat "$work.log" >&2
  echo "publish-aot.sh: dotnet publish failed" >&2
  exit 1
fi
for f in updater libMonoPosixHelper.so libsodium.so; do
  [ -f "$work/$f" ] || { echo "publish-aot.sh: the publish lacks $f" >&2; exit 1; }
  what=$(file -b "$work/$f")
  case "$what" in
    "ELF 64-bit LSB "*", $elf_arch,"*) ;;
    *) echo "publish-aot.sh: $f is not an ELF file for $rid: $what" >&2; exit 1 ;;
  esac
done
# Debug symbols stay out: the tests copy the directory into containers.
rm -f "$work"/*.dbg "$work"/*.pdb
# The stamp takes the time the publish started: a source edited during the publish triggers the next one.
mv "$work.start" "$work/.published"
rm -rf "$out" "$work.log"
mv "$work" "$out"
echo "$out"
