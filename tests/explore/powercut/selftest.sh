#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds libpowercut into a temp dir and runs its self test under LD_PRELOAD (ROOT and an "outside" dir on
# /tmp), then checks that the library is inert inside dotnet when POWERCUT_ROOT is unset. Exits non-zero on
# any failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$here/build.sh" "$tmp/out"
mkdir "$tmp/root" "$tmp/outside"

echo "powercut self test (POWERCUT_ROOT=$tmp/root):"
POWERCUT_ROOT="$tmp/root" OUTSIDE="$tmp/outside" LD_PRELOAD="$tmp/out/libpowercut.so" "$tmp/out/powercut-selftest"

if command -v dotnet >/dev/null; then
    echo "dotnet --version with the library preloaded and POWERCUT_ROOT unset:"
    if ! v="$(env -u POWERCUT_ROOT LD_PRELOAD="$tmp/out/libpowercut.so" dotnet --version)"; then
        echo "  FAIL dotnet --version failed under LD_PRELOAD" >&2
        exit 1
    fi
    echo "  ok   dotnet $v"
else
    echo "  note: dotnet not installed; .NET load check skipped"
fi
echo "powercut self test passed"
