#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Publishes the updater as it ships, NativeAOT for linux-x64: updater + libMonoPosixHelper.so + libsodium.so
# in one directory. Tests that run the real binary (the systemd container tests, the e2e suite) use it.
#
#   tests/publish-aot.sh [OUTDIR]      default: $UPDATER_AOT_DIR, else publish/updater-aot in the repository
#
# Idempotent and fast when up to date: nothing is rebuilt while no source or build file is newer than the
# last publish. Prints the directory on its last line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-${UPDATER_AOT_DIR:-$repo/publish/updater-aot}}"
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
echo "publish-aot.sh: dotnet publish src/Updater (NativeAOT, linux-x64) into $out"
if ! nice dotnet publish "$repo/src/Updater" -c Release -r linux-x64 -p:PublishAot=true -o "$work" -nologo -v quiet > "$work.log" 2>&1; then
  cat "$work.log" >&2
  echo "publish-aot.sh: dotnet publish failed" >&2
  exit 1
fi
for f in updater libMonoPosixHelper.so libsodium.so; do
  [ -f "$work/$f" ] || { echo "publish-aot.sh: the publish lacks $f" >&2; exit 1; }
done
# Debug symbols stay out: the tests copy the directory into containers.
rm -f "$work"/*.dbg "$work"/*.pdb
# The stamp takes the time the publish started: a source edited during the publish triggers the next one.
mv "$work.start" "$work/.published"
rm -rf "$out" "$work.log"
mv "$work" "$out"
echo "$out"
