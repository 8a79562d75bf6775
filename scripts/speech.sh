#!/usr/bin/env bash
# Kiosk speech: installs the text-to-speech packages and renders the kiosk's spoken guidance
# from the message catalogue (shared/i18n) into audio files ahead of time, so nothing heavy
# runs while a resident waits. The page plays them from /speech/; a station without them stays
# silent and `jpki-locker doctor` says so.
#
#   scripts/speech.sh install    apt packages: open-jtalk, open-jtalk-mecab-naist-jdic, espeak-ng,
#                                and the Open JTalk voice hts-voice-nitech-jp-atr503-m001 from
#                                Debian's non-free component (enabled for that one package only,
#                                pinned so nothing else comes from non-free)
#   scripts/speech.sh generate   renders controller/web/static/speech/<lang>/<id>.wav + manifest.json
#   scripts/speech.sh            both
set -euo pipefail
cd "$(dirname "$0")/.."

VOICE_PKG=hts-voice-nitech-jp-atr503-m001
MAIN_PKGS=(open-jtalk open-jtalk-mecab-naist-jdic espeak-ng)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

enable_nonfree_voice() {
  # Raspberry Pi OS already has non-free; plain Debian gets one extra source limited by a pin.
  if apt-cache policy "$VOICE_PKG" 2>/dev/null | grep -q 'Candidate: [0-9]'; then return 0; fi
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  as_root tee /etc/apt/sources.list.d/jpki-locker-nonfree-voice.sources >/dev/null <<SRC
# Added by jpki-locker scripts/speech.sh: only for the Open JTalk voice $VOICE_PKG (see the pin).
Types: deb
URIs: http://deb.debian.org/debian
Suites: $codename
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  as_root tee /etc/apt/preferences.d/jpki-locker-nonfree-voice >/dev/null <<PIN
# Nothing from non-free except the Open JTalk voice.
Package: *
Pin: release c=non-free
Pin-Priority: -1

Package: $VOICE_PKG
Pin: release c=non-free
Pin-Priority: 500
PIN
  as_root apt-get update -qq
}

install_packages() {
  as_root apt-get install -y --no-install-recommends "${MAIN_PKGS[@]}"
  if enable_nonfree_voice && as_root apt-get install -y --no-install-recommends "$VOICE_PKG"; then
    echo "speech: Open JTalk voice installed"
  else
    echo "speech: $VOICE_PKG unavailable; Japanese falls back to espeak-ng" >&2
  fi
}

generate() {
  node --import tsx scripts/speech-generate.ts "$@"
}

case "${1:-all}" in
  install) install_packages ;;
  generate) shift; generate "$@" ;;
  all) install_packages; generate ;;
  *) echo "usage: scripts/speech.sh [install|generate|all]" >&2; exit 2 ;;
esac
