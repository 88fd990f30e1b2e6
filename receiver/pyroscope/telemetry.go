package pyroscope

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// Reject reasons, the values of the `reason` attribute on the rejects counter.
const (
	reasonBadRequest    = "bad_request"  // malformed query, name, multipart or protobuf
	reasonBadProfile    = "bad_profile"  // a raw profile that is not valid pprof
	reasonTooLarge      = "too_large"    // body or decompressed size over a limit
	reasonUnsupported   = "unsupported"  // content type or profile format not handled
	reasonLabels        = "labels"       // too many or too long labels
	reasonConsumerError = "consumer"     // the next consumer refused (backpressure)
	reasonMethod        = "method"       // wrong HTTP method
	reasonUnauthorized  = "unauthorized" // the auth extension refused the request
)

const (
	endpointPush   = "push"
	endpointIngest = "ingest"
)

// telemetry is the receiver's own counters (metadata.yaml lists them).
type telemetry struct {
	requests metric.Int64Counter
	profiles metric.Int64Counter
	bytes    metric.Int64Counter
	rejects  metric.Int64Counter
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	var t telemetry
	var errs, err error
	t.requests, err = m.Int64Counter("otelcol_receiver_pyroscope_requests",
		metric.WithDescription("Requests received, by endpoint (push, ingest) and outcome."), metric.WithUnit("{request}"))
	errs = errors.Join(errs, err)
	t.profiles, err = m.Int64Counter("otelcol_receiver_pyroscope_profiles",
		metric.WithDescription("Raw profiles accepted and converted to OTLP profiles."), metric.WithUnit("{profile}"))
	errs = errors.Join(errs, err)
	t.bytes, err = m.Int64Counter("otelcol_receiver_pyroscope_bytes",
		metric.WithDescription("Raw profile bytes received, as sent (usually gzipped pprof)."), metric.WithUnit("By"))
	errs = errors.Join(errs, err)
	t.rejects, err = m.Int64Counter("otelcol_receiver_pyroscope_rejects",
		metric.WithDescription("Requests rejected, by reason."), metric.WithUnit("{request}"))
	errs = errors.Join(errs, err)
	return &t, errs
}

func (t *telemetry) request(ctx context.Context, endpoint string, ok bool) {
	outcome := "accepted"
	if !ok {
		outcome = "rejected"
	}
	t.requests.Add(ctx, 1, metric.WithAttributes(attribute.String("endpoint", endpoint), attribute.String("outcome", outcome)))
}

func (t *telemetry) reject(ctx context.Context, endpoint, reason string) {
	t.rejects.Add(ctx, 1, metric.WithAttributes(attribute.String("endpoint", endpoint), attribute.String("reason", reason)))
}

func (t *telemetry) accepted(ctx context.Context, endpoint string, profiles int, rawBytes int64) {
	attrs := metric.WithAttributes(attribute.String("endpoint", endpoint))
	t.profiles.Add(ctx, int64(profiles), attrs)
	t.bytes.Add(ctx, rawBytes, attrs)
}
