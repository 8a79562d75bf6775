#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is missing and builds dist/, then
# type-checks, lints, checks formatting and runs both vitest projects: `unit` (tests beside the
# code) and `system` (test/: pcscd, mosquitto, socat, Chromium, started by the tests on free
# loopback ports). Extra arguments go to vitest (e.g. scripts/test.sh test/foundation).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
# The runtime setup chose (the machine's Node.js when new enough, else .runtime/), first on PATH.
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
if [ $# -eq 0 ]; then
  echo "==> typecheck, lint, format check" >&2
  npm run --silent typecheck
  npm run --silent lint
  npm run --silent format:check
fi
mkdir -p test-artifacts
# The power-loss suite cuts the station's power this many times (200 for the full measurement:
# POWER_CUTS=200 npx vitest run test/mqtt/power-loss.test.ts, about 20 minutes).
export POWER_CUTS="${POWER_CUTS:-40}"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json "$@" || status=$?
# One plain closing line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
