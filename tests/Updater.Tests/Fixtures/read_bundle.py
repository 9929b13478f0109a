#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent reader of the bundle format, written from docs/bundle-format.md alone.

Checks the header, the index hashes and every chunk (its stored bytes' SHA-256 before zstd sees them, then
its content's), writes the signed message and the first signature for `openssl pkeyutl -verify`, and prints
the image hash it reconstructs.
usage: read_bundle.py BUNDLE OUTDIR
"""
import hashlib, json, struct, subprocess, sys, zlib

def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate key in {keys}"
    return dict(pairs)

path, out = sys.argv[1], sys.argv[2]
b = open(path, "rb").read()
assert b[:8] == b"UPDBNDL\n", "magic"
assert zlib.crc32(b[:60]) == struct.unpack_from("<I", b, 60)[0], "header crc"
version, size, mo, ml, so, sl, do = struct.unpack_from("<IIqqqqq", b, 8)
assert (version, size, mo) == (2, 64, 64)
manifest = json.loads(b[mo:mo + ml], object_pairs_hook=no_duplicates)
assert manifest["format"] == 2
envelope = json.loads(b[so:so + sl])
open(f"{out}/message", "wb").write(b"updater-bundle-manifest-v1\0" + b[mo:mo + ml])
open(f"{out}/signature", "wb").write(bytes.fromhex(envelope["signatures"][0]["signature"]))
for img in manifest["images"]:
    idx = b[do + img["index"]["offset"]: do + img["index"]["offset"] + img["index"]["length"]]
    assert len(idx) == img["chunk_count"] * 80, "index length"
    assert hashlib.sha256(idx).hexdigest() == img["index"]["sha256"], "index hash"
    base = do + img["payload"]["offset"]
    whole = hashlib.sha256()
    for i in range(img["chunk_count"]):
        sha, stored_sha, off, ln, enc = struct.unpack_from("<32s32sqiB", idx, i * 80)
        stored = b[base + off: base + off + ln]
        assert len(stored) == ln and hashlib.sha256(stored).digest() == stored_sha, f"chunk {i} stored bytes"
        data = stored if enc == 0 else subprocess.run(["zstd", "-d", "-c"], input=stored, capture_output=True, check=True).stdout
        assert hashlib.sha256(data).digest() == sha, f"chunk {i}"
        whole.update(data)
    assert whole.hexdigest() == img["sha256"], "image hash"
    print(img["slot_class"], whole.hexdigest())
