#!/usr/bin/env bash
# The demo station on embedded defaults: installs what is missing, then runs
# `jpki-locker demo` (in-process broker, simulated hardware, virtual card, SQLite in ./data/)
# on the runtime setup chose (scripts/node-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
exec node bin/jpki-locker.js demo "$@"
