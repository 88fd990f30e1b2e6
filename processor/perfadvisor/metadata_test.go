package perfadvisor

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/perfadvisor/perfadvisor/internal/metadatatest"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// Everything the processor puts into the metrics pipeline is declared in
// metadata.yaml with the same type, unit, description and attributes, and
// everything declared there is emitted: a profile finding (regex-a), a
// fleet finding (fleet-outlier-a) and a deploy compared with the version
// before it together produce every advisory metric.
func TestEmittedMetricsMatchMetadata(t *testing.T) {
	md := metadatatest.Read(t)
	require.NotEmpty(t, md.Metrics, "metadata.yaml declares the advisory metrics")
	cfg := testConfig()
	cfg.For = 0
	cfg.MinSamples = 0
	cfg.Validation.MinWindows = 3
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	for i := range 7 {
		v, regex := "v1", 30
		if i >= 3 {
			v, regex = "v2", 0
		}
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, versioned("search", v, i, regex)))
		h.sched.fire()
	}
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, readPprof(t, fixture("regex-a", "cpu.pb.gz"), "checkout")))
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, readOTLPMetricsJSON(t, fixture("fleet-outlier-a", "metrics.json"))))
	h.clock.set(h.clock.now().Add(cfg.Window + cfg.AllowedLateness))
	h.sched.fire()

	emitted := map[string]metadatatest.Shape{}
	for _, out := range h.mSink.AllMetrics() {
		for _, rm := range out.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				if sm.Scope().Name() != metadata.ScopeName {
					continue // the input metrics, passed through
				}
				var keys []string
				for k := range rm.Resource().Attributes().All() {
					keys = append(keys, k)
				}
				assert.ElementsMatch(t, slices.Sorted(mapsKeys(md.ResourceAttributes)), keys, "resource attributes")
				for _, m := range sm.Metrics().All() {
					got := metadatatest.Emitted(m)
					if prev, ok := emitted[m.Name()]; ok {
						got.Attributes = unionSorted(prev.Attributes, got.Attributes)
						if got.ValueType == "" {
							got.ValueType = prev.ValueType // a batch of staleness markers only
						}
					}
					emitted[m.Name()] = got
				}
			}
		}
	}
	for name, m := range md.Metrics {
		assert.True(t, m.Enabled, "%s: enabled", name)
		got, ok := emitted[name]
		if !assert.True(t, ok, "metadata.yaml declares %s, which the scenario never emitted", name) {
			continue
		}
		assert.Equal(t, md.Declared(t, name, m), got, "metric %s: metadata.yaml vs emitted", name)
	}
	for name := range emitted {
		_, ok := md.Metrics[name]
		assert.True(t, ok, "emitted metric %s is missing from metadata.yaml", name)
	}
	// Enumerated attribute values stay inside their enum.
	for _, out := range h.mSink.AllMetrics() {
		for _, rm := range out.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if sm.Scope().Name() != metadata.ScopeName || m.Type() != pmetric.MetricTypeGauge {
						continue
					}
					for _, dp := range m.Gauge().DataPoints().All() {
						if v, ok := dp.Attributes().Get(attrSeverity); ok {
							assert.Contains(t, md.Attributes[attrSeverity].Enum, v.Str())
						}
					}
				}
			}
		}
	}
}

// The processor's self-telemetry, read through the SDK's manual reader,
// matches telemetry.metrics of metadata.yaml: every counter and histogram
// is declared with its type, unit, description and attributes, under the
// otelcol_ prefix mdatagen adds.
func TestSelfTelemetryMatchesMetadata(t *testing.T) {
	md := metadatatest.Read(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig()
	cfg.For = 0
	cfg.AnalysisBudget.ProfilesPerWindow = 1
	h := newHarness(t, cfg, set)
	ctx := context.Background()
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: t0, regex: 40, work: 60})))
	bad := buildProfiles(profileSpec{service: "broken", at: t0, work: 10})
	bad.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0).Samples().At(0).SetStackIndex(1 << 20)
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, bad))
	// A service over the analysis budget (1 profile per window in this
	// config; "search" sends one) is thinned: profiles_sampled_out.
	for range 12 {
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "busy", at: t0, work: 60})))
	}
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: t0.Add(cfg.Window + time.Second), work: 1})))
	h.sched.fire()

	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.Reader.Collect(ctx, &rm))
	md.CheckTelemetry(t, rm, metadata.ScopeName)
	// Every reason the code can record is in the enum, and the other way round.
	assert.ElementsMatch(t, md.Attributes["reason"].Enum, metadatatest.StringConstants(t, "reason"), "reason enum vs the reason* constants")
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func unionSorted(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// The hand-written constants of internal/metadata follow metadata.yaml.
func TestMetadataConstants(t *testing.T) {
	md := metadatatest.Read(t)
	assert.Equal(t, md.Type, metadata.Type.String())
	stability := map[string]string{}
	for level, signals := range md.Status.Stability {
		for _, s := range signals {
			stability[s] = level
		}
	}
	assert.Equal(t, map[string]string{
		"profiles": strings.ToLower(metadata.ProfilesStability.String()),
		"metrics":  strings.ToLower(metadata.MetricsStability.String()),
		"logs":     strings.ToLower(metadata.LogsStability.String()),
	}, stability)
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.ProfilesStability, f.ProfilesStability())
	assert.Equal(t, metadata.MetricsStability, f.MetricsStability())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}
