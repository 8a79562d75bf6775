#!/usr/bin/env bash
# The install, tested as a new user meets it: fresh minimal Debian 12 (bookworm) and 13 (trixie)
# chroots made with debootstrap, the README's two commands in each (scripts/demo.sh, here with
# `--script pickup` so it ends by itself, and scripts/test.sh), then deploy/install.sh into the
# trixie one and checks of what it made: users and groups, owners and modes, the polkit rule,
# `systemd-analyze verify` and `security` of the units, the installed daemon starting in
# simulated mode, and (with dbus, polkitd and pcscd running in the chroot) the service user
# reading a virtual card through pcscd while another user is refused.
#
#   sudo scripts/install-test.sh                   everything, both releases at once
#   sudo scripts/install-test.sh --only trixie     one release (bookworm | trixie)
#   sudo scripts/install-test.sh --skip-suite      the demo and the install, not scripts/test.sh
#   sudo scripts/install-test.sh --serial          one release after the other
#   sudo scripts/install-test.sh --prepare         only the base systems, into the cache (CI makes
#                                                  them while it runs the host's suite)
#
# The two releases run side by side (their downloads, builds and suites overlap; lines are
# prefixed with the release), each in its own root, sharing the npm cache. Needs root
# (debootstrap, chroot, mounts) and Debian's mirror. Base systems, .deb files and the npm cache
# are kept under $JPKI_INSTALL_TEST_CACHE (default /var/cache/jpki-locker-install-test) so a
# second run downloads almost nothing. Ends with a summary (also in
# test-artifacts/install-test/summary.txt) and `install-test: N passed, N failed`.
# shellcheck disable=SC2016 # commands for the chroot are single-quoted on purpose
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${JPKI_INSTALL_TEST_CACHE:-/var/cache/jpki-locker-install-test}"
mirror="${JPKI_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
releases=(bookworm trixie)
run_suite=1
parallel=1
prepare=0
while [ $# -gt 0 ]; do
  case "$1" in
    --only)
      releases=("$2")
      shift 2
      ;;
    --skip-suite)
      run_suite=0
      shift
      ;;
    --serial)
      parallel=0
      shift
      ;;
    --prepare)
      prepare=1
      shift
      ;;
    *)
      echo "usage: scripts/install-test.sh [--only bookworm|trixie] [--skip-suite] [--serial] [--prepare]" >&2
      exit 2
      ;;
  esac
done
[ "$(id -u)" -eq 0 ] || {
  echo "install-test.sh needs root (debootstrap, chroot and mounts): sudo $0" >&2
  exit 2
}
for tool in debootstrap zstd; do
  command -v "$tool" >/dev/null || {
    echo "==> installing $tool" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap zstd >/dev/null
  }
done

work=$(mktemp -d /var/tmp/jpki-install-test.XXXXXX)
logs="$here/test-artifacts/install-test"
mkdir -p "$cache"
[ $prepare -eq 1 ] || { rm -rf "$logs" && mkdir -p "$logs"; }
passed=0
failed=0
started=$(date +%s)
# What each release found, for the closing summary (a file per release: they may run at once).
results=/dev/null
cold=""
for suite in "${releases[@]}"; do
  [ -f "$cache/$suite-minbase.tar.zst" ] || cold+=" $suite"
