package perfadvisor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/validation"
)

// versioned builds one window's profile of a version: regex of 100 samples
// under regexp compilation.
func versioned(service, version string, window, regex int) pprofile.Profiles {
	pd := buildProfiles(profileSpec{service: service, at: t0.Add(time.Duration(window)*10*time.Second + time.Second), regex: regex, work: 100 - regex})
	pd.ResourceProfiles().At(0).Resource().Attributes().PutStr("service.version", version)
	return pd
}

// validationEvents are the perfadvisor.validation.result records emitted so far.
func validationEvents(lds []plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range lds {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if lr.EventName() == eventValidation {
						out = append(out, lr)
					}
				}
			}
		}
	}
	return out
}

func attrStr(lr plog.LogRecord, k string) string {
	v, _ := lr.Attributes().Get(k)
	return v.AsString()
}

func attrNum(lr plog.LogRecord, k string) float64 {
	v, _ := lr.Attributes().Get(k)
	return v.Double()
}

// validationPoint finds a validation gauge's point for a rule and versions.
func validationPoint(mds []pmetric.Metrics, name, rule, before, after string) (float64, bool) {
	found, v := false, 0.0
	for _, md := range mds {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if m.Name() != name {
						continue
					}
					for _, dp := range m.Gauge().DataPoints().All() {
						str := func(k string) string {
							if v, ok := dp.Attributes().Get(k); ok {
								return v.AsString()
							}
							return ""
						}
						if str(attrRule) == rule && str(attrVersionBefore) == before && str(attrVersionAfter) == after {
							found, v = true, dp.DoubleValue()
						}
					}
				}
			}
		}
	}
	return v, found
}

func validationConfig() *Config {
	cfg := testConfig()
	cfg.For = 0
	cfg.MinSamples = 50
	cfg.Validation.MinWindows = 3
	return cfg
}

// A deploy that fixes regex compilation: v1 runs three windows at 30%, v2
// three at 0%; the comparison reports the drop against what the raised
// finding predicted, as gauges and an event.
func TestValidationSequentialDeploy(t *testing.T) {
	h := newHarness(t, validationConfig(), nopSettings())
	ctx := context.Background()
	for i := range 7 { // the 7th window closes the 6th
		v, regex := "v1", 30
		if i >= 3 {
			v, regex = "v2", 0
		}
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, versioned("search", v, i, regex)))
		h.sched.fire()
	}
	evs := validationEvents(h.lSink.AllLogs())
	require.Len(t, evs, 1, "one rule compared once: %v", eventNames(h.lSink.AllLogs()))
	ev := evs[0]
	assert.Equal(t, "regex_compile_hot_path", attrStr(ev, attrRule))
	assert.Equal(t, "v1", attrStr(ev, attrVersionBefore))
	assert.Equal(t, "v2", attrStr(ev, attrVersionAfter))
	assert.Equal(t, validation.ModeSequential, attrStr(ev, attrValidationMode))
	assert.Equal(t, validation.VerdictFixed, attrStr(ev, attrVerdict))
	assert.InDelta(t, 0.30, attrNum(ev, attrRatioBefore), 1e-9)
	assert.InDelta(t, 0.0, attrNum(ev, attrRatioAfter), 1e-9)
	assert.InDelta(t, 0.30, attrNum(ev, attrRealized), 1e-9)
	assert.Less(t, attrNum(ev, attrRealizedLow), 0.30)
	assert.Greater(t, attrNum(ev, attrRealizedHigh), 0.30)
	assert.Positive(t, attrNum(ev, attrExpected), "the finding raised under v1 predicted a saving")

	realized, ok := validationPoint(h.mSink.AllMetrics(), metricValidationRealized, "regex_compile_hot_path", "v1", "v2")
	require.True(t, ok, "realized-reduction gauge")
	assert.InDelta(t, 0.30, realized, 1e-9)
	expected, ok := validationPoint(h.mSink.AllMetrics(), metricValidationExpected, "regex_compile_hot_path", "v1", "v2")
	require.True(t, ok)
	assert.InDelta(t, attrNum(ev, attrExpected), expected, 1e-9)
	assert.NotContains(t, eventNames(h.lSink.AllLogs()), eventRaised+" deploy_cpu_regression")
}

