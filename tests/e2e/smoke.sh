#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The harness itself, proven with real boots: GRUB picks the slot the grubenv says, the initramfs
# mounts it, the guest runs the updater and reports over the serial console, tries are counted, a
# hung guest is ended by the timeout and a power cut (SIGKILL) leaves a disk that boots.
exec "$(dirname "${BASH_SOURCE[0]}")/run.sh" 'smoke_*' "$@"