done
log() { printf '[%4ds] %s\n' "$(($(date +%s) - started))" "$*"; }
ok() {
  passed=$((passed + 1))
  log "PASS $*"
  echo "PASS $*" >>"$results"
}
bad() {
  failed=$((failed + 1))
  log "FAIL $*"
  echo "FAIL $*" >>"$results"
}
note() {
  log "$*"
  echo "     $*" >>"$results"
}
check() { # check "what" command...
  local what=$1
  shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

# ---- chroots -----------------------------------------------------------------------------------

# What this machine's network needs, passed into the roots.
passed_env=()
for v in NODE_EXTRA_CA_CERTS npm_config_registry https_proxy HTTPS_PROXY http_proxy HTTP_PROXY no_proxy NO_PROXY; do
  [ -n "${!v:-}" ] && passed_env+=("$v=${!v}")
done
# Ends what runs inside a chroot (only processes whose root is one of ours) and unmounts it.
release_root() {
  local dir=$1 p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    case "$r" in "$dir" | "$dir"/*) kill -9 "${p#/proc/}" 2>/dev/null || true ;; esac
  done
  awk -v d="$dir" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}
cleanup() {
  local s
  for s in "${releases[@]}"; do release_root "$work/$s"; done
  rm -rf "$work"
}
trap cleanup EXIT

# The base system of a release: minimal debootstrap, kept as a tarball for a week.
base_tarball() {
  local suite=$1 tarball="$cache/$1-minbase.tar.zst" dir
  if [ -f "$tarball" ] && [ -n "$(find "$tarball" -mtime -7)" ]; then
    echo "$tarball"
    return
  fi
  dir="$work/debootstrap-$suite"
  log "debootstrap --variant=minbase $suite (once a week; cached in $cache)" >&2
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$dir" "$mirror" >"$work/debootstrap-$suite.log" 2>&1 || {
    tail -20 "$work/debootstrap-$suite.log" >&2
    return 1
  }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*_Packages
  tar --zstd -C "$dir" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
  rm -rf "$dir"
  echo "$tarball"
}

if [ $prepare -eq 1 ]; then
  pids=()
  for suite in "${releases[@]}"; do
    base_tarball "$suite" >/dev/null &
    pids+=($!)
  done
  rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  log "base systems: $(du -h "$cache"/*-minbase.tar.zst | tr '\t\n' '  ')"
  exit $rc
fi

# A fresh root of a release with /proc, /sys, /dev, a private /run and /tmp, the apt and npm
# caches bound in, and a copy of this checkout (tracked and new files, as a clone would have).
new_root() {
  local suite=$1 dir="$work/$1" tarball
  tarball=$(base_tarball "$suite")
  mkdir -p "$dir" "$cache/apt-$suite" "$cache/npm"
  tar --zstd -C "$dir" -xf "$tarball"
  # The root is a mount point of its own, as / is on a machine: `unshare --mount` (the card
  # suites' private pcscd) changes the propagation of /, which fails on a plain folder.
  mount --bind "$dir" "$dir"
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  # The certificate authorities this machine added for its network (a TLS-inspecting proxy,
  # say) are the new root's too, as on any machine of that network.
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
    chroot "$dir" update-ca-certificates >/dev/null 2>&1
  fi
  mount -t proc proc "$dir/proc"
  mount --rbind /sys "$dir/sys" && mount --make-rslave "$dir/sys"
  mount --rbind /dev "$dir/dev" && mount --make-rslave "$dir/dev"
  mount -t tmpfs -o mode=1777 tmpfs "$dir/dev/shm"
  mount -t tmpfs -o mode=0755 tmpfs "$dir/run"
  mount -t tmpfs -o mode=1777,size=4g tmpfs "$dir/tmp"
  mkdir -p "$dir/root/.npm"
  mount --bind "$cache/apt-$suite" "$dir/var/cache/apt/archives"
  mount --bind "$cache/npm" "$dir/root/.npm"
  # Keep the .deb files for the next run (apt deletes them after installing by default).
  echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$dir/etc/apt/apt.conf.d/99keep"
  # Services do not start inside the chroot on their own (the tests start what they need).
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d" && chmod 0755 "$dir/usr/sbin/policy-rc.d"
  mkdir -p "$dir/root/jpki-locker"
  (cd "$here" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
    tar -C "$dir/root/jpki-locker" -xf -
  root_dir=$dir
}

# Runs a command in a root as a fresh root login would, from the checkout (CI is not passed:
# the README commands run as a new user runs them, a suite whose daemon is missing is skipped).
in_root() {
  local dir=$1
  shift
  chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb "${passed_env[@]}" /bin/bash -c "cd /root/jpki-locker && $*"
}

# Runs a README command in a root, timed, its output in $work/<name>.log (the tail on failure).
readme_command() {
  local dir=$1 name=$2 t0 rc=0
  shift 2
  t0=$(date +%s)
  in_root "$dir" "$@" >"$logs/${name//[^a-z0-9.]/-}.log" 2>&1 || rc=$?
  if [ $rc -eq 0 ]; then
    ok "$name ($(($(date +%s) - t0)) s): $(grep -E '^tests: |^\{"step":"' "$logs/${name//[^a-z0-9.]/-}.log" | tail -1 | sed 's/^{"step":"\(.*\)"}$/demo story ended: \1/')"
  else
    bad "$name ($(($(date +%s) - t0)) s, exit $rc)"
    tail -40 "$logs/${name//[^a-z0-9.]/-}.log" | sed 's/^/    /'
  fi
}

# ---- the install checks (trixie) ---------------------------------------------------------------

owner_mode() { # owner_mode ROOT PATH USER:GROUP MODE
  local got
  got=$(chroot "$1" stat -c '%U:%G %a' "$2" 2>/dev/null || echo missing)
  [ "$got" = "$3 $4" ] || {
    echo "    $2 is $got, expected $3 $4"
    return 1
  }
}

install_checks() {
  local dir=$1 sec score t0 ms
  t0=$(date +%s)
  if in_root "$dir" deploy/install.sh --kiosk >"$logs/install.log" 2>&1; then
    ok "deploy/install.sh --kiosk ($(($(date +%s) - t0)) s)"
  else
    bad "deploy/install.sh --kiosk ($(($(date +%s) - t0)) s)"
    tail -40 "$logs/install.log" | sed 's/^/    /'
    return
  fi
  check "service user jpki-locker in groups gpio, dialout, no login shell" \
    in_root "$dir" 'id -nG jpki-locker | tr " " "\n" | sort | tr "\n" " " | grep -qx "dialout gpio jpki-locker " && getent passwd jpki-locker | grep -q ":/usr/sbin/nologin$"'
  check "/opt/jpki-locker owned by root, nothing in it writable by the service user" \
    in_root "$dir" '[ -z "$(find /opt/jpki-locker \( ! -user root -o -perm /022 \) ! -type l -print -quit)" ] && ! setpriv --reuid=jpki-locker --regid=jpki-locker --init-groups touch /opt/jpki-locker/dist/x 2>/dev/null'
  check "/etc/jpki-locker root:jpki-locker 0750, config.yaml 0640" \
    bash -c "$(declare -f owner_mode); owner_mode '$dir' /etc/jpki-locker root:jpki-locker 750 && owner_mode '$dir' /etc/jpki-locker/config.yaml root:jpki-locker 640"
  check "/var/lib/jpki-locker jpki-locker:jpki-locker 0700" \
    bash -c "$(declare -f owner_mode); owner_mode '$dir' /var/lib/jpki-locker jpki-locker:jpki-locker 700"
  check "polkit rule installed (root 0644) and names only the jpki-locker user and pcscd's actions" \
    bash -c "$(declare -f owner_mode); owner_mode '$dir' /etc/polkit-1/rules.d/60-jpki-locker-pcscd.rules root:root 644 && grep -q 'subject.user == \"jpki-locker\"' '$dir/etc/polkit-1/rules.d/60-jpki-locker-pcscd.rules' && ! grep -E 'action.id' '$dir/etc/polkit-1/rules.d/60-jpki-locker-pcscd.rules' | grep -v pcsc-lite"
  check "units installed and enabled" \
    in_root "$dir" 'systemctl is-enabled jpki-locker.service >/dev/null && [ -f /etc/systemd/system/jpki-locker-kiosk.service ]'
  if in_root "$dir" 'systemd-analyze verify /etc/systemd/system/jpki-locker.service /etc/systemd/system/jpki-locker-kiosk.service' >"$logs/verify.log" 2>&1 && ! grep -v -e '^$' "$logs/verify.log" | grep -qiv 'Cannot add dependency job\|failed to connect to bus'; then
    ok "systemd-analyze verify: both units clean"
  else
    bad "systemd-analyze verify"
    sed 's/^/    /' "$logs/verify.log"
  fi
  sec=$(in_root "$dir" 'systemd-analyze security --offline=yes /etc/systemd/system/jpki-locker.service 2>&1' || true)
  printf '%s\n' "$sec" >"$logs/security.log"
  score=$(printf '%s\n' "$sec" | sed -n 's/.*Overall exposure level for jpki-locker.service: \([0-9.]*\) \(.*\)/\1 \2/p' | tail -1)
  if awk -v s="${score%% *}" 'BEGIN { exit !(s != "" && s <= 2.0) }'; then
    ok "systemd-analyze security jpki-locker.service: $score"
  else
    bad "systemd-analyze security jpki-locker.service: ${score:-no score} (target 2.0 or lower)"
    printf '%s\n' "$sec" | grep -E '^✗|^\S+ ✗' | head -30 | sed 's/^/    /'
  fi
  # The daemon as the unit starts it (user, groups, umask, working folder, environment), with the
  # example configuration in simulated mode; READY comes through a stand-in systemd-notify.
  in_root "$dir" 'sed -i -e "s/^  driver: pcsc$/  driver: sim/" -e "s/^  port: 8080$/  port: 18089/" /etc/jpki-locker/config.yaml'
  in_root "$dir" 'mkdir -p /run/jpki-test && chmod 1777 /run/jpki-test && printf "#!/bin/sh\necho \"\$*\" >> /run/jpki-test/notify\n" > /run/jpki-test/systemd-notify && chmod 0755 /run/jpki-test/systemd-notify'
  ms=$(in_root "$dir" 'cd /var/lib/jpki-locker; t0=$(date +%s%N); (umask 0077; exec setpriv --reuid=jpki-locker --regid=jpki-locker --init-groups env -i PATH=/run/jpki-test:/usr/bin:/bin NOTIFY_SOCKET=/run/jpki-test/sock JPKI_LOCKER_CONFIG=/etc/jpki-locker/config.yaml $(sed -n "s/^ExecStart=//p" /etc/systemd/system/jpki-locker.service)) > /run/jpki-test/daemon.log 2>&1 & pid=$!; for i in $(seq 1 600); do grep -q -- --ready /run/jpki-test/notify 2>/dev/null && break; sleep 0.05; done; t1=$(date +%s%N); kill $pid; wait $pid; grep -q -- --ready /run/jpki-test/notify && echo $(( (t1 - t0) / 1000000 ))' || true)
  if [ -n "$ms" ]; then
    ok "installed daemon starts as jpki-locker in simulated mode: READY after $ms ms"
  else
    bad "installed daemon did not report READY"
    tail -20 "$dir/run/jpki-test/daemon.log" | sed 's/^/    /'
  fi
  check "station.db created 0600 by the service user (UMask)" \
    bash -c "$(declare -f owner_mode); owner_mode '$dir' /var/lib/jpki-locker/station.db jpki-locker:jpki-locker 600"
  ms=$(in_root "$dir" 't0=$(date +%s%N); /usr/local/bin/jpki-locker --version >/dev/null && echo $(( ($(date +%s%N) - t0) / 1000000 ))' || true)
  if [ -n "$ms" ]; then ok "installed jpki-locker --version: $ms ms"; else bad "installed jpki-locker --version"; fi
  polkit_checks "$dir"
}

# pcscd 2 under polkit: with dbus and polkitd running, the service user may use pcscd (the rule)
# and reads the virtual card; another system user is refused, and doctor names the rule.
polkit_checks() {
  local dir=$1 out
  in_root "$dir" 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dbus polkitd pcscd vsmartcard-vpcd >/dev/null'
  in_root "$dir" 'mkdir -p /run/dbus && dbus-daemon --system --fork && (/usr/lib/polkit-1/polkitd --no-debug >/run/polkitd.log 2>&1 &) && for i in $(seq 1 100); do busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1 && break; sleep 0.1; done'
  in_root "$dir" '(pcscd --foreground >/run/pcscd.log 2>&1 &) && for i in $(seq 1 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.1; done'
  in_root "$dir" 'mkdir -p /run/jpki-test/pki && /opt/jpki-locker/.runtime/bin/node /opt/jpki-locker/dist/controller/cli/main.js pki make-test --out /run/jpki-test/pki --holders 1 >/dev/null && prof=/run/jpki-test/pki/profiles/holder-01 && (/opt/jpki-locker/.runtime/bin/node /opt/jpki-locker/dist/controller/cli/main.js card emulate --profile "$prof" > /run/jpki-test/emulate.log 2>&1 &) && for i in $(seq 1 100); do grep -q "card inserted" /run/jpki-test/emulate.log && break; sleep 0.1; done'
  out=$(in_root "$dir" 'cd /var/lib/jpki-locker && timeout 30 setpriv --reuid=jpki-locker --regid=jpki-locker --init-groups /opt/jpki-locker/.runtime/bin/node /opt/jpki-locker/dist/controller/cli/main.js card read 2>&1' || true)
  if printf '%s\n' "$out" | grep -q '^reader: .*Virtual PCD'; then
    ok "polkit: the service user reads the virtual card through pcscd ($(printf '%s\n' "$out" | grep '^reader:' | tr -s ' '))"
  else
    bad "polkit: the service user could not read the virtual card"
    printf '%s\n' "$out" | tail -10 | sed 's/^/    /'
    tail -5 "$dir/run/pcscd.log" | sed 's/^/    pcscd: /'
  fi
  out=$(in_root "$dir" 'cd /tmp && timeout 30 setpriv --reuid=nobody --regid=nogroup --clear-groups /opt/jpki-locker/.runtime/bin/node /opt/jpki-locker/dist/controller/cli/main.js card read 2>&1' || true)
  if printf '%s\n' "$out" | grep -qi 'access denied\|0x8010006a'; then
    ok "polkit: another user is refused by pcscd (Access denied)"
  else
    bad "polkit: user nobody was not refused"
    printf '%s\n' "$out" | tail -5 | sed 's/^/    /'
  fi
  # doctor with a reader configured, as the service user and as a user the rule does not cover.
  in_root "$dir" 'mkdir -p /tmp/doctor && chmod 0777 /tmp/doctor && printf "storage:\n  path: /tmp/doctor/station.db\ncard:\n  driver: pcsc\nmqtt:\n  enabled: false\n" > /tmp/doctor/config.yaml && chmod 0644 /tmp/doctor/config.yaml'
  for who in jpki-locker nobody; do
    out=$(in_root "$dir" "cd /tmp && s=\$(date +%s) && timeout 60 setpriv --reuid=$who --regid=\$(id -gn $who) --init-groups /usr/local/bin/jpki-locker doctor -c /tmp/doctor/config.yaml 2>&1; echo \"doctor exit \$? after \$((\$(date +%s) - s)) s\"" || true)
    printf '%s\n' "$out" >"$logs/doctor-$who.log"
    if [ $who = jpki-locker ] && printf '%s\n' "$out" | grep -q '^ok  *card reader .*Virtual PCD' && ! printf '%s\n' "$out" | grep -q 'exit 124'; then
      ok "doctor as jpki-locker finds the virtual reader and ends: $(tail -1 "$logs/doctor-$who.log")"
    elif [ $who = nobody ] && printf '%s\n' "$out" | grep -q '60-jpki-locker-pcscd.rules' && ! printf '%s\n' "$out" | grep -q 'exit 124'; then
      ok "doctor as nobody says Access denied, names the polkit rule and ends: $(tail -1 "$logs/doctor-$who.log")"
    else
      bad "doctor as $who"
      tail -15 "$logs/doctor-$who.log" | sed 's/^/    /'
    fi
    [ -z "$(chroot "$dir" find /tmp/doctor -newer /tmp/doctor/config.yaml ! -path /tmp/doctor)" ] ||
      bad "doctor as $who wrote into /tmp/doctor"
  done
}

# What the suite run in a root says about the acceptance points: the outage suite against that
# release's mosquitto, the card suites against its pcscd (from test-artifacts/vitest.json).
suite_facts() {
  local dir=$1 suite=$2 facts line
  cat >"$dir/tmp/suite-facts.cjs" <<'JS'
const r = JSON.parse(require('fs').readFileSync('test-artifacts/vitest.json', 'utf8'));
for (const [key, re] of [['outage', /\/test\/mqtt\/outage\.test\.ts$/], ['card', /\/test\/card\//]]) {
  const n = { passed: 0, failed: 0, other: 0 };
  for (const f of r.testResults.filter((t) => re.test(t.name)))
    for (const a of f.assertionResults) n[a.status in n ? a.status : 'other']++;
  console.log(`${key} ${n.passed} ${n.failed} ${n.other}`);
}
JS
  facts=$(in_root "$dir" '$(scripts/node-env.sh) /tmp/suite-facts.cjs' 2>&1) || {
    bad "$suite: no test-artifacts/vitest.json from scripts/test.sh ($facts)"
    return
  }
  while read -r key p f o; do
    case $key in
      outage) line="outage suite (test/mqtt/outage.test.ts) against mosquitto $(chroot "$dir" dpkg-query -W -f='${Version}' mosquitto)" ;;
      card) line="card suites (test/card/) against pcscd $(chroot "$dir" dpkg-query -W -f='${Version}' pcscd)" ;;
      *) continue ;;
    esac
    line="$suite: $line: $p passed, $f failed$([ "$o" -eq 0 ] || echo ", $o skipped")"
    if [ "$p" -gt 0 ] && [ "$f" -eq 0 ] && [ "$o" -eq 0 ]; then ok "$line"; else bad "$line"; fi
  done <<<"$facts"
}

# A port nothing listens on (loopback), in [base, base + 10000): the demo's web and broker ports,
# so that the two releases' demos (and whatever else this machine runs) do not clash.
free_port() {
  local p
  while :; do
    p=$(($1 + RANDOM % 10000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || {
      echo "$p"
      return
    }
  done
}

# One release from the bare base system to the end; its results in $work/<release>.results and
# its counts in $work/<release>.count.
run_release() {
  local suite=$1 port_base=$2 dir t0 web broker
  t0=$(date +%s)
  results="$work/$suite.results"
  : >"$results"
  log "== Debian $suite: a fresh minimal root"
  new_root "$suite"
  dir=$root_dir
  note "Debian $(chroot "$dir" cat /etc/debian_version) ($suite, $(chroot "$dir" dpkg --print-architecture)), before setup: $(chroot "$dir" sh -c 'command -v node || echo no node')"
  web=$(free_port "$port_base")
  broker=$(free_port $((port_base + 10000)))
  readme_command "$dir" "$suite: scripts/demo.sh --script pickup" scripts/demo.sh --script pickup --port "$web" --broker-port "$broker"
  note "$suite runtime: $(in_root "$dir" 'n=$(scripts/node-env.sh) && echo "$n $($n --version)"')"
  if [ $run_suite -eq 1 ]; then
    readme_command "$dir" "$suite: scripts/test.sh" scripts/test.sh
    suite_facts "$dir" "$suite"
  fi
  if [ "$suite" = trixie ]; then
    install_checks "$dir"
  fi
  release_root "$dir"
  rm -rf "$dir"
  note "$suite took $(($(date +%s) - t0)) s"
  echo "$passed $failed" >"$work/$suite.count"
}

# ---- the runs ----------------------------------------------------------------------------------

if [ $parallel -eq 1 ] && [ ${#releases[@]} -gt 1 ]; then
  n=0
  for suite in "${releases[@]}"; do
    # Each release's lines carry its name; the ports of the demos come from separate ranges.
    (run_release "$suite" $((20000 + n * 20000)) 2>&1 | sed -u "s/^/$suite  /") &
    n=$((n + 1))
  done
  wait
else
  for suite in "${releases[@]}"; do
    # In the background so that errexit holds inside (a `||` would switch it off).
    (run_release "$suite" 20000) &
    wait $! || true
  done
fi

total=$(($(date +%s) - started))
summary() {
  echo "== install-test summary: commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(nproc) cores, releases $([ $parallel -eq 1 ] && echo 'side by side' || echo 'one after the other')"
  echo "   caches ($cache): $([ -n "$cold" ] && echo "cold (no base system for:$cold)" || echo warm)"
  for suite in "${releases[@]}"; do
    echo "-- $suite"
    if [ -f "$work/$suite.count" ]; then
      read -r p f <"$work/$suite.count"
      passed=$((passed + p))
      failed=$((failed + f))
      sed 's/^/   /' "$work/$suite.results"
    else
      failed=$((failed + 1))
      [ -f "$work/$suite.results" ] && sed 's/^/   /' "$work/$suite.results"
      echo "   FAIL $suite did not finish (see the lines above)"
    fi
  done
  echo "   logs: $logs; cache: $(du -sh "$cache" | cut -f1)"
  echo "   took $total s ($((total / 60)) min $((total % 60)) s)"
  echo "install-test: $passed passed, $failed failed"
}
summary >"$logs/summary.txt"
cat "$logs/summary.txt"
[ "$failed" -eq 0 ]
