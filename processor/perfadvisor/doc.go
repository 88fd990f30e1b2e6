// Package perfadvisor is an OpenTelemetry Collector processor that turns
// profile and metric streams into performance advice: per service and rule,
// event-time windows feed a Prometheus-style finding lifecycle whose state is
// emitted as metrics (metrics pipeline) and events (logs pipeline). All data
// passes through unchanged.
package perfadvisor
