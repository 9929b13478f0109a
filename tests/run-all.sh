#!/usr/bin/env bash
# The test command: installs missing Debian packages, restores, builds, runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
dotnet restore Updater.sln
dotnet build Updater.sln -c Release --no-restore
dotnet test Updater.sln -c Release --no-build
