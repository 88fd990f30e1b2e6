#!/usr/bin/env bash
# Installs what the tests need, only when missing (idempotent): the ocb builder
# and Debian's prometheus, prometheus-alertmanager (alerting end-to-end test).
set -euo pipefail
GO=${GO:-go}
gobin="$($GO env GOPATH)/bin"
if [ ! -x "$gobin/builder" ]; then
  $GO install go.opentelemetry.io/collector/cmd/builder@v0.165.0
fi
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/prometheus-alertmanager ] || command -v alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # --no-install-recommends keeps the install small; the services are started by the tests, not by systemd.
  $sudo apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u)
fi
