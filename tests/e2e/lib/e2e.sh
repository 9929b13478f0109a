# SPDX-License-Identifier: Apache-2.0
# Everything the end-to-end scripts use: source this one file.
_e2e_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$_e2e_lib/common.sh"
. "$_e2e_lib/kernel.sh"
. "$_e2e_lib/initramfs.sh"
. "$_e2e_lib/rootfs.sh"
. "$_e2e_lib/sdroot.sh"
. "$_e2e_lib/disk.sh"
. "$_e2e_lib/grubenv.sh"
. "$_e2e_lib/sdboot.sh"
. "$_e2e_lib/efi.sh"
. "$_e2e_lib/serial.sh"
. "$_e2e_lib/qemu.sh"
. "$_e2e_lib/http.sh"
. "$_e2e_lib/build.sh"
. "$_e2e_lib/arm64.sh"
unset _e2e_lib
