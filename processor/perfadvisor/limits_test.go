package perfadvisor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// regexWindow sends one window of n services that all compile regexes, then
// a profile that closes it.
func regexWindow(t *testing.T, h *harness, n int) {
	t.Helper()
	var specs []profileSpec
	for i := range n {
		specs = append(specs, profileSpec{service: fmt.Sprintf("svc-%02d", i), at: t0.Add(time.Second), regex: 40, work: 60})
	}
	ctx := context.Background()
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(specs...)))
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "svc-00", at: t0.Add(15 * time.Second), work: 1})))
}

func TestLimitsAreCounted(t *testing.T) {
	tests := []struct {
		name       string
		limit      func(*Config)
		services   int
		wantReason string
		wantEvents int
	}{
		{"max_findings caps the lifecycle", func(c *Config) { c.Limits.MaxFindings = 3 }, 5, reasonMaxFindings, 3},
		{"max_queued_events caps the events waiting for the logs flush", func(c *Config) { c.Limits.MaxQueuedEvents = 2 }, 5, reasonLogQueueFull, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			set := nopSettings()
			set.TelemetrySettings = tel.NewTelemetrySettings()
			cfg := testConfig()
			cfg.For = 0
			tt.limit(cfg)
			h := newHarness(t, cfg, set)
			regexWindow(t, h, tt.services)
			h.sched.fire()
			assert.Equal(t, tt.wantEvents, h.lSink.LogRecordCount())
			assert.Equal(t, int64(tt.services-tt.wantEvents), droppedByReason(t, tel)[tt.wantReason])
		})
	}
}

func TestMaxOpenWindowsClosesOldestAndCounts(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig()
	cfg.For = 0
	cfg.Limits.MaxOpenWindows = 2
	cfg.AllowedLateness = time.Hour // nothing closes on event time
	h := newHarness(t, cfg, set)
	ctx := context.Background()
	for i := range 4 {
		require.NoError(t, h.profiles.ConsumeProfiles(ctx,
			buildProfiles(profileSpec{service: "search", at: t0.Add(time.Duration(i) * 10 * time.Second), regex: 40, work: 60})))
	}
	assert.Equal(t, int64(2), droppedByReason(t, tel)[reasonMaxOpenWindows])
	h.sched.fire()
	assert.Equal(t, 1, h.lSink.LogRecordCount(), "the evicted windows were still judged")
}

func TestSelfTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, set)
	regexWindow(t, h, 3)
	assert.Equal(t, int64(4), counter(t, tel, "otelcol_processor_perfadvisor_profiles_analyzed"))
	assert.Equal(t, int64(301), counter(t, tel, "otelcol_processor_perfadvisor_samples_analyzed"))
	assert.Equal(t, int64(3), counter(t, tel, "otelcol_processor_perfadvisor_findings_raised"))
	m, err := tel.GetMetric("otelcol_processor_perfadvisor_analysis_duration")
	require.NoError(t, err)
	hist := m.Data.(metricdata.Histogram[float64])
	require.Len(t, hist.DataPoints, 1)
	assert.Equal(t, uint64(2), hist.DataPoints[0].Count, "one observation per batch")
	assert.Equal(t, "s", m.Unit)
}

// A downstream that refuses the advice costs the advice, counted, and never
// the pass-through data or the next emit.
func TestEmitFailureIsCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig()
	cfg.For = 0
	sched := &manualSchedule{}
	fa := &factory{engines: map[component.ID]*engine{}, now: (&fakeClock{t: t0}).now, schedule: sched.schedule}
	f := newFactory(fa)
	ctx := context.Background()
	pp, err := f.CreateProfiles(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	lp, err := f.CreateLogs(ctx, set, cfg, consumertest.NewErr(errors.New("queue full")))
	require.NoError(t, err)
	require.NoError(t, pp.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, lp.Start(ctx, componenttest.NewNopHost()))
	h := &harness{profiles: pp}
	regexWindow(t, h, 2)
	sched.fire()
	assert.Equal(t, int64(2), droppedByReason(t, tel)[reasonEmitFailed])
	require.NoError(t, lp.Shutdown(ctx))
	require.NoError(t, pp.Shutdown(ctx))
}

