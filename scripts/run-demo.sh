#!/usr/bin/env bash
# `make run`: runs the ocb-built collector on config.example.yaml and the demo
# feeder (cmd/perfadvisor-demo), which replays bundled real profiles and fleet
# metrics over OTLP. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
COLLECTOR=${COLLECTOR:-_build/otelcol-perfadvisor}
CONFIG=${CONFIG:-config.example.yaml}
DEMO=bin/perfadvisor-demo

if [ ! -x "$COLLECTOR" ]; then
  echo "run-demo: $COLLECTOR is missing; run \`make build\` (or \`make run\`) first" >&2
  exit 1
fi
# Ports of config.example.yaml: OTLP gRPC/HTTP, Pyroscope, advice, self-telemetry.
for port in 4317 4318 4040 8889 8890; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run-demo: 127.0.0.1:$port is already in use (another collector running?); stop it first" >&2
    exit 1
  fi
done

$GO build -o "$DEMO" ./cmd/perfadvisor-demo

collector_pid=""
demo_pid=""
cleanup() {
  trap - INT TERM EXIT
  # Stop what this script started, by PID: the feeder first, then the collector.
  [ -n "$demo_pid" ] && kill -TERM "$demo_pid" 2>/dev/null || true
  [ -n "$collector_pid" ] && kill -TERM "$collector_pid" 2>/dev/null || true
  [ -n "$demo_pid" ] && wait "$demo_pid" 2>/dev/null || true
  [ -n "$collector_pid" ] && wait "$collector_pid" 2>/dev/null || true
  echo "run-demo: stopped"
}
trap cleanup INT TERM EXIT

"$COLLECTOR" --config="$CONFIG" --feature-gates=service.profilesSupport &
collector_pid=$!

# The collector is ready when its OTLP/HTTP port accepts connections.
for _ in $(seq 1 120); do
  if ! kill -0 "$collector_pid" 2>/dev/null; then
    echo "run-demo: the collector exited; see its output above" >&2
    exit 1
  fi
  (exec 3<>/dev/tcp/127.0.0.1/4318) 2>/dev/null && break
  sleep 0.5
done

cat <<'BANNER'

================================================================================
 perfadvisor demo: the collector is up and the feeder is sending real profiles
 of 12 services (11 over OTLP, 1 over the Pyroscope push API, as Grafana Alloy
 does) and CPU metrics of a 12-service fleet, re-stamped to now.
 Within about a minute:
   advice as metrics:  curl -s http://127.0.0.1:8889/metrics | grep ^perfadvisor_
   advice as events:   "perfadvisor.finding.raised" log records below (debug exporter)
 Ctrl-C stops the collector and the feeder.
================================================================================

BANNER

# The feeder's lines are prefixed so they stand out from the collector's.
"$DEMO" -endpoint http://127.0.0.1:4318 -fixtures testdata/fixtures \
  -pyroscope http://127.0.0.1:4040 -advice http://127.0.0.1:8889/metrics > >(sed -u 's/^/[demo] /') 2>&1 &
demo_pid=$!

# Either process ending ends the demo (cleanup stops the other).
wait -n "$collector_pid" "$demo_pid" || true