// A deploy that makes things worse raises deploy_cpu_regression, which
// resolves once the comparison's retention passed.
func TestValidationRegressionRaisesAndResolves(t *testing.T) {
	cfg := validationConfig()
	cfg.Validation.Retention = time.Minute
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	for i := range 7 {
		v, regex := "v1", 5
		if i >= 3 {
			v, regex = "v2", 40
		}
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, versioned("search", v, i, regex)))
		h.sched.fire()
	}
	names := eventNames(h.lSink.AllLogs())
	require.Contains(t, names, eventRaised+" deploy_cpu_regression")
	evs := validationEvents(h.lSink.AllLogs())
	require.Len(t, evs, 1)
	assert.Equal(t, validation.VerdictRegressed, attrStr(evs[0], attrVerdict))
	assert.InDelta(t, -0.35, attrNum(evs[0], attrRealized), 1e-9)

	h.clock.set(h.clock.now().Add(2 * time.Minute))
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, versioned("search", "v2", 7, 40)))
	h.sched.fire()
	assert.Contains(t, eventNames(h.lSink.AllLogs()), eventResolved+" deploy_cpu_regression")
}

// A rolling deploy: both versions run in the same windows, and are compared
// side by side once they shared min_windows windows.
func TestValidationSideBySide(t *testing.T) {
	h := newHarness(t, validationConfig(), nopSettings())
	ctx := context.Background()
	for i := range 4 {
		pd := versioned("cart", "v1", i, 30)
		versioned("cart", "v2", i, 0).ResourceProfiles().MoveAndAppendTo(pd.ResourceProfiles())
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, pd))
		h.sched.fire()
	}
	evs := validationEvents(h.lSink.AllLogs())
	require.NotEmpty(t, evs)
	ev := evs[len(evs)-1]
	assert.Equal(t, validation.ModeSideBySide, attrStr(ev, attrValidationMode))
	assert.Equal(t, "v1", attrStr(ev, attrVersionBefore))
	assert.Equal(t, "v2", attrStr(ev, attrVersionAfter))
	assert.InDelta(t, 0.30, attrNum(ev, attrRealized), 1e-9)
	_, hasChange := ev.Attributes().Get("perfadvisor.service_cpu_change")
	assert.False(t, hasChange, "cores per version count pods: no CPU change side by side without requests per version")
}

// With request metrics in the metrics pipeline, the service's CPU change is
// per request: a version that serves the same requests with less CPU.
func TestValidationCPUPerRequest(t *testing.T) {
	h := newHarness(t, validationConfig(), nopSettings())
	ctx := context.Background()
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "search")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http_requests_total")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for k := range 20 { // 100 requests per second over the seven windows
		dp := sum.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(k) * 5 * time.Second)))
		dp.SetDoubleValue(float64(500 * k))
	}
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, md))
	for i := range 7 {
		v, regex := "v1", 30
		if i >= 3 {
			v, regex = "v2", 0
		}
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, versioned("search", v, i, regex)))
		h.sched.fire()
	}
	evs := validationEvents(h.lSink.AllLogs())
	require.Len(t, evs, 1)
	assert.Equal(t, validation.NormalizedByRequests, attrStr(evs[0], attrNormalizedBy))
	change, ok := validationPoint(h.mSink.AllMetrics(), metricValidationCPUChange, "", "v1", "v2")
	require.True(t, ok, "service CPU change gauge")
	assert.InDelta(t, 0, change, 0.05, "the same CPU (100 samples a window) for the same requests")
}

// A flood of version labels inside one open window stops at
// validation.max_versions readings per service: the profiles are still
// analysed, the extra versions' readings are dropped and counted.
func TestVersionsPerWindowAreBounded(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := validationConfig()
	h := newHarness(t, cfg, set)
	ctx := context.Background()
	const versions = 50
	for i := range versions {
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, versioned("search", fmt.Sprintf("v%d", i), 0, 30)))
	}
	e := h.engine()
	e.mu.Lock()
	var kept int
	for _, vs := range e.val.open {
		kept += len(vs.Readings())
	}
	e.mu.Unlock()
	assert.Equal(t, cfg.Validation.MaxVersions, kept)
	assert.Equal(t, int64(versions-cfg.Validation.MaxVersions), droppedByReason(t, tel)[reasonMaxVersions])
}
