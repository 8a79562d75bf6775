#!/usr/bin/env bash
# The one Node.js runtime jpki-locker runs on: setup, the bin, the tests, CI and the systemd unit
# all use `.runtime/bin/node` of the checkout (or of /opt/jpki-locker when installed).
#
#   scripts/node-env.sh            prints the path of that node (exit 1 when setup has not made it)
#   . scripts/node-env.sh          the same, quietly, and puts .runtime/bin (node, npm, npx) first
#                                  on PATH and points node-gyp at the runtime's own headers
#   scripts/node-env.sh --ensure   makes .runtime/bin (scripts/setup.sh and deploy/install.sh call it):
#     - the machine's node when it is new enough (>= JPKI_NODE_MIN): .runtime/bin links to it;
#     - otherwise the pinned Node.js LTS for this machine's architecture from the npm registry's
#       `node-linux-<arch>` package (binary and include/node headers, so native addons build
#       offline against it) and a pinned npm, unpacked into .runtime/ and checked against the
#       integrity recorded here;
#     - with no node at all, Debian's own nodejs is installed first, only to fetch those two
#       packages (with npm when there is one, else with the same two registry requests npm makes).
# 32-bit ARM (armhf, armel) has no Node.js 22 or newer on the registry: refused with a message.
#
# Pins: change a version together with its SHA-512 (sha512sum of the file `npm pack NAME@VERSION` writes).
# shellcheck disable=SC2034,SC2016 # JPKI_NODE_SHA512_<arch> is read through ${!var}; node -e code is single-quoted
JPKI_NODE_MIN=22.12.0
JPKI_NODE_PIN=24.22.3
JPKI_NODE_SHA512_x64=287b286fe16ff587ab013bd8ba331b8b226a9d10af2edadcaff79336a46a88e486a7dec43a244fd723f8efe9271a043fc677375d8f31ce45b9f3b76567336a44
JPKI_NODE_SHA512_arm64=219c74279dbfd4d0f002c6368b2591f6794f218b98be24d67ad8e3f3e125bd8421dbe5d184b7c27e46c5105ff63b9bc623685c51bc8f34757e9f3df8d856c95f
JPKI_NPM_PIN=11.21.2
JPKI_NPM_SHA512=ec73c0a64f807e53146af4ac78bd4f9ba0a762a3081e4e77c7e2a6ba1aa64c3a8f9233cc8312294cf713aac13dd4428dc3880504957d7e75e249d1a6d435eaf4

jpki_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jpki_runtime="$jpki_root/.runtime"

jpki_say() { if [ -t 2 ]; then printf '\033[1m==> %s\033[0m\n' "$*" >&2; else printf '==> %s\n' "$*" >&2; fi; }

# True when version $1 (x.y.z, a leading v allowed) is at least $2.
jpki_version_ge() {
  local a b i
  IFS=. read -r -a a <<<"${1#v}"
  IFS=. read -r -a b <<<"${2#v}"
  for i in 0 1 2; do
    [ "${a[i]:-0}" -gt "${b[i]:-0}" ] && return 0
    [ "${a[i]:-0}" -lt "${b[i]:-0}" ] && return 1
  done
  return 0
}

# The registry's name for this machine's architecture (dpkg's, not the kernel's: a 64-bit
# kernel under a 32-bit Raspberry Pi OS still needs 32-bit programs).
jpki_node_arch() {
  local a
  a=$(dpkg --print-architecture 2>/dev/null || uname -m)
  case "$a" in
    amd64 | x86_64) echo x64 ;;
    arm64 | aarch64) echo arm64 ;;
    *) echo "unsupported:$a" ;;
  esac
}

