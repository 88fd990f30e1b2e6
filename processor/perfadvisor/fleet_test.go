package perfadvisor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fleet whose checkout service burns a large multiple of the median CPU:
// the metrics instance judges the fleet rules on the data's own timestamps
// and emits usage for every service and the outlier finding.
func TestFleetMetricsRaiseOutlier(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, nopSettings())
	md := readOTLPMetricsJSON(t, fixture("fleet-outlier-a", "metrics.json"))
	require.NoError(t, h.metrics.ConsumeMetrics(context.Background(), md))
	h.mSink.Reset()
	h.sched.fire()

	require.Len(t, h.mSink.AllMetrics(), 1)
	out := h.mSink.AllMetrics()[0]
	usage := map[string]float64{}
	ratio := map[string]float64{}
	for _, rm := range out.ResourceMetrics().All() {
		svc, ok := rm.Resource().Attributes().Get(attrServiceName)
		require.True(t, ok, "every ResourceMetrics names its service")
		for _, m := range rm.ScopeMetrics().At(0).Metrics().All() {
			switch m.Name() {
			case metricServiceCPUUsage:
				usage[svc.Str()] = m.Gauge().DataPoints().At(0).DoubleValue()
			case metricServiceFleetRatio:
				ratio[svc.Str()] = m.Gauge().DataPoints().At(0).DoubleValue()
			}
		}
	}
	assert.Len(t, usage, 12, "usage for each service of the fleet")
	assert.Greater(t, ratio["checkout"], 5.0, "checkout is far above the fleet median")
	assert.Less(t, ratio["cart"], 2.0)

	active, ok := gaugeValue(out, metricFindingActive, "service_cpu_outlier")
	require.True(t, ok, "service_cpu_outlier is raised")
	assert.Equal(t, 1.0, active)
	assert.Len(t, points(out, metricFindingActive, "service_cpu_outlier"), 1, "only checkout")
	_, hasRatio := gaugeValue(out, metricFindingCPURatio, "service_cpu_outlier")
	assert.False(t, hasRatio, "a fleet rule has no CPU share")

	// checkout's floor is high too (service_elevated_baseline is not ruled out
	// for it by the fixture); no other service may raise anything.
	values := map[string]float64{}
	for _, ld := range h.lSink.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			svc, _ := rl.Resource().Attributes().Get(attrServiceName)
			assert.Equal(t, "checkout", svc.Str())
			for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
				assert.Equal(t, eventRaised, lr.EventName())
				r, _ := lr.Attributes().Get(attrRule)
				v, ok := lr.Attributes().Get(attrValue)
				require.True(t, ok, "a fleet rule's event carries its value")
				values[r.Str()] = v.Double()
			}
		}
	}
	require.Contains(t, values, "service_cpu_outlier")
	t.Logf("live outlier value at the newest metric time: %.2f (whole-input figure in expect.json: 17.14)", values["service_cpu_outlier"])
}
