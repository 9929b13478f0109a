#!/usr/bin/env bash
# The test command: installs missing Debian packages, restores, builds, runs every test suite, and ends
# with one summary line "tests: N passed, N failed".
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
echo "tests: $passed passed, $failed failed"
exit "$status"
