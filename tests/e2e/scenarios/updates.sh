# The update scenarios of the end-to-end issue. They need the updater's install, status --json,
# health, mark-good/bad and rollback commands and its bundle format; until those exist each one
# fails on purpose (e2e_todo), so a run of all scenarios cannot pass by accident.

e2e_scenario update_good "boot A, install bundle v2, reboot into B, health passes, B committed; reboot, still B"
scenario_update_good() { e2e_todo "needs updater install / health / status --json and bundle create"; }

e2e_scenario update_bad "install v3 whose health check fails: marked bad, reboot, GRUB boots A, status shows the rollback"
scenario_update_bad() { e2e_todo "needs updater install / health / status --json and bundle create"; }

e2e_scenario update_hang "install v4 whose init never reaches the health verdict: the try count sends the next boot to A"
scenario_update_hang() { e2e_todo "needs updater install / status --json and bundle create"; }

e2e_scenario update_power_cut "SIGKILL QEMU at random moments during an install: A boots, rerunning the install finishes it"
scenario_update_power_cut() { e2e_todo "needs updater install (resumable) / status --json and bundle create"; }

e2e_scenario update_rollback "manual rollback with updater rollback"
scenario_update_rollback() { e2e_todo "needs updater install / rollback / status --json"; }
