#!/usr/bin/env bash
# Installs jpki-locker as a service on Raspberry Pi OS (64-bit) or Debian, bookworm or trixie,
# from this checkout:
#   sudo deploy/install.sh            the station daemon
#   sudo deploy/install.sh --kiosk    and the kiosk screen (cage + Chromium + Japanese fonts on tty1)
# What it makes:
# - system packages: pcscd, polkitd, the PC/SC headers and build tools (and with --kiosk: cage,
#   chromium, fonts-ipafont-gothic, fonts-ipafont-mincho);
# - the service user `jpki-locker` (no login, in gpio and dialout), with --kiosk `jpki-kiosk`;
# - the program, built by the unprivileged user `nobody` in a staging folder (the runtime from
#   scripts/node-env.sh, npm ci, the compiled dist/, dev dependencies pruned), then copied to
#   /opt/jpki-locker owned by root and writable by no one else, and /usr/local/bin/jpki-locker;
# - /etc/jpki-locker/config.yaml (root:jpki-locker 0640, from the example, when missing);
#   /var/lib/jpki-locker (jpki-locker, 0700; the unit's UMask=0077 keeps the database 0600);
# - /etc/polkit-1/rules.d/60-jpki-locker-pcscd.rules: lets `jpki-locker` use pcscd 2;
# - the systemd units, enabled (and started when systemd runs).
# shellcheck disable=SC2016 # the builder's commands are expanded by its own shell
set -euo pipefail
kiosk=0
for arg in "$@"; do
  case "$arg" in
    --kiosk) kiosk=1 ;;
    *)
      echo "usage: sudo deploy/install.sh [--kiosk]" >&2
      exit 2
      ;;
  esac
done
[ "$(id -u)" -eq 0 ] || {
  echo "run as root: sudo $0" >&2
  exit 1
}
src="$(cd "$(dirname "$0")/.." && pwd)"
prefix=/opt/jpki-locker
say() { printf '==> %s\n' "$*" >&2; }

# 1. System packages.
packages=(pcscd polkitd libpcsclite-dev python3 make g++ rsync ca-certificates)
[ $kiosk -eq 1 ] && packages+=(cage chromium fonts-ipafont-gothic fonts-ipafont-mincho)
# With no Node.js at all, Debian's own only fetches the pinned one (scripts/node-env.sh).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
say "system packages: ${packages[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

# 2. Users and groups.
getent group gpio >/dev/null || groupadd --system gpio
getent group dialout >/dev/null || groupadd --system dialout
id jpki-locker >/dev/null 2>&1 ||
  useradd --system --user-group --home-dir /var/lib/jpki-locker --no-create-home --shell /usr/sbin/nologin jpki-locker
usermod -a -G gpio,dialout jpki-locker
if [ $kiosk -eq 1 ]; then
  for g in video render input; do getent group "$g" >/dev/null || groupadd --system "$g"; done
  id jpki-kiosk >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir /var/lib/jpki-kiosk --create-home --shell /usr/sbin/nologin jpki-kiosk
  usermod -a -G video,render,input jpki-kiosk
fi

# 3. Build, unprivileged, in a staging folder: nothing from the checkout runs as root.
stage=$(mktemp -d /var/tmp/jpki-locker-build.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/src" "$stage/home"
rsync -a --exclude node_modules --exclude .runtime --exclude dist --exclude data \
  --exclude test-artifacts --exclude .git "$src/" "$stage/src/"
chown -R nobody:nogroup "$stage"
chmod 0755 "$stage"
say "building in $stage as nobody (runtime, npm ci, dist/; a few minutes on a Pi)"
pass=()
for v in NODE_EXTRA_CA_CERTS npm_config_registry https_proxy HTTPS_PROXY http_proxy HTTP_PROXY no_proxy NO_PROXY; do
  [ -n "${!v:-}" ] && pass+=("$v=${!v}")
done
setpriv --reuid=nobody --regid=nogroup --clear-groups \
  env -i HOME="$stage/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "${pass[@]}" \
  bash -c 'set -euo pipefail
    cd "$HOME/../src"
    scripts/node-env.sh --ensure >/dev/null
    . scripts/node-env.sh
    echo "==> runtime: $(node --version) ($(readlink -f "$(command -v node)"))" >&2
    npm ci --no-audit --no-fund --loglevel=error
    npm run --silent build
    npm prune --omit=dev --no-audit --no-fund --loglevel=error'

# 4. The program: owned by root, writable by no one else.
install -d -o root -g root -m 0755 "$prefix"
rsync -rlt --delete --chown=root:root --chmod=u+rwX,go+rX,go-w \
  --exclude test-artifacts --exclude data "$stage/src/" "$prefix/"
cat >/usr/local/bin/jpki-locker <<EOF
#!/bin/sh
# jpki-locker on the runtime it was built for (deploy/install.sh).
exec $prefix/.runtime/bin/node $prefix/dist/controller/cli/main.js "\$@"
EOF
chmod 0755 /usr/local/bin/jpki-locker

# 5. Configuration and data.
install -d -o root -g jpki-locker -m 0750 /etc/jpki-locker
if [ ! -f /etc/jpki-locker/config.yaml ]; then
  sed -e 's#^  path: ./data/station.db#  path: /var/lib/jpki-locker/station.db#' "$prefix/config.example.yaml" >/etc/jpki-locker/config.yaml
  say "wrote /etc/jpki-locker/config.yaml from the example: edit it (station id, broker, boards, doors)"
fi
chown root:jpki-locker /etc/jpki-locker/config.yaml
chmod 0640 /etc/jpki-locker/config.yaml
install -d -o jpki-locker -g jpki-locker -m 0700 /var/lib/jpki-locker

# 6. pcscd 2 asks polkit about every client: the rule lets the service user in.
install -d -m 0755 /etc/polkit-1/rules.d
install -o root -g root -m 0644 "$prefix/deploy/60-jpki-locker-pcscd.rules" /etc/polkit-1/rules.d/60-jpki-locker-pcscd.rules

# 7. Units.
install -o root -g root -m 0644 "$prefix/deploy/jpki-locker.service" /etc/systemd/system/jpki-locker.service
install -o root -g root -m 0644 "$prefix/deploy/jpki-locker-kiosk.service" /etc/systemd/system/jpki-locker-kiosk.service
units=(jpki-locker.service)
[ $kiosk -eq 1 ] && units+=(jpki-locker-kiosk.service)

say "doctor, as the service user:"
(cd /var/lib/jpki-locker && setpriv --reuid=jpki-locker --regid=jpki-locker --init-groups \
  env JPKI_LOCKER_CONFIG=/etc/jpki-locker/config.yaml /usr/local/bin/jpki-locker doctor) || true

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now pcscd.socket
  systemctl enable --now "${units[@]}"
  say "installed and started: systemctl status ${units[*]}; journalctl -u jpki-locker -f"
else
  # No running systemd (a chroot, an image being built): enable only; they start at boot.
  systemctl enable pcscd.socket "${units[@]}" >/dev/null 2>&1 || systemctl enable "${units[@]}"
  say "installed and enabled (systemd is not running here: the units start at the next boot)"
fi
