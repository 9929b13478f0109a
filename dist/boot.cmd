# Updater: A/B slot selection with boot counting, for U-Boot (hush shell).
# Build the script image U-Boot loads:  mkimage -A arm64 -T script -C none -n updater -d boot.cmd boot.scr
#
# The environment (fw_printenv/fw_setenv; `updater` writes it, this script writes only the trial counters):
#   BOOT_ORDER                  slots in boot order, first tried first, e.g. "B A"
#   BOOT_A_LEFT, BOOT_B_LEFT    boots left; 0: the slot is never picked (marked bad, or its trial used up)
#   BOOT_A_TRIAL, BOOT_B_TRIAL  1: the slot is on a trial, every boot of it is counted (BOOT_x_LEFT - 1, saveenv)
#                               before it starts; anything else: committed, boots are not counted, nothing saved
# Rule: boot the first slot in BOOT_ORDER with BOOT_x_LEFT > 0. A trial boot saves its count first; when the
# count cannot be saved the slot is skipped, so a trial never boots uncounted.
# Variables that are missing take the defaults below (a fresh install boots A, committed); an environment
# without BOOT_ORDER gets them saved once, so fw_printenv reads them from then on.
# setexpr reads and writes hexadecimal: counts stay single digits (1-9), where hex and decimal agree.
# U-Boot deletes a variable set to "", so nothing here is ever set empty.
# The same rule is modelled in src/Partition/Bootloaders/UBoot/UBootBootRule.cs; keep the two in step.

# Board settings (hush local variables: never saved). Slots are partitions of one disk.
updater_devtype=mmc
updater_devnum=0
updater_part_A=2
updater_part_B=3
updater_kernel=/boot/Image
updater_initrd=/boot/initrd.img
updater_bootargs="panic=5 rootwait"

if test -z "${BOOT_ORDER}"; then
  echo "updater: fresh environment: saving the defaults (slot A, committed)"
  setenv BOOT_ORDER "A B"
  test -n "${BOOT_A_LEFT}" || setenv BOOT_A_LEFT 3
  test -n "${BOOT_A_TRIAL}" || setenv BOOT_A_TRIAL 0
  test -n "${BOOT_B_LEFT}" || setenv BOOT_B_LEFT 0
  test -n "${BOOT_B_TRIAL}" || setenv BOOT_B_TRIAL 0
  saveenv
fi
test -n "${BOOT_A_LEFT}" || setenv BOOT_A_LEFT 3
test -n "${BOOT_A_TRIAL}" || setenv BOOT_A_TRIAL 0
test -n "${BOOT_B_LEFT}" || setenv BOOT_B_LEFT 0
test -n "${BOOT_B_TRIAL}" || setenv BOOT_B_TRIAL 0

updater_slot=none
for BOOT_SLOT in "${BOOT_ORDER}"; do
  if test "${updater_slot}" != "none"; then
    # a slot is chosen; skip the rest
  elif test "x${BOOT_SLOT}" = "xA"; then
    if test ${BOOT_A_LEFT} -gt 0; then
      if test "${BOOT_A_TRIAL}" = "1"; then
        setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
        if saveenv; then
          updater_slot=A
          echo "updater: slot A on trial, ${BOOT_A_LEFT} boots left after this one"
        else
          echo "updater: cannot save the count of slot A; skipping it"
        fi
      else
        updater_slot=A
      fi
    fi
  elif test "x${BOOT_SLOT}" = "xB"; then
    if test ${BOOT_B_LEFT} -gt 0; then
      if test "${BOOT_B_TRIAL}" = "1"; then
        setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
        if saveenv; then
          updater_slot=B
          echo "updater: slot B on trial, ${BOOT_B_LEFT} boots left after this one"
        else
          echo "updater: cannot save the count of slot B; skipping it"
        fi
      else
        updater_slot=B
      fi
    fi
  fi
done

if test "${updater_slot}" = "none"; then
  echo "updater: NO BOOTABLE SLOT"
  echo "updater: BOOT_ORDER=${BOOT_ORDER} BOOT_A_LEFT=${BOOT_A_LEFT} BOOT_A_TRIAL=${BOOT_A_TRIAL} BOOT_B_LEFT=${BOOT_B_LEFT} BOOT_B_TRIAL=${BOOT_B_TRIAL}"
  echo "updater: every slot is marked bad or out of tries; stopping at the U-Boot prompt"
else
  if test "${updater_slot}" = "A"; then
    updater_part=${updater_part_A}
  else
    updater_part=${updater_part_B}
  fi
  setenv bootargs "${updater_bootargs} updater.slot=${updater_slot}"
  echo "updater: booting slot ${updater_slot} from ${updater_devtype} ${updater_devnum}:${updater_part}"
  if load ${updater_devtype} ${updater_devnum}:${updater_part} ${kernel_addr_r} ${updater_kernel}; then
    if load ${updater_devtype} ${updater_devnum}:${updater_part} ${ramdisk_addr_r} ${updater_initrd}; then
      # booti for arm64 Image; use bootz for a 32-bit zImage.
      booti ${kernel_addr_r} ${ramdisk_addr_r}:${filesize} ${fdtcontroladdr}
    fi
  fi
  # Only reached when the slot could not be loaded or started. A trial's boot is already counted, so the
  # next boot falls back to the other slot.
  echo "updater: slot ${updater_slot} failed to boot; resetting in 5 seconds"
  sleep 5
  reset
fi
