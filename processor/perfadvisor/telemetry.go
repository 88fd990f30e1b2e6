package perfadvisor

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// Reasons advice was dropped (attribute `reason` of advice_dropped).
const (
	reasonInvalidProfile = "invalid_profile"
	reasonMaxServices    = "max_services"
	reasonMaxOpenWindows = "max_open_windows"
	reasonMaxFindings    = "max_findings"
	reasonInvalidSignal  = "invalid_signal"
	reasonLogQueueFull   = "log_queue_full"
	reasonEmitFailed     = "emit_failed"
	reasonMaxVersions    = "max_versions"

	// Why a service window was not judged (services_not_judged).
	reasonNoCPUSamples  = "no_cpu_samples"      // nothing the engine reads as CPU
	reasonFewCPUSamples = "too_few_cpu_samples" // fewer than min_samples
)

// selfTelemetry is the processor's own metrics, through the collector's MeterProvider.
type selfTelemetry struct {
	profiles   metric.Int64Counter
	samples    metric.Int64Counter
	raised     metric.Int64Counter
	dropped    metric.Int64Counter
	notJudged  metric.Int64Counter
	sampledOut metric.Int64Counter
	duration   metric.Float64Histogram
}

func newSelfTelemetry(set component.TelemetrySettings) (*selfTelemetry, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	var t selfTelemetry
	var err, e error
	t.profiles, e = m.Int64Counter("otelcol_processor_perfadvisor_profiles_analyzed",
		metric.WithDescription("Profiles attributed by the engine."), metric.WithUnit("{profile}"))
	err = errors.Join(err, e)
	t.samples, e = m.Int64Counter("otelcol_processor_perfadvisor_samples_analyzed",
		metric.WithDescription("Profile samples attributed by the engine."), metric.WithUnit("{sample}"))
	err = errors.Join(err, e)
	t.raised, e = m.Int64Counter("otelcol_processor_perfadvisor_findings_raised",
		metric.WithDescription("Findings that entered the firing state."), metric.WithUnit("{finding}"))
	err = errors.Join(err, e)
	t.dropped, e = m.Int64Counter("otelcol_processor_perfadvisor_advice_dropped",
		metric.WithDescription("Advice not produced because a limit was reached or the input was invalid, by reason."),
		metric.WithUnit("{item}"))
	err = errors.Join(err, e)
	t.notJudged, e = m.Int64Counter("otelcol_processor_perfadvisor_services_not_judged",
		metric.WithDescription("Service windows whose profiles could not be judged (no CPU samples the engine reads, too few), by reason: silence there is not health."),
		metric.WithUnit("{service}"))
	err = errors.Join(err, e)
	t.sampledOut, e = m.Int64Counter("otelcol_processor_perfadvisor_profiles_sampled_out",
		metric.WithDescription("Service requests whose profiles the analysis budget left unwalked; the walked ones are weighted to stand for them."),
		metric.WithUnit("{request}"))
	err = errors.Join(err, e)
	t.duration, e = m.Float64Histogram("otelcol_processor_perfadvisor_analysis_duration",
		metric.WithDescription("Time spent attributing one batch of profiles."), metric.WithUnit("s"))
	err = errors.Join(err, e)
	return &t, err
}

func (t *selfTelemetry) drop(reason string, n int64) {
	if n <= 0 {
		return
	}
	t.dropped.Add(context.Background(), n, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason))))
}

func (t *selfTelemetry) analysed(profiles, samples int64, took time.Duration) {
	ctx := context.Background()
	t.profiles.Add(ctx, profiles)
	t.samples.Add(ctx, samples)
	t.duration.Record(ctx, took.Seconds())
}

func (t *selfTelemetry) sampled(n int64) {
	if n > 0 {
		t.sampledOut.Add(context.Background(), n)
	}
}

func (t *selfTelemetry) notJudgedWindow(reason string) {
	t.notJudged.Add(context.Background(), 1, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason))))
}
