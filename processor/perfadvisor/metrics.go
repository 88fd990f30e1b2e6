package perfadvisor

import (
	"context"
	"math"
	"sort"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/perfadvisor/perfadvisor/internal/findings"
	"github.com/perfadvisor/perfadvisor/internal/fleet"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// Emitted metric and attribute names (docs/design.md §5; fixed).
const (
	metricFindingActive      = "perfadvisor.finding.active"
	metricFindingCPURatio    = "perfadvisor.finding.cpu_ratio"
	metricFindingExpected    = "perfadvisor.finding.expected_cpu_reduction"
	metricServiceCPUUsage    = "perfadvisor.service.cpu.usage"
	metricServiceFleetRatio  = "perfadvisor.service.cpu.fleet_median_ratio"
	metricRuleCPUTime        = "perfadvisor.rule.cpu.time"
	metricServiceProfiledCPU = "perfadvisor.service.profiled_cpu.time"

	attrServiceName = "service.name"
	attrRule        = "perfadvisor.rule"
	attrSeverity    = "perfadvisor.severity"
)

// metricsEmitter belongs to the instance in a metrics pipeline: it alone
// calls that pipeline's next, from Start to Shutdown.
type metricsEmitter struct {
	e    *engine
	next consumer.Metrics
	loop loop
	// shown holds the findings this emitter last reported as firing, so a
	// resolved one gets a staleness marker (read by the emit loop only).
	shown map[findingSeries]struct{}
}

// findingSeries names one finding's gauge series downstream.
type findingSeries struct{ service, rule, severity string }

func newMetricsEmitter(e *engine, next consumer.Metrics, schedule scheduleFunc) *metricsEmitter {
	return &metricsEmitter{e: e, next: next, loop: loop{schedule: schedule}}
}

func (m *metricsEmitter) start(context.Context, component.Host) error {
	m.loop.start(m.e.cfg.EmitInterval, m.emit)
	return nil
}

// shutdown stops the loop and flushes once more; downstream is still running.
func (m *metricsEmitter) shutdown(ctx context.Context) error {
	if m.loop.stop() {
		m.e.closeAll()
		m.emit(ctx)
	}
	return nil
}

func (m *metricsEmitter) emit(ctx context.Context) {
	wall := m.e.now()
	m.e.tick(wall)
	md := m.e.advisoryMetrics(wall)
	m.e.tel.drop(reasonInvalidSignal, int64(dropNonFinite(md)))
	m.shown = markResolved(md, m.shown, pcommon.NewTimestampFromTime(wall))
	if md.ResourceMetrics().Len() == 0 {
		return
	}
	points := md.DataPointCount()
	// md belongs to downstream from here on; the engine lock is not held.
	if err := m.next.ConsumeMetrics(ctx, md); err != nil {
		m.e.logger.Warn("perfadvisor: advisory metrics not accepted downstream", zap.Error(err))
		m.e.tel.drop(reasonEmitFailed, int64(points))
	}
}

// serviceView gathers what one service's ResourceMetrics holds.
type serviceView struct {
	firing []findings.Alert
	usage  *fleet.ServiceUsage
	totals *serviceTotals
	cores  float64
	hasCPU bool // cores from profiles, for services with no CPU metric
	// metrics is the service's advice in the batch being built.
	metrics pmetric.MetricSlice
}

// advisoryMetrics snapshots the advice as metrics stamped with wall time.
func (e *engine) advisoryMetrics(wall time.Time) pmetric.Metrics {
	e.mu.Lock()
	defer e.mu.Unlock()
	views := map[string]*serviceView{}
	view := func(s string) *serviceView {
		v, ok := views[s]
		if !ok {
			v = &serviceView{}
			views[s] = v
		}
		return v
	}
	for _, a := range e.tracker.Firing() {
		v := view(a.Service)
		v.firing = append(v.firing, a)
	}
	if latest, _ := e.metricsNowLocked(wall); !latest.IsZero() {
		for _, u := range e.adv.Usage(latest) {
			view(u.Service).usage = &u
		}
	}
	watermark, stopped := e.profilesNowLocked(wall)
	for name, st := range e.totals.services {
		v := view(name)
		v.totals = st
		if v.usage == nil && !stopped && watermark.Sub(st.coresAt) <= staleWindows*e.cfg.Window {
			v.cores, v.hasCPU = st.cores, true
		}
	}
	for _, name := range e.validationServicesLocked() {
		view(name)
	}
	names := make([]string, 0, len(views))
	for n := range views {
		names = append(names, n)
	}
	sort.Strings(names)

	md := pmetric.NewMetrics()
	ts := pcommon.NewTimestampFromTime(wall)
	for _, name := range names {
		v := views[name]
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr(attrServiceName, name)
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(metadata.ScopeName)
		ms := sm.Metrics()
		v.metrics = ms
		if len(v.firing) > 0 {
			active := findingGauge(ms, metricFindingActive)
			ratio := findingGauge(ms, metricFindingCPURatio)
			expected := findingGauge(ms, metricFindingExpected)
			for _, a := range v.firing {
				sev := string(a.Severity)
				dp := active.DataPoints().AppendEmpty()
				findingAttrs(dp.Attributes(), a.Rule, sev)
				dp.SetTimestamp(ts)
				dp.SetIntValue(1)
				if a.Finding.CPURatio != nil {
					dp := ratio.DataPoints().AppendEmpty()
					findingAttrs(dp.Attributes(), a.Rule, sev)
					dp.SetTimestamp(ts)
					dp.SetDoubleValue(*a.Finding.CPURatio)
				}
				if a.Finding.ExpectedCPUReduction != nil {
					dp = expected.DataPoints().AppendEmpty()
					findingAttrs(dp.Attributes(), a.Rule, sev)
					dp.SetTimestamp(ts)
					dp.SetDoubleValue(*a.Finding.ExpectedCPUReduction)
				}
			}
			if ratio.DataPoints().Len() == 0 {
				ms.RemoveIf(func(m pmetric.Metric) bool { return m.Name() == metricFindingCPURatio })
			}
			if expected.DataPoints().Len() == 0 {
				ms.RemoveIf(func(m pmetric.Metric) bool { return m.Name() == metricFindingExpected })
			}
		}
		switch {
		case v.usage != nil:
			dp := gauge(ms, metricServiceCPUUsage, "{cpu}", "Cores used by the service in the window.").DataPoints().AppendEmpty()
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(v.usage.Cores)
			dp = gauge(ms, metricServiceFleetRatio, "1", "The service's CPU over the fleet median.").DataPoints().AppendEmpty()
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(v.usage.FleetMedianRatio)
		case v.hasCPU:
			dp := gauge(ms, metricServiceCPUUsage, "{cpu}", "Cores used by the service in the window.").DataPoints().AppendEmpty()
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(v.cores)
		}
		e.validationGaugesLocked(ms, name, ts)
		if st := v.totals; st != nil {
			if len(st.rules) > 0 {
				sum := cumulative(ms, metricRuleCPUTime, "Profiled CPU time attributed to the rule.")
				for _, rt := range st.rules { // sorted by id
					dp := sum.DataPoints().AppendEmpty()
					dp.Attributes().PutStr(attrRule, rt.id)
					dp.SetStartTimestamp(rt.start)
					dp.SetTimestamp(ts)
					dp.SetDoubleValue(rt.seconds)
				}
			}
			dp := cumulative(ms, metricServiceProfiledCPU, "All profiled CPU time of the service.").DataPoints().AppendEmpty()
			dp.SetStartTimestamp(st.start)
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(st.seconds)
		}
	}
	savingsGauges(md, views, e.combinedLocked(watermark), ts)
	return md
}

// markResolved appends, for each finding shown last time and not firing now,
// a point flagged "no recorded value" on its three gauges: Prometheus
// exporters turn that into a staleness marker (or delete the series), so an
// alert resolves at once instead of after the exporter's metric_expiration.
// It returns the findings firing in md.
func markResolved(md pmetric.Metrics, shown map[findingSeries]struct{}, ts pcommon.Timestamp) map[findingSeries]struct{} {
	now := map[findingSeries]struct{}{}
	scopes := map[string]pmetric.ScopeMetrics{} // the service's own advice, where the markers go
	for _, rm := range md.ResourceMetrics().All() {
		svc, _ := rm.Resource().Attributes().Get(attrServiceName)
		for _, sm := range rm.ScopeMetrics().All() {
			if sm.Scope().Name() == metadata.ScopeName {
				scopes[svc.AsString()] = sm
			}
			for _, m := range sm.Metrics().All() {
				if m.Name() != metricFindingActive || m.Type() != pmetric.MetricTypeGauge {
					continue
				}
				for _, dp := range m.Gauge().DataPoints().All() {
					rule, _ := dp.Attributes().Get(attrRule)
					sev, _ := dp.Attributes().Get(attrSeverity)
					now[findingSeries{svc.AsString(), rule.AsString(), sev.AsString()}] = struct{}{}
				}
			}
		}
	}
	var gone []findingSeries
	for k := range shown {
		if _, ok := now[k]; !ok {
			gone = append(gone, k)
		}
	}
	sort.Slice(gone, func(i, j int) bool {
		if gone[i].service != gone[j].service {
			return gone[i].service < gone[j].service
		}
		return gone[i].rule < gone[j].rule
	})
	for _, k := range gone {
		sm, ok := scopes[k.service]
		if !ok {
			rm := md.ResourceMetrics().AppendEmpty()
			rm.Resource().Attributes().PutStr(attrServiceName, k.service)
			sm = rm.ScopeMetrics().AppendEmpty()
			sm.Scope().SetName(metadata.ScopeName)
			scopes[k.service] = sm
		}
		for _, name := range []string{metricFindingActive, metricFindingCPURatio, metricFindingExpected} {
			dp := findingGauge(sm.Metrics(), name).DataPoints().AppendEmpty()
			findingAttrs(dp.Attributes(), k.rule, k.severity)
			dp.SetTimestamp(ts)
			dp.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
		}
	}
	return now
}

// findingGauges gives the unit and description of the per-finding gauges.
var findingGauges = map[string][2]string{
	metricFindingActive:   {"{finding}", "1 while a finding is raised."},
	metricFindingCPURatio: {"1", "Share of the service's CPU attributed to the rule."},
	metricFindingExpected: {"1", "Share of CPU the fix is expected to save."},
}

func findingGauge(ms pmetric.MetricSlice, name string) pmetric.Gauge {
	g := findingGauges[name]
	return gauge(ms, name, g[0], g[1])
}

func gauge(ms pmetric.MetricSlice, name, unit, desc string) pmetric.Gauge {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	m.SetDescription(desc)
	return m.SetEmptyGauge()
}

func cumulative(ms pmetric.MetricSlice, name, desc string) pmetric.Sum {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit("s")
	m.SetDescription(desc)
	s := m.SetEmptySum()
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.SetIsMonotonic(true)
	return s
}

func findingAttrs(m pcommon.Map, rule, severity string) {
	m.PutStr(attrRule, rule)
	m.PutStr(attrSeverity, severity)
}

// dropNonFinite removes NaN and infinite points (a bug upstream must not
// reach an alert rule as NaN) and returns how many it removed.
func dropNonFinite(md pmetric.Metrics) int {
	n := 0
	bad := func(dp pmetric.NumberDataPoint) bool {
		if dp.ValueType() != pmetric.NumberDataPointValueTypeDouble {
			return false
		}
		v := dp.DoubleValue()
		if math.IsNaN(v) || math.IsInf(v, 0) {
			n++
			return true
		}
		return false
	}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					m.Gauge().DataPoints().RemoveIf(bad)
					return m.Gauge().DataPoints().Len() == 0
				case pmetric.MetricTypeSum:
					m.Sum().DataPoints().RemoveIf(bad)
					return m.Sum().DataPoints().Len() == 0
				}
				return false
			})
		}
	}
	return n
}
