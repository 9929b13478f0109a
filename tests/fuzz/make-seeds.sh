#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates tests/fuzz/seeds/TARGET/: small valid inputs made by the project's own writers (updater bundle
# create, channel create) and the real tools (grub-editenv, mkenvimage, zstd), plus a few hand-written ones.
# Each signed target's file "valid" is the reference the harness compares accepted inputs with.
# Needs: dotnet, grub-common, u-boot-tools, zstd, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seeds=$root/tests/fuzz/seeds
key=$root/fixtures/keys/TEST-ONLY-DO-NOT-SHIP.key
trust=$root/fixtures/keys/TEST-ONLY-DO-NOT-SHIP.root.json
dotnet build src/Updater/Updater.csproj -c Release -o "$root/tests/fuzz/.build/updater" >/dev/null
updater=$root/tests/fuzz/.build/updater/updater
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$seeds"
mkdir -p "$seeds"/{bundle,bundle-unverified,envelope,chunk-index,chunk-decode,channel,root,update-conf,header-file,image-info,clock,journal-stream,filesystem-probe,health,grubenv,systemd-boot,efi,uboot,uboot-redundant,http,url,bundle-url}

# Bundles: three 4 KiB chunks (the last one short) compressed, and the same stored as is.
python3 -c 'import sys; sys.stdout.buffer.write((b"rootfs image " * 700)[:4096 * 2 + 1000])' > "$work/rootfs.img"
"$updater" bundle create rootfs="$work/rootfs.img" -o "$seeds/bundle/valid" --compatible fuzz-board --version 1.0.0 \
  --security-version 1 --chunk-size 4096 --created 2026-01-01T00:00:00Z -k "$key" >/dev/null
"$updater" bundle create rootfs="$work/rootfs.img" -o "$seeds/bundle/valid-stored" --compatible fuzz-board --version 1.0.0 \
  --security-version 1 --chunk-size 4096 --created 2026-01-01T00:00:00Z --no-compress -k "$key" >/dev/null
# With the bundle's own hooks in the manifest: an install-check and a post-install that mounts the image.
printf '#!/bin/sh\nexit 0\n' > "$work/check.sh"
printf '#!/bin/sh -e\ntest -d "$UPDATER_MOUNT_POINT"\n' > "$work/post.sh"
"$updater" bundle create rootfs="$work/rootfs.img" -o "$seeds/bundle/valid-hooks" --compatible fuzz-board --version 1.0.0 \
  --security-version 1 --chunk-size 4096 --created 2026-01-01T00:00:00Z -k "$key" \
  --install-check "$work/check.sh" --post-install rootfs="$work/post.sh" --mount rootfs >/dev/null
cp "$seeds/bundle/valid" "$seeds/bundle/valid-stored" "$seeds/bundle/valid-hooks" "$seeds/bundle-unverified/"
# The -crc variants fix the header CRC before parsing; same seeds.
mkdir -p "$seeds/bundle-crc" "$seeds/bundle-unverified-crc"
cp "$seeds/bundle/valid" "$seeds/bundle/valid-stored" "$seeds/bundle-crc/"
cp "$seeds/bundle/valid" "$seeds/bundle/valid-stored" "$seeds/bundle-unverified-crc/"
# The envelope, the chunk index and one zstd chunk, cut out of the bundle where its header and manifest say.
python3 - "$seeds/bundle/valid" "$seeds" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read(); out = sys.argv[2]
mo, ml, so, sl, do = struct.unpack_from("<qqqqq", b, 16)
open(out + "/envelope/valid", "wb").write(b[so:so + sl])
m = json.loads(b[mo:mo + ml]); img = m["images"][0]
idx = b[do + img["index"]["offset"]:do + img["index"]["offset"] + img["index"]["length"]]
open(out + "/chunk-index/valid", "wb").write(idx)
off, stored = struct.unpack_from("<qi", idx, 64)
payload = do + img["payload"]["offset"]
open(out + "/chunk-decode/zstd", "wb").write(b"\x01" + b[payload + off:payload + off + stored])
PY
head -c 4096 "$work/rootfs.img" | zstd -q -19 -c | { printf '\001'; cat; } > "$seeds/chunk-decode/zstd-tool"
{ printf '\000'; head -c 4096 "$work/rootfs.img"; } > "$seeds/chunk-decode/stored"

