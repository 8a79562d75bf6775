#!/usr/bin/env bash
# Installs what jpki-locker needs on Debian 12 or 13 / Raspberry Pi OS bookworm or trixie (64-bit),
# and nothing that is already there: a Node.js runtime (scripts/node-env.sh), system packages
# (apt-get, as root or through sudo) and the npm dependencies (npm ci).
#   scripts/setup.sh demo   - what the demo needs
#   scripts/setup.sh test   - what the whole test suite needs (pcscd, vpcd, mosquitto, socat, chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-demo}"

# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
say() { jpki_say "$@"; }

# 1. The Node.js runtime (scripts/node-env.sh): the machine's when new enough, else the pinned LTS
#    from the npm registry in .runtime/ (Debian's nodejs/npm only to fetch it when there is none).
jpki_node_ensure
jpki_node_export

# 2. System packages.
packages=(libpcsclite-dev python3 make g++)
if [ "$profile" = test ]; then
  packages+=(pcscd pcsc-tools vsmartcard-vpcd mosquitto mosquitto-clients socat chromium fonts-ipafont-gothic fonts-noto-cjk fonts-noto-core openssl util-linux faketime postgresql gcc libsqlite3-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  jpki_apt "${missing[@]}"
  # apt may start daemons on some systems; the tests start their own on private ports.
fi

# 3. npm dependencies, when package-lock.json or the runtime changed since the last install
#    (native addons are built for one Node.js ABI).
stamp=node_modules/.jpki-locker-installed
want="$(node --version) $(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ package.json -nt "$stamp" ]; then
  say "Installing npm dependencies with Node.js $(node --version) (npm ci; native addons compile, about 2 minutes)"
  npm ci --no-audit --no-fund --loglevel=error
  printf '%s\n' "$want" >"$stamp"
fi
# `npx` and `npm run` put node_modules/.bin first on PATH: a `node` there makes the tools they
# start use this runtime even from a shell whose own node is older.
if [ "$(readlink -f "$(command -v node)")" != "$(readlink -f node_modules/.bin/node 2>/dev/null)" ]; then
  ln -sfn ../../.runtime/bin/node node_modules/.bin/node
fi

# 4. The kiosk's spoken guidance, rendered ahead of time from the message catalogue (Open JTalk
#    or espeak-ng; scripts/speech.sh). Without the engines the kiosk works silently.
if ! bash scripts/speech.sh >/dev/null; then
  say "Speech not generated (no text-to-speech engine): the kiosk stays silent; doctor says so"
fi

# 5. The compiled program (bin/jpki-locker.js runs dist/; a few seconds).
say "Building dist/ (npm run build)"
node scripts/build.mjs >/dev/null
