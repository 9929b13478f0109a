#!/usr/bin/env bash
# The test command: installs missing Debian packages, restores, builds, runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
# The Debian root the HealthCheck tests boot under systemd-nspawn (cached; about 45 s the first time).
bash tests/HealthCheck.Tests/systemd-root.sh
dotnet restore Updater.sln
dotnet build Updater.sln -c Release --no-restore
# The shipped NativeAOT binary, which the container tests run inside systemd (cached while src/ is unchanged;
# a few minutes on two cores otherwise). tests/e2e uses the same script.
bash tests/publish-aot.sh
dotnet test Updater.sln -c Release --no-build