func TestEvidenceStringIsBounded(t *testing.T) {
	share := 0.25
	long := strings.Repeat("ünïcode.frame;", 200)
	tests := []struct {
		name string
		ev   []report.Evidence
		max  int
		want string
	}{
		{"stack with share", []report.Evidence{{Kind: "stack", Share: &share, Frames: []string{"main.main", "regexp.Compile"}}}, 100,
			"25.0% main.main;regexp.Compile"},
		{"series with value", []report.Evidence{{Kind: "series", Series: "go_gc_duration_seconds", Value: &share}}, 100,
			"go_gc_duration_seconds=0.25"},
		{"several joined", []report.Evidence{{Description: "block profiling on"}, {Description: "100 Hz"}}, 100,
			"block profiling on | 100 Hz"},
		{"cut at the limit on a rune boundary", []report.Evidence{{Frames: []string{long}}}, 40, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evidenceString(tt.ev, tt.max)
			assert.LessOrEqual(t, len(got), tt.max)
			assert.True(t, utf8.ValidString(got))
			if tt.want != "" {
				assert.Equal(t, tt.want, got)
			} else {
				assert.True(t, strings.HasSuffix(got, "…"))
			}
		})
	}
}

func TestDropNonFinite(t *testing.T) {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	g := gauge(ms, metricFindingCPURatio, "1", "")
	for _, v := range []float64{0.3, math.NaN(), math.Inf(1)} {
		g.DataPoints().AppendEmpty().SetDoubleValue(v)
	}
	only := gauge(ms, metricServiceCPUUsage, "{cpu}", "")
	only.DataPoints().AppendEmpty().SetDoubleValue(math.Inf(-1))
	gauge(ms, metricFindingActive, "{finding}", "").DataPoints().AppendEmpty().SetIntValue(1)

	assert.Equal(t, 3, dropNonFinite(md))
	require.Equal(t, 2, ms.Len(), "a metric left without points is removed")
	assert.Equal(t, 1, ms.At(0).Gauge().DataPoints().Len())
	assert.Equal(t, 0.3, ms.At(0).Gauge().DataPoints().At(0).DoubleValue())
	assert.Equal(t, metricFindingActive, ms.At(1).Name())
}

// A replay batch spanning more windows than max_open_windows is analysed
// whole: windows are filled oldest first, so each eviction takes a window the
// batch has finished with, and every window is judged.
func TestReplayBatchWiderThanOpenWindows(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig()
	cfg.For = 0
	cfg.Limits.MaxOpenWindows = 4
	h := newHarness(t, cfg, set)

	var specs []profileSpec
	for i := 39; i >= 0; i-- { // newest first: the batch order must not matter
		specs = append(specs, profileSpec{service: "search", at: t0.Add(time.Duration(i)*cfg.Window + time.Second), regex: 30, work: 70})
	}
	require.NoError(t, h.profiles.ConsumeProfiles(context.Background(), buildProfiles(specs...)))
	h.clock.set(h.clock.now().Add(cfg.Window + cfg.AllowedLateness))
	h.mSink.Reset()
	h.sched.fire()

	secs, ok := sumValue(h.mSink.AllMetrics()[0], metricRuleCPUTime, "regex_compile_hot_path")
	require.True(t, ok)
	assert.InDelta(t, 40*0.3, secs, 1e-9, "all 40 windows were analysed and judged")
	assert.Equal(t, []string{"perfadvisor.finding.raised regex_compile_hot_path"}, eventNames(h.lSink.AllLogs()))
	assert.Zero(t, droppedByReason(t, tel)[reasonInvalidProfile])
}