# A channel for that bundle, and the fixture root.
"$updater" channel create -o "$seeds/channel/valid" --channel-version 1 --issued 2026-01-01T00:00:00Z --expires 2125-01-01T00:00:00Z \
  --compatible fuzz-board --release 1.0.0 --bundle-url bundle.upd --bundle "$seeds/bundle/valid" -k "$key" >/dev/null
cp "$trust" "$seeds/root/valid"

# update.conf: the test devices' templates and the documented reference.
cp update.conf "$seeds/update-conf/reference.conf"
sed -e "s|@DIR@|/var/lib/updater|g; s|@SLOT_A@|/dev/vda2|g; s|@SLOT_B@|/dev/vda3|g; s|@EXTRA_SYSTEM@||" fixtures/config/grub.update.conf > "$seeds/update-conf/grub.conf"
sed -e "s|@DIR@|/var/lib/updater|g; s|@SLOT_A@|/dev/vda2|g; s|@SLOT_B@|/dev/vda3|g; s|@EXTRA_SYSTEM@||" fixtures/config/uboot.update.conf > "$seeds/update-conf/uboot.conf"
printf 'Authorization: Bearer abc.def\n# a comment\n\nX-Fleet-Token: 0123456789\n' > "$seeds/header-file/valid"
printf '[image]\nsecurity-version = 5\nversion = 2.1.0\nbuilt = 2026-11-30T12:00:00Z\n' > "$seeds/image-info/valid"
printf '{"time":"2026-06-01T00:00:00+00:00","source":"channel stable version 3"}' > "$seeds/clock/valid"
printf '8:12345' > "$seeds/journal-stream/valid"
# The first 2 KiB of real ext4 (1 KiB and 4 KiB blocks, 64bit) and FAT images.
for spec in "ext4-1k mkfs.ext4 -q -F -b 1024" "ext4-4k-64bit mkfs.ext4 -q -F -b 4096 -O 64bit" "vfat mkfs.vfat"; do
  set -- $spec; name=$1; shift
  truncate -s 16M "$work/fs.img"; "$@" "$work/fs.img" >/dev/null; head -c 2048 "$work/fs.img" > "$seeds/filesystem-probe/$name"; rm -f "$work/fs.img"
done
cp dist/health.d/10-example.conf "$seeds/health/example.conf"
printf '[check.web]\ntype = http\nurl = http://127.0.0.1:8080/health?x=1\nstatus = 200-204\ntimeout = 500ms\nretries = 2\nrequired = no\n' > "$seeds/health/http.conf"
printf '[check.sh]\ntype = command\ncommand = test -e /run/ok\n' > "$seeds/health/command.conf"

# systemd-boot: an entry's name on the first line, the entry after it (as the integrator writes them), and an
# efivarfs string variable (4 attribute bytes, UTF-16LE, NUL) as systemd-boot leaves LoaderBootCountPath.
printf 'updater-2-b+3.conf\ntitle Device (slot B)\nlinux /b/vmlinuz\ninitrd /b/initrd\noptions root=PARTLABEL=rootfs-b updater.slot=B\n' > "$seeds/systemd-boot/trial"
printf 'updater-1-a.conf\n# committed\ntitle "Device (slot A)"\nsort-key device\nversion 1.0\nlinux /a/vmlinuz\n' > "$seeds/systemd-boot/committed"
printf 'updater-2-b+0-3.conf\ntimeout 0\ndefault updater-*\n' > "$seeds/systemd-boot/exhausted"
python3 -c 'import sys; sys.stdout.buffer.write(b"\x06\x00\x00\x00" + "\\loader\\entries\\updater-2-b+2-1.conf\0".encode("utf-16-le"))' > "$seeds/systemd-boot/efivar"

