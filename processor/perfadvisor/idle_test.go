package perfadvisor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

func eventNames(lds []plog.Logs) []string {
	var out []string
	for _, ld := range lds {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					r, _ := lr.Attributes().Get(attrRule)
					out = append(out, lr.EventName()+" "+r.Str())
				}
			}
		}
	}
	return out
}

// When every profile stream stops, its findings resolve after staleWindows
// windows of wall-clock silence instead of staying raised forever.
func TestStoppedProfileStreamResolves(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: t0.Add(time.Second), regex: 40, work: 60})))
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "other", at: t0.Add(15 * time.Second), work: 100})))
	h.sched.fire()
	require.Equal(t, []string{"perfadvisor.finding.raised regex_compile_hot_path"}, eventNames(h.lSink.AllLogs()))

	h.lSink.Reset()
	h.clock.set(h.clock.now().Add(2 * cfg.Window))
	h.sched.fire()
	assert.Empty(t, eventNames(h.lSink.AllLogs()), "not stale yet")

	h.mSink.Reset()
	h.clock.set(h.clock.now().Add(cfg.Window))
	h.sched.fire()
	assert.Equal(t, []string{"perfadvisor.finding.resolved regex_compile_hot_path"}, eventNames(h.lSink.AllLogs()))
	require.NotEmpty(t, h.mSink.AllMetrics())
	last := h.mSink.AllMetrics()[len(h.mSink.AllMetrics())-1]
	assert.False(t, hasRecorded(last, metricFindingActive))
	assert.False(t, hasMetric(last, metricServiceCPUUsage), "no cores for services that stopped")
	assert.True(t, hasMetric(last, metricServiceProfiledCPU), "cumulative sums keep their series")
}

func TestStoppedMetricStreamResolves(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, nopSettings())
	require.NoError(t, h.metrics.ConsumeMetrics(context.Background(), readOTLPMetricsJSON(t, fixture("fleet-outlier-a", "metrics.json"))))
	h.sched.fire()
	require.Contains(t, eventNames(h.lSink.AllLogs()), "perfadvisor.finding.raised service_cpu_outlier")

	h.lSink.Reset()
	h.mSink.Reset()
	h.clock.set(h.clock.now().Add(cfg.MetricsWindow))
	h.sched.fire()
	assert.Contains(t, eventNames(h.lSink.AllLogs()), "perfadvisor.finding.resolved service_cpu_outlier")
	markers := 0
	for _, md := range h.mSink.AllMetrics() {
		assert.False(t, hasRecorded(md, metricFindingActive))
		markers += len(points(md, metricFindingActive, "service_cpu_outlier"))
	}
	assert.Equal(t, 1, markers, "one staleness marker ends the resolved finding's series")
}
