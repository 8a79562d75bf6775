#!/usr/bin/env bash
# Installs what jpki-locker needs on Debian 12 / Raspberry Pi OS, and nothing that is already
# there: system packages (apt-get, as root or through sudo) and the npm dependencies (npm ci).
#   scripts/setup.sh demo   - what the demo needs
#   scripts/setup.sh test   - what the whole test suite needs (pcscd, vpcd, mosquitto, socat, chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-demo}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# 1. Node.js 20 or newer (Debian 12 ships 18: use NodeSource or the Pi's nodejs 20 package).
if ! command -v node >/dev/null 2>&1; then
  say "Node.js is missing: install Node.js 20 or newer (for example from NodeSource), then run this again."
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  say "Node.js $(node --version) is too old: install Node.js 20 or newer, then run this again."
  exit 1
fi

# 2. System packages.
packages=(libpcsclite-dev python3 make g++)
if [ "$profile" = test ]; then
  packages+=(pcscd pcsc-tools vsmartcard-vpcd mosquitto mosquitto-clients socat chromium fonts-ipafont-gothic openssl util-linux faketime)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # apt may start daemons on some systems; the tests start their own on private ports.
fi

# 3. npm dependencies, when package-lock.json changed since the last install.
stamp=node_modules/.jpki-locker-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "Installing npm dependencies (npm ci; native addons compile, about 2 minutes)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

# 4. The compiled program (bin/jpki-locker.js runs dist/; a few seconds).
say "Building dist/ (npm run build)"
node scripts/build.mjs >/dev/null
