#!/usr/bin/env bash
# Installs what the tests need, only when missing (idempotent), on a fresh
# Debian machine as root (CI) or with sudo (a developer's machine):
#   - the ocb builder (builds the collector for the end-to-end tests)
#   - Debian's prometheus (2.42: prometheus, promtool) and
#     prometheus-alertmanager (0.25) for the alerting tests.
# The tests start Prometheus and Alertmanager themselves; the packages' own
# services must not start, with or without systemd.
set -euo pipefail

GO=${GO:-go}
OCB_VERSION=${OCB_VERSION:-v0.165.0}

log() { printf 'install-deps: %s\n' "$*" >&2; }

# --- ocb builder -------------------------------------------------------------
gobin="$($GO env GOBIN)"
[ -n "$gobin" ] || gobin="$($GO env GOPATH)/bin"
if [ -x "$gobin/builder" ] && "$gobin/builder" version 2>&1 | grep -q "${OCB_VERSION#v}"; then
  log "builder ${OCB_VERSION} present"
else
  log "go install go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}"
  $GO install "go.opentelemetry.io/collector/cmd/builder@${OCB_VERSION}"
fi

# --- Debian packages ---------------------------------------------------------
need=()
{ [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; } || need+=(prometheus)
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
# librdkafka: the symbolizer's test reads its exported consumer API (.dynsym).
[ -e /usr/lib/x86_64-linux-gnu/librdkafka.so.1 ] || need+=(librdkafka1)

if [ ${#need[@]} -eq 0 ]; then
  log "prometheus, promtool, prometheus-alertmanager present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "need root or sudo to install: ${need[*]}"; exit 1; }
  sudo="sudo"
fi

# policy-rc.d exiting 101 tells invoke-rc.d and deb-systemd-invoke not to
# start services from the packages' postinst scripts. Keep whatever policy the
# machine already has and put it back afterwards.
policy=/usr/sbin/policy-rc.d
backup=""
restore_policy() {
  if [ -n "$backup" ]; then
    $sudo mv -f "$backup" "$policy"
  else
    $sudo rm -f "$policy"
  fi
}
if [ -e "$policy" ]; then
  backup="$(mktemp /tmp/policy-rc.d.XXXXXX)"
  $sudo cp -p "$policy" "$backup"
fi
trap restore_policy EXIT
printf '#!/bin/sh\n# perfadvisor install-deps: do not start services during install\nexit 101\n' |
  $sudo tee "$policy" >/dev/null
$sudo chmod 755 "$policy"

export DEBIAN_FRONTEND=noninteractive
log "apt-get install ${need[*]}"
$sudo apt-get update -qq
# --no-install-recommends: no node-exporter and friends, only what the tests run.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${need[@]}"

for bin in /usr/bin/prometheus /usr/bin/promtool /usr/bin/prometheus-alertmanager; do
  [ -x "$bin" ] || { log "missing after install: $bin"; exit 1; }
done
log "installed: $(/usr/bin/prometheus --version 2>&1 | head -1)"
log "installed: $(/usr/bin/prometheus-alertmanager --version 2>&1 | head -1)"
