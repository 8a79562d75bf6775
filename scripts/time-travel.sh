#!/usr/bin/env bash
# Runs the unit tests as if today were later: +40 days, +400 days and +3 years, under
# libfaketime (Debian's `faketime` package). A test that mixes a fixed date with material made
# at the real time (certificates, CRLs, signed commands) fails here long before the calendar
# gets there. Extra arguments go to vitest (e.g. scripts/time-travel.sh controller/trust).
#   scripts/time-travel.sh            all three offsets
#   OFFSETS="+400d" scripts/time-travel.sh
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v faketime >/dev/null 2>&1; then
  say "Installing faketime"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends faketime >/dev/null
fi
[ -d node_modules ] || bash scripts/setup.sh demo
# The runtime the native addons were built for (scripts/node-env.sh), first on PATH.
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh

offsets=(${OFFSETS:-+40d +400d +1095d})
failed=()
for offset in "${offsets[@]}"; do
  say "unit tests at today $offset ($(faketime -f "$offset" date -u +%Y-%m-%d))"
  # Wall-clock time moves by the offset and keeps running; monotonic clocks (timers) are real.
  if FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$offset" \
    node node_modules/vitest/vitest.mjs run --project unit "$@"; then
    echo "time-travel $offset: passed"
  else
    echo "time-travel $offset: FAILED"
    failed+=("$offset")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "time-travel: failed at ${failed[*]}"
  exit 1
fi
echo "time-travel: passed at ${offsets[*]}"
