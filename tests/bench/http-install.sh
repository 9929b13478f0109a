#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Benchmark: install a bundle (1 GiB image by default) over HTTP from nginx on loopback into a loop
# device, beside the same install from the local file, in one run; prints the time ratio (target:
# HTTP at most 1.15x the file install) and the peak RSS of each (from /usr/bin/time -v).
#
#   sudo tests/bench/http-install.sh
#
# Environment: BENCH_SIZE_MIB (1024), BENCH_ROUNDS (2: file and HTTP alternate, the best of each is
# compared), BENCH_WORK (tests/bench/work/http), UPDATER (a built updater binary; default: publish one
# with NativeAOT into the work directory), BENCH_KEEP=1 keeps the work directory.
# Needs root (losetup), nginx (nginx-light), /usr/bin/time (package time), zstd not required.
# Loop-device speed varies between runs on a virtual disk: compare the two columns of one run, never
# absolute numbers across runs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${BENCH_WORK:-$here/work/http}
size_mib=${BENCH_SIZE_MIB:-1024}
rounds=${BENCH_ROUNDS:-2}

[ "$(id -u)" = 0 ] || { echo "http-install.sh: needs root (loop device)" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "http-install.sh: nginx missing (apt-get install nginx-light)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "http-install.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/www" "$work/nginx" "$work/state"
loopdev=""
nginx_pid=""
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null || true
  [ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${UPDATER:-}" ]; then
  echo "== publishing updater (NativeAOT)"
  dotnet publish "$repo/src/Updater" -c Release -r linux-x64 -p:PublishAot=true -o "$work/bin" -v quiet -nologo >/dev/null
  UPDATER="$work/bin/updater"
fi

echo "== making a ${size_mib} MiB image and its bundle"
# Half random (stored as is), half text-like (compresses): closer to a root filesystem than either alone.
half=$((size_mib / 2))
{ head -c "$((half * 1048576))" /dev/urandom
  { yes "usr/lib/x86_64-linux-gnu/libexample.so.1 $(date +%s) some repetitive filesystem content" || true; } | head -c "$(((size_mib - half) * 1048576))"
} >"$work/image.img"
$UPDATER keygen "$work/keys" >/dev/null
$UPDATER bundle create -o "$work/www/bench.bundle" -k "$work/keys/bundle.key" --compatible bench-board --version 1.0.0 rootfs="$work/image.img" >/dev/null
rm -f "$work/image.img"

echo "== slots: A a regular file (booted), B a loop device"
truncate -s "$(((size_mib + 64) * 1048576))" "$work/slotA.img" "$work/slotB.img"
loopdev=$(losetup --find --show "$work/slotB.img")
grub-editenv "$work/grubenv" create
cat >"$work/update.conf" <<CONF
[system]
compatible = bench-board
bootloader = grub
grub-env = $work/grubenv
state-dir = $work/state
trust-root = $work/keys/root.json
booted-slot = A

[slot.rootfs.0]
device = $work/slotA.img
bootname = A

[slot.rootfs.1]
device = $loopdev
bootname = B
CONF

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
bash "$repo/tests/Updater.Tests/nginx-fixture/start-nginx.sh" "$work/www" "$work/nginx" "$port" &
nginx_pid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$port/bench.bundle"

# Both sources start from the page cache: the comparison is transport against file, not disk against disk.
cat "$work/www/bench.bundle" >/dev/null

seconds() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }
rss_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }

run() { # label source round
  rm -rf "$work/state"; mkdir -p "$work/state"
  /usr/bin/time -v -o "$work/time-$1-$3.txt" "$UPDATER" -c "$work/update.conf" install "$2" >"$work/out-$1-$3.txt" 2>&1 \
    || { cat "$work/out-$1-$3.txt" >&2; exit 1; }
  printf '  %-5s round %d: %7.2f s, peak RSS %6s MiB\n' "$1" "$3" "$(seconds "$work/time-$1-$3.txt")" "$(rss_mib "$work/time-$1-$3.txt")"
}

echo "== installing (${rounds} rounds, file and HTTP alternating)"
for r in $(seq "$rounds"); do
  run file "$work/www/bench.bundle" "$r"
  run http "$url" "$r"
done

best() { for r in $(seq "$rounds"); do seconds "$work/time-$1-$r.txt"; done | sort -n | head -1; }
peak() { for r in $(seq "$rounds"); do rss_mib "$work/time-$1-$r.txt"; echo; done | sort -n | tail -1; }
file_s=$(best file); http_s=$(best http)
ratio=$(awk -v h="$http_s" -v f="$file_s" 'BEGIN { printf "%.3f", h / f }')
echo "== result (${size_mib} MiB image, best of ${rounds})"
echo "  file: ${file_s} s, peak RSS $(peak file) MiB"
echo "  http: ${http_s} s, peak RSS $(peak http) MiB"
echo "  ratio http/file: ${ratio} (target <= 1.15)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.15) }' || { echo "  ABOVE TARGET" >&2; exit 2; }
