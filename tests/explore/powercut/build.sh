#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds OUTDIR/libpowercut.so (the LD_PRELOAD power-cut layer) and OUTDIR/powercut-selftest; runs nothing.
# Usage: build.sh OUTDIR    (CC overrides the compiler, default cc)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
mkdir -p "$out"
cc="${CC:-cc}"

# The soname matters: .NET's [DllImport("libpowercut.so")] dlopens that bare name, and glibc only hands back the
# already preloaded copy (instead of failing, or loading a second copy with its own counter) when the name
# matches the loaded object's soname.
"$cc" -shared -fPIC -O2 -Wall -Wextra -Werror -Wl,-soname,libpowercut.so \
    -o "$out/libpowercut.so" "$here/powercut.c" -ldl -lpthread

# The self test finds the control API with dlsym(RTLD_DEFAULT), so it does not link against the library.
"$cc" -O2 -Wall -Wextra -Werror -o "$out/powercut-selftest" "$here/selftest.c" -ldl -lpthread
