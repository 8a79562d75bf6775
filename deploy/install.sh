#!/usr/bin/env bash
# Installs jpki-locker as a service on Raspberry Pi OS (Debian 12 based), from this checkout:
#   sudo deploy/install.sh
# - system packages (pcscd, the PC/SC headers, build tools), Node.js 20+ must already be present
# - a service user `jpki-locker` in the gpio and dialout groups
# - the program in /opt/jpki-locker, configuration in /etc/jpki-locker/, data in /var/lib/jpki-locker/
# - the systemd unit, enabled and started
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }
src="$(cd "$(dirname "$0")/.." && pwd)"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$major" -ge 20 ] || { echo "Node.js 20 or newer is needed (apt-get install nodejs on Raspberry Pi OS bookworm gives 18: use NodeSource)" >&2; exit 1; }

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pcscd libpcsclite-dev python3 make g++ rsync

getent group gpio >/dev/null || groupadd --system gpio
getent group dialout >/dev/null || groupadd --system dialout
id jpki-locker >/dev/null 2>&1 || useradd --system --home-dir /var/lib/jpki-locker --shell /usr/sbin/nologin jpki-locker
usermod -a -G gpio,dialout jpki-locker

install -d -o root -g root -m 0755 /opt/jpki-locker
rsync -a --delete --exclude node_modules --exclude data --exclude test-artifacts --exclude .git "$src/" /opt/jpki-locker/
# Compile to dist/ (the unit runs the compiled daemon: faster start), then drop build tools.
(cd /opt/jpki-locker && npm ci --no-audit --no-fund --loglevel=error && npm run build && npm prune --omit=dev --loglevel=error)

install -d -o root -g jpki-locker -m 0750 /etc/jpki-locker
if [ ! -f /etc/jpki-locker/config.yaml ]; then
  sed -e 's#^  path: ./data/station.db#  path: /var/lib/jpki-locker/station.db#' /opt/jpki-locker/config.example.yaml > /etc/jpki-locker/config.yaml
  chown root:jpki-locker /etc/jpki-locker/config.yaml && chmod 0640 /etc/jpki-locker/config.yaml
  echo "wrote /etc/jpki-locker/config.yaml from the example: edit it (station id, broker, boards, doors)"
fi
install -d -o jpki-locker -g jpki-locker -m 0750 /var/lib/jpki-locker

install -o root -g root -m 0644 /opt/jpki-locker/deploy/jpki-locker.service /etc/systemd/system/jpki-locker.service
systemctl daemon-reload
systemctl enable --now pcscd.socket
sudo -u jpki-locker JPKI_LOCKER_CONFIG=/etc/jpki-locker/config.yaml node /opt/jpki-locker/dist/controller/cli/main.js doctor || true
systemctl enable --now jpki-locker.service
echo "installed: systemctl status jpki-locker; journalctl -u jpki-locker -f"
