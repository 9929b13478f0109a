#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Copies the live variables of an OVMF variable store (the pflash file QEMU writes, e.g. disk.vars.fd) into a
directory in efivarfs's format (one file NAME-VENDORGUID: 4 bytes of attributes, little-endian, then the data), so
the real efibootmgr reads them on the host with EFIVARFS_PATH=DIR, as it reads /sys/firmware/efi/efivars on a device.

    ovmf-vars.py VARS.fd OUTDIR

The layout (edk2 MdeModulePkg/Include/Guid/VariableFormat.h, OVMF's NV store): a firmware volume header
(signature "_FVH" at offset 40, its length at 48), a variable store header (an authenticated-variable GUID, size,
format 0x5A, state 0xFE), then variables one after the other, each 4-byte aligned: StartId 0x55AA, State, attributes,
(authenticated: monotonic count, time stamp, public key index), name size, data size, vendor GUID, the UTF-16 name,
the data. Only a variable whose State is VAR_ADDED (0x3F) counts, or one still in its deleted transition (0x3E) when
no added copy follows it: what the firmware itself reads. Anything that does not fit is an error naming the offset.
"""
import os
import struct
import sys
import uuid

AUTH_GUID = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
PLAIN_GUID = uuid.UUID("ddcf3616-3275-4164-98b6-fe85707ffe7d")
VAR_ADDED = 0x3F
VAR_ADDED_IN_DELETED_TRANSITION = 0x3E


def fail(message):
    sys.stderr.write(f"ovmf-vars.py: {message}\n")
    sys.exit(1)


def read_store(path):
    data = open(path, "rb").read()
    if len(data) < 64 or data[40:44] != b"_FVH":
        fail(f"{path}: no firmware volume signature _FVH at byte offset 40")
    header_length = struct.unpack_from("<H", data, 48)[0]
    if header_length < 56 or header_length + 28 > len(data):
        fail(f"{path}: firmware volume header length {header_length} at byte offset 48 is impossible")
    guid = uuid.UUID(bytes_le=data[header_length:header_length + 16])
    if guid not in (AUTH_GUID, PLAIN_GUID):
        fail(f"{path}: byte offset {header_length}: variable store GUID {guid} is neither the authenticated nor the plain one")
    authenticated = guid == AUTH_GUID
    size, fmt, state = struct.unpack_from("<IBB", data, header_length + 16)
    if fmt != 0x5A or state != 0xFE:
        fail(f"{path}: byte offset {header_length + 20}: variable store format 0x{fmt:02x}, state 0x{state:02x} (want 0x5a, 0xfe)")
    end = min(len(data), header_length + size)
    offset = header_length + 28
    header_size = 60 if authenticated else 32
    found = {}
    while offset + header_size <= end:
        start_id, var_state, _, attributes = struct.unpack_from("<HBBI", data, offset)
        if start_id != 0x55AA:
            break
        if authenticated:
            name_size, data_size = struct.unpack_from("<II", data, offset + 36)
            vendor = uuid.UUID(bytes_le=data[offset + 44:offset + 60])
        else:
            name_size, data_size = struct.unpack_from("<II", data, offset + 8)
            vendor = uuid.UUID(bytes_le=data[offset + 16:offset + 32])
        body = offset + header_size
        if name_size % 2 or body + name_size + data_size > end:
            fail(f"{path}: byte offset {offset}: variable of name size {name_size}, data size {data_size} runs past the store")
        name = data[body:body + name_size].decode("utf-16-le").rstrip("\0")
        value = data[body + name_size:body + name_size + data_size]
        key = (name, vendor)
        if var_state == VAR_ADDED:
            found[key] = (attributes, value, True)
        elif var_state == VAR_ADDED_IN_DELETED_TRANSITION and not (key in found and found[key][2]):
            found[key] = (attributes, value, False)
        offset = (body + name_size + data_size + 3) & ~3
    return found


def main():
    if len(sys.argv) != 3:
        fail("usage: ovmf-vars.py VARS.fd OUTDIR")
    variables = read_store(sys.argv[1])
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for (name, vendor), (attributes, value, _) in sorted(variables.items()):
        if not name or "/" in name:
            fail(f"{sys.argv[1]}: variable name {name!r} cannot be a file name")
        with open(os.path.join(out, f"{name}-{vendor}"), "wb") as f:
            f.write(struct.pack("<I", attributes) + value)


if __name__ == "__main__":
    main()