# A node on PATH (other than our own .runtime/bin) that is new enough, or nothing.
jpki_machine_node() {
  local n v
  n=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$jpki_runtime/bin" | paste -sd: -) command -v node 2>/dev/null) || return 0
  v=$("$n" --version 2>/dev/null) || return 0
  n=$(readlink -f "$n")
  # Our own runtime reached another way (node_modules/.bin/node under `npm run`) is not the machine's.
  case "$n" in "$jpki_runtime"/*) return 0 ;; esac
  jpki_version_ge "$v" "$JPKI_NODE_MIN" && printf '%s\n' "$n"
  return 0
}

jpki_apt() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Fetches package $1@$2 from the npm registry, checks its SHA-512 against $3 and unpacks it into
# directory $4. With npm, `npm pack`; with only a node (Debian's, installed when there is none:
# a dozen packages, where Debian's npm would be hundreds), the same two requests npm makes.
jpki_fetch() {
  local name=$1 version=$2 sha512=$3 dest=$4 tmp got fetched=0
  tmp=$(mktemp -d)
  if command -v npm >/dev/null 2>&1; then
    (cd "$tmp" && npm pack --silent --no-fund --no-audit "$name@$version" >/dev/null) && fetched=1
  else
    if ! command -v node >/dev/null 2>&1; then
      jpki_say "No Node.js on this machine: installing Debian's nodejs, only to fetch Node.js $JPKI_NODE_PIN"
      jpki_apt nodejs ca-certificates
    fi
    node -e '
      const https = require("node:https");
      const fs = require("node:fs");
      const [name, version, out] = process.argv.slice(1);
      const registry = (process.env.npm_config_registry || "https://registry.npmjs.org/").replace(/\/?$/, "/");
      const get = (url, sink) => new Promise((resolve, reject) => {
        https.get(url, { headers: { accept: "application/json" } }, (res) => {
          if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location)
            return get(new URL(res.headers.location, url).href, sink).then(resolve, reject);
          if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
          if (sink) res.pipe(sink).on("finish", resolve).on("error", reject);
          else { let body = ""; res.setEncoding("utf8"); res.on("data", (d) => (body += d)); res.on("end", () => resolve(body)); }
        }).on("error", reject);
      });
      get(`${registry}${name}/${version}`)
        .then((meta) => get(JSON.parse(meta).dist.tarball, fs.createWriteStream(out)))
        .catch((err) => { console.error(err.message); process.exit(1); });
    ' "$name" "$version" "$tmp/$name-$version.tgz" && fetched=1
  fi
  if [ $fetched -ne 1 ]; then
    rm -rf "$tmp"
    jpki_say "could not fetch $name@$version from the npm registry"
    return 1
  fi
  got=$(sha512sum "$tmp"/*.tgz | cut -d' ' -f1)
  if [ "$got" != "$sha512" ]; then
    rm -rf "$tmp"
    jpki_say "$name@$version does not match the SHA-512 recorded in scripts/node-env.sh (got $got)"
    return 1
  fi
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar -xzf "$tmp"/*.tgz -C "$dest.partial" --strip-components=1 --no-same-owner
  rm -rf "$tmp" "$dest" && mv "$dest.partial" "$dest"
}

jpki_node_ensure() {
  local machine arch nodedir npmdir sha512 var
  mkdir -p "$jpki_runtime"
  machine=$(jpki_machine_node)
  if [ -n "$machine" ]; then
    rm -rf "${jpki_runtime:?}/bin" && mkdir -p "$jpki_runtime/bin"
    ln -s "$machine" "$jpki_runtime/bin/node"
    for tool in npm npx; do
      [ -x "$(dirname "$machine")/$tool" ] && ln -s "$(dirname "$machine")/$tool" "$jpki_runtime/bin/$tool"
    done
    return 0
  fi
  arch=$(jpki_node_arch)
  case "$arch" in
    unsupported:armhf | unsupported:armel | unsupported:armv7l | unsupported:armv6l)
      jpki_say "32-bit Raspberry Pi OS (${arch#unsupported:}) is not supported: jpki-locker needs Node.js $JPKI_NODE_MIN or newer, which is not built for 32-bit ARM. Install the 64-bit Raspberry Pi OS (bookworm or trixie) on a Pi 3, 4, 5 or Zero 2."
      return 1
      ;;
    unsupported:*)
      jpki_say "no Node.js $JPKI_NODE_MIN or newer on this machine and none to bring for architecture ${arch#unsupported:}: install Node.js $JPKI_NODE_MIN or newer yourself"
      return 1
      ;;
  esac
  nodedir="$jpki_runtime/node-v$JPKI_NODE_PIN-linux-$arch"
  npmdir="$jpki_runtime/npm-$JPKI_NPM_PIN"
  var="JPKI_NODE_SHA512_$arch"
  sha512=${!var}
  if [ ! -x "$nodedir/bin/node" ] || [ ! -f "$nodedir/include/node/node.h" ]; then
    jpki_say "No Node.js $JPKI_NODE_MIN or newer here ($(node --version 2>/dev/null || echo 'no node')): bringing Node.js $JPKI_NODE_PIN ($arch) from the npm registry into .runtime/"
    jpki_fetch "node-linux-$arch" "$JPKI_NODE_PIN" "$sha512" "$nodedir" || return 1
  fi
  if [ ! -f "$npmdir/bin/npm-cli.js" ]; then
    jpki_fetch npm "$JPKI_NPM_PIN" "$JPKI_NPM_SHA512" "$npmdir" || return 1
  fi
  rm -rf "${jpki_runtime:?}/bin" && mkdir -p "$jpki_runtime/bin"
  ln -s "../node-v$JPKI_NODE_PIN-linux-$arch/bin/node" "$jpki_runtime/bin/node"
  for tool in npm npx; do
    # shellcheck disable=SC2016 # the wrapper expands its own variables
    printf '#!/bin/sh\nhere=$(dirname "$(readlink -f "$0")")\nexec "$here/node" "$here/../npm-%s/bin/%s-cli.js" "$@"\n' \
      "$JPKI_NPM_PIN" "$tool" >"$jpki_runtime/bin/$tool"
    chmod 0755 "$jpki_runtime/bin/$tool"
  done
  # Older downloads of other pins.
  find "$jpki_runtime" -mindepth 1 -maxdepth 1 \( -name 'node-v*' -o -name 'npm-*' \) \
    ! -name "node-v$JPKI_NODE_PIN-linux-$arch" ! -name "npm-$JPKI_NPM_PIN" -exec rm -rf {} +
}

# The node everything uses, or nothing when setup has not run.
jpki_node() {
  [ -x "$jpki_runtime/bin/node" ] && printf '%s\n' "$jpki_runtime/bin/node"
}

# PATH and the node-gyp headers for the chosen runtime.
jpki_node_export() {
  local real
  [ -x "$jpki_runtime/bin/node" ] || return 1
  case ":$PATH:" in *":$jpki_runtime/bin:"*) ;; *) PATH="$jpki_runtime/bin:$PATH" ;; esac
  export PATH
  real=$(readlink -f "$jpki_runtime/bin/node")
  # The brought runtime carries its headers beside bin/ (include/node); a machine node uses its own.
  # node-gyp reads its options from npm_package_config_node_gyp_* as well as npm_config_*; the
  # former keeps npm 11 from warning "Unknown user config nodedir" at every call.
  if [ -f "$(dirname "$real")/../include/node/node.h" ]; then
    npm_package_config_node_gyp_nodedir=$(cd "$(dirname "$real")/.." && pwd)
    export npm_package_config_node_gyp_nodedir
  fi
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    --ensure)
      jpki_node_ensure
      jpki_node
      ;;
    '')
      jpki_node || {
        echo "no Node.js runtime chosen yet: run scripts/setup.sh" >&2
        exit 1
      }
      ;;
    *)
      echo "usage: scripts/node-env.sh [--ensure]  (or source it)" >&2
      exit 2
      ;;
  esac
else
  jpki_node_export || true
fi
