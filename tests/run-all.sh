#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: installs missing Debian packages, restores, builds, runs every test suite, the main job by
# the NativeAOT binaries for linux-x64 and linux-arm64 (tests/smoke/main-job.sh; UPDATER_ARM64=0 skips arm64), the fuzzing
# smoke (tests/fuzz/run.sh --smoke; UPDATER_FUZZ=0 skips it), the state-machine exploration (tests/explore/run.sh
# --ci; UPDATER_EXPLORE=0 skips it), then the QEMU end-to-end scenarios (tests/e2e/run.sh; UPDATER_E2E=0 skips them), and ends with one summary line
# "tests: N passed, N failed" that counts both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
# The Debian root the HealthCheck tests boot under systemd-nspawn (cached; about 45 s the first time).
bash tests/HealthCheck.Tests/systemd-root.sh
dotnet restore Updater.sln
dotnet build Updater.sln -c Release --no-restore
# The shipped NativeAOT binary, which the container tests run inside systemd (cached while src/ is unchanged;
# a few minutes on two cores otherwise). tests/e2e can use the same script.
bash tests/publish-aot.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Updater.sln -c Release --no-build 2>&1 | tee "$log" || status=$?
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{ s += $2 } END { print s + 0 }')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{ s += $2 } END { print s + 0 }')
# The main job run by the shipped binaries (tests/smoke/main-job.sh): the linux-x64 publish above, then the
# linux-arm64 cross publish under qemu-user. Each binary counts as one test; UPDATER_ARM64=0 leaves arm64 out.
main_job() {
  local job_status=0
  bash tests/smoke/main-job.sh "$@" || job_status=$?
  if [ "$job_status" -ne 0 ]; then
    failed=$((failed + 1))
    status=$job_status
  else
    passed=$((passed + 1))
  fi
}
main_job "${UPDATER_AOT_DIR:-publish/updater-aot}/updater"
if [ "${UPDATER_ARM64:-1}" != 0 ]; then
  if bash tests/publish-aot.sh --rid linux-arm64; then
    main_job --runner qemu-aarch64-static publish/updater-aot-linux-arm64/updater
    # The arm64 package, lintian clean like the amd64 one System.Tests installs into the container.
    if deb=$(bash packaging/build-deb.sh --rid linux-arm64 | tail -1) && lintian --tag-display-limit 0 --fail-on error,warning "$deb"; then
      echo "arm64 package: $deb, lintian clean"
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      status=1
    fi
  else
    failed=$((failed + 1))
    status=1
  fi
fi
# The fuzzing smoke (tests/fuzz/README.md): the regression inputs, then every AFL++ target for a few seconds.
# A crash or hang counts as one failure; UPDATER_FUZZ=0 skips it.
if [ "${UPDATER_FUZZ:-1}" != 0 ]; then
  fuzz_status=0
  bash tests/fuzz/run.sh --smoke || fuzz_status=$?
  if [ "$fuzz_status" -ne 0 ]; then
    failed=$((failed + 1))
    status=$fuzz_status
  else
    passed=$((passed + 1))
  fi
fi
# The state machine explored (tests/explore/README.md): the power-cut layer's and the explorer's self tests,
# then every sequence up to depth 6 for both backends. A violation counts as one failure; UPDATER_EXPLORE=0 skips it.
if [ "${UPDATER_EXPLORE:-1}" != 0 ]; then
  explore_status=0
  bash tests/explore/run.sh --ci || explore_status=$?
  if [ "$explore_status" -ne 0 ]; then
    failed=$((failed + 1))
    status=$explore_status
  else
    passed=$((passed + 1))
  fi
fi
# Real boots under QEMU after the unit tests, with the binary tests/publish-aot.sh made above. One line per
# scenario; its "N passed, N failed" line goes into the summary (a run that fails before any scenario
# counts as one failure).
if [ "${UPDATER_E2E:-1}" != 0 ]; then
  e2e_status=0
  bash tests/e2e/run.sh 2>&1 | tee "$log" || e2e_status=$?
  e2e_counts=$(sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1 \2/p' "$log" | sed -n '$p')
  if [ -n "$e2e_counts" ]; then
    passed=$((passed + ${e2e_counts% *}))
    failed=$((failed + ${e2e_counts#* }))
  elif [ "$e2e_status" -ne 0 ]; then
    failed=$((failed + 1))
  fi
  [ "$e2e_status" -eq 0 ] || status=$e2e_status
fi
echo "tests: $passed passed, $failed failed"
exit "$status"
