package perfadvisor

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/stream")

// A stream of 10 s windows: the service compiles regexes on its request path
// (30 % of CPU) for four windows, then stops. With for=10s the finding is
// pending after the first window, raised after the second and resolved after
// the first clean window; the metrics and events of each step are golden.
func TestStreamRaisesThenResolves(t *testing.T) {
	h := newHarness(t, testConfig(), nopSettings())
	ctx := context.Background()

	var firing, resolved pmetric.Metrics
	events := plog.NewLogs()
	for i := range 8 {
		spec := profileSpec{service: "search", at: t0.Add(time.Duration(i)*10*time.Second + time.Second), work: 100}
		if i < 4 {
			spec.regex, spec.work = 30, 70
		}
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(spec)))
		h.mSink.Reset()
		h.lSink.Reset()
		h.sched.fire()
		for _, ld := range h.lSink.AllLogs() {
			ld.ResourceLogs().MoveAndAppendTo(events.ResourceLogs())
		}
		got := h.mSink.AllMetrics()
		switch i {
		case 1: // window 0 closed: pending, nothing raised yet
			require.Len(t, got, 1)
			assert.False(t, hasMetric(got[0], metricFindingActive), "pending must not emit the finding gauges")
		case 2: // window 1 closed: raised
			require.Len(t, got, 1)
			firing = got[0]
		case 5: // window 4 (clean) closed: resolved
			require.Len(t, got, 1)
			resolved = got[0]
		}
	}
	require.NotZero(t, firing.ResourceMetrics().Len(), "no metrics while firing")
	require.NotZero(t, resolved.ResourceMetrics().Len(), "no metrics after resolving")
	assert.False(t, hasRecorded(resolved, metricFindingActive), "the finding series must end when resolved")
	for _, name := range []string{metricFindingActive, metricFindingCPURatio, metricFindingExpected} {
		stale := points(resolved, name, "regex_compile_hot_path")
		require.Len(t, stale, 1, "%s ends with one staleness marker", name)
		assert.True(t, stale[0].Flags().NoRecordedValue(), "%s ends with a no-recorded-value point", name)
	}

	// Figures the golden files hold, stated for a reader.
	ratio, ok := gaugeValue(firing, metricFindingCPURatio, "regex_compile_hot_path")
	require.True(t, ok)
	assert.InDelta(t, 0.30, ratio, 0.005)
	active, ok := gaugeValue(firing, metricFindingActive, "regex_compile_hot_path")
	require.True(t, ok)
	assert.Equal(t, 1.0, active)
	ruleSecs, ok := sumValue(firing, metricRuleCPUTime, "regex_compile_hot_path")
	require.True(t, ok)
	assert.InDelta(t, 0.6, ruleSecs, 1e-9, "two closed windows × 30 samples × 10 ms")
	svcSecs, ok := sumValue(firing, metricServiceProfiledCPU, "")
	require.True(t, ok)
	assert.InDelta(t, 2.0, svcSecs, 1e-9)
	cores, ok := gaugeValue(firing, metricServiceCPUUsage, "")
	require.True(t, ok)
	assert.InDelta(t, 0.1, cores, 1e-9, "1 s of CPU in a 10 s window")

	require.Equal(t, 2, events.LogRecordCount(), "one raised and one resolved event")
	first := events.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, eventRaised, first.EventName())
	last := events.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, eventResolved, last.EventName())
	assert.Equal(t, pcommon.NewTimestampFromTime(t0.Add(20*time.Second)), first.Timestamp(), "raised at the end of window 1 (event time)")
	assert.Equal(t, pcommon.NewTimestampFromTime(t0.Add(50*time.Second)), last.Timestamp(), "resolved at the end of window 4 (event time)")

	compareGoldenMetrics(t, "metrics_firing.yaml", firing)
	compareGoldenMetrics(t, "metrics_resolved.yaml", resolved)
	compareGoldenLogs(t, "events.yaml", events)
}

// The last window of a stream closes on wall-clock idleness (window +
// allowed_lateness with no data), so it is judged although no newer data comes.
func TestLastWindowClosesOnIdleWallClock(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	cfg.AllowedLateness = 5 * time.Second
	h := newHarness(t, cfg, nopSettings())
	require.NoError(t, h.profiles.ConsumeProfiles(context.Background(),
		buildProfiles(profileSpec{service: "search", at: t0.Add(time.Second), regex: 40, work: 60})))
	h.sched.fire()
	assert.Zero(t, h.lSink.LogRecordCount(), "the window is still open")

	h.clock.set(h.clock.now().Add(15 * time.Second)) // window + lateness of wall time
	h.sched.fire()
	require.Equal(t, 1, h.lSink.LogRecordCount())
	assert.Equal(t, eventRaised, h.lSink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).EventName())
}

