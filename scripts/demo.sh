#!/usr/bin/env bash
# The demo station on embedded defaults: installs what is missing, then runs
# `jpki-locker demo` (in-process broker, simulated hardware, virtual card, SQLite in ./data/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
exec node bin/jpki-locker.js demo "$@"