# efi: variables as efivarfs shows them, written by the real efibootmgr (EFIVARFS_PATH): BootOrder, BootNext,
# and Boot#### load options (one from the test's own builder, one that efibootmgr deactivated).
efi="$work/efivars"; mkdir -p "$efi"; G=8be4df61-93ca-11d2-aa0d-00e098032b8c
python3 - "$efi/Boot0001-$G" <<'PY'
import struct, sys
fp = "\\EFI\\a\\grubx64.efi\0".encode("utf-16-le")
dp = bytes([4, 4]) + struct.pack("<H", 4 + len(fp)) + fp + bytes([0x7f, 0xff, 4, 0])
open(sys.argv[1], "wb").write(struct.pack("<IIH", 7, 1, len(dp)) + "updater A\0".encode("utf-16-le") + dp + b"root=PARTLABEL=rootfs-a")
PY
cp "$efi/Boot0001-$G" "$efi/Boot0002-$G"
EFIVARFS_PATH="$efi/" efibootmgr -o 0002,0001 >/dev/null
EFIVARFS_PATH="$efi/" efibootmgr -n 0002 >/dev/null
EFIVARFS_PATH="$efi/" efibootmgr -b 0002 -A >/dev/null
cp "$efi/BootOrder-$G" "$seeds/efi/bootorder"
cp "$efi/BootNext-$G" "$seeds/efi/bootnext"
cp "$efi/Boot0001-$G" "$seeds/efi/load-option"
cp "$efi/Boot0002-$G" "$seeds/efi/load-option-inactive"

# Boot environments made by the real tools.
grub-editenv "$seeds/grubenv/empty" create
cp "$seeds/grubenv/empty" "$seeds/grubenv/slots"
grub-editenv "$seeds/grubenv/slots" set updater_slot=a updater_trial=1 updater_tries=3 updater_security_floor=2
printf 'bootcmd=run distro_bootcmd\nupdater_slot=a\nupdater_tries=3\nupdater_security_floor=2\n' > "$work/uboot.txt"
mkenvimage -s 0x4000 -o "$seeds/uboot/valid" "$work/uboot.txt"
mkdir -p "$seeds/uboot-crc" && cp "$seeds/uboot/valid" "$seeds/uboot-crc/valid"
mkenvimage -r -s 0x4000 -o "$work/r1" "$work/uboot.txt"
printf 'bootcmd=run distro_bootcmd\nupdater_slot=b\nupdater_trial=1\n' > "$work/uboot2.txt"
mkenvimage -r -s 0x4000 -o "$work/r2" "$work/uboot2.txt"
# Two copies back to back, the second one newer (flag 2), as fw_setenv leaves them after one update.
python3 -c 'import sys; a=open(sys.argv[1],"rb").read(); b=bytearray(open(sys.argv[2],"rb").read()); b[4]=2; sys.stdout.buffer.write(a+bytes(b))' "$work/r1" "$work/r2" > "$seeds/uboot-redundant/valid"
cat "$work/r1" "$work/r1" > "$seeds/uboot-redundant/same-flag"

# Server answers: status line, then headers.
printf '206\nContent-Range: bytes 0-63/64\nContent-Length: 64\nETag: "abc"\nLast-Modified: Tue, 01 Dec 2026 10:00:00 GMT\n\n' > "$seeds/http/partial"
printf '200\nContent-Length: 64\nETag: W/"weak"\n\n' > "$seeds/http/whole"
printf '503\nRetry-After: 120\n\n' > "$seeds/http/retry-delta"
printf '429\nRetry-After: Tue, 01 Dec 2026 10:00:00 GMT\n\n' > "$seeds/http/retry-date"
printf 'https://user:pass@updates.example.com:8443/a/b.upd?token=1#frag' > "$seeds/url/full"
printf 'http://[::1]:80/x' > "$seeds/url/ipv6"
printf 'updates.example.com/p' > "$seeds/url/bare"
printf 'bundle.upd' > "$seeds/bundle-url/relative"
printf 'https://cdn.example.com/b.upd?sig=1' > "$seeds/bundle-url/absolute"
printf '/srv/bundles/b.upd' > "$seeds/bundle-url/path"
echo "seeds: $(find "$seeds" -type f | wc -l) files in $seeds"