// A replay of old files next to a live stream is analysed in its own window.
func TestReplayOfOldDataIsAnalysed(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	live := t0.Add(24 * time.Hour)
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "live", at: live, work: 100})))
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "replayed", at: t0.Add(time.Second), regex: 20, work: 30})))
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "replayed", at: t0.Add(2 * time.Second), regex: 20, work: 30})))
	h.clock.set(h.clock.now().Add(2 * time.Second)) // a replayed window closes after a short lull
	h.sched.fire()
	require.Equal(t, 1, h.lSink.LogRecordCount())
	rl := h.lSink.AllLogs()[0].ResourceLogs().At(0)
	svc, _ := rl.Resource().Attributes().Get("service.name")
	assert.Equal(t, "replayed", svc.Str())
	ratio, _ := rl.ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(attrCPURatio)
	assert.InDelta(t, 0.4, ratio.Double(), 0.005, "both replayed profiles judged as one window")
}

func hasMetric(md pmetric.Metrics, name string) bool {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Name() == name {
					return true
				}
			}
		}
	}
	return false
}

// hasRecorded reports whether md holds a point of name with a value (not a
// staleness marker).
func hasRecorded(md pmetric.Metrics, name string) bool {
	for _, dp := range points(md, name, "*") {
		if !dp.Flags().NoRecordedValue() {
			return true
		}
	}
	return false
}

// points returns the data points of name whose perfadvisor.rule is rule ("" = none, "*" = any).
func points(md pmetric.Metrics, name, rule string) []pmetric.NumberDataPoint {
	var out []pmetric.NumberDataPoint
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Name() != name {
					continue
				}
				dps := pmetric.NewNumberDataPointSlice()
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					dps = m.Gauge().DataPoints()
				case pmetric.MetricTypeSum:
					dps = m.Sum().DataPoints()
				}
				for _, dp := range dps.All() {
					var got string
					if r, ok := dp.Attributes().Get(attrRule); ok {
						got = r.AsString()
					}
					if got == rule || rule == "*" {
						out = append(out, dp)
					}
				}
			}
		}
	}
	return out
}

func number(dp pmetric.NumberDataPoint) float64 {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return float64(dp.IntValue())
	}
	return dp.DoubleValue()
}

func gaugeValue(md pmetric.Metrics, name, rule string) (float64, bool) {
	p := points(md, name, rule)
	if len(p) != 1 {
		return 0, false
	}
	return number(p[0]), true
}

func sumValue(md pmetric.Metrics, name, rule string) (float64, bool) {
	return gaugeValue(md, name, rule)
}

func compareGoldenMetrics(t *testing.T, file string, got pmetric.Metrics) {
	t.Helper()
	path := filepath.Join("testdata", "stream", file)
	if *update {
		require.NoError(t, golden.WriteMetrics(t, path, got))
	}
	want, err := golden.ReadMetrics(path)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(want, got, pmetrictest.IgnoreTimestamp(), pmetrictest.IgnoreStartTimestamp()))
}

func compareGoldenLogs(t *testing.T, file string, got plog.Logs) {
	t.Helper()
	path := filepath.Join("testdata", "stream", file)
	if *update {
		require.NoError(t, golden.WriteLogs(t, path, got))
	}
	want, err := golden.ReadLogs(path)
	require.NoError(t, err)
	// The recommendation's wording belongs to the catalog; its presence is asserted below.
	require.NoError(t, plogtest.CompareLogs(want, got, plogtest.IgnoreTimestamp(), plogtest.IgnoreObservedTimestamp(),
		plogtest.IgnoreLogRecordAttributeValue(attrRecommendation)))
	for _, rl := range got.ResourceLogs().All() {
		for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
			rec, ok := lr.Attributes().Get(attrRecommendation)
			require.True(t, ok)
			assert.NotEmpty(t, rec.Str())
		}
	}
}

// A profile stamped far in the future (a broken clock) must not drag the
// event time of every live window behind it.
func TestFutureTimestampIsNotTrusted(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	wall := h.clock.now()
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "broken", at: wall.Add(48 * time.Hour), work: 100})))
	assert.False(t, h.engine().windows.Watermark().After(wall), "the watermark ignores a time 48h ahead")
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: wall.Add(-time.Minute), regex: 40, work: 60})))
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: wall.Add(-time.Minute + 15*time.Second), work: 1})))
	h.sched.fire()
	assert.Equal(t, []string{"perfadvisor.finding.raised regex_compile_hot_path"}, eventNames(h.lSink.AllLogs()),
		"the live window still closes on event time")
}
