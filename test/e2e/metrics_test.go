//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The metric rules as a user runs them: two hours of hostmetrics-shaped
// process.cpu.time for twelve services, re-stamped to end now, sent over
// OTLP/HTTP in event-time order through otlp → perfadvisor → prometheus, and
// read back from the exporter with the names docs/design.md §5 fixes.
func TestFleetMetricsEndToEnd(t *testing.T) {
	const (
		fixture = "fleet-outlier-a"
		outlier = "checkout"
		rule    = "service_cpu_outlier"
		truth   = 17.14 // expect.json: checkout's mean CPU over the fleet median
		relTol  = 0.25
	)
	md := fleetMetrics(t, fixture, time.Now())
	exporterURL := startFleetCollector(t, md)
	var samples []PromSample
	Eventually(t, 2*time.Minute, func() (bool, string) {
		samples = ScrapeProm(t, exporterURL)
		active := slices.ContainsFunc(samples, func(s PromSample) bool {
			return s.Name == "perfadvisor_finding_active" && s.Value == 1 &&
				hasLabels(s.Labels, map[string]string{"job": outlier, "perfadvisor_rule": rule})
		})
		ratio := slices.ContainsFunc(samples, func(s PromSample) bool {
			return s.Name == "perfadvisor_service_cpu_fleet_median_ratio" && s.Labels["job"] == outlier
		})
		if !active || !ratio {
			return false, fmt.Sprintf("finding_active %v, fleet_median_ratio %v; perfadvisor series: %s", active, ratio, perfadvisorNames(samples))
		}
		return true, ""
	})

	ratios := map[string]float64{}
	cores := map[string]float64{}
	for _, s := range samples {
		switch s.Name {
		case "perfadvisor_service_cpu_fleet_median_ratio":
			ratios[s.Labels["job"]] = s.Value
		case "perfadvisor_service_cpu_usage":
			cores[s.Labels["job"]] = s.Value
		case "perfadvisor_finding_active":
			if s.Labels["job"] != outlier {
				t.Errorf("finding for a healthy service: %v", s.Labels)
			}
		}
	}
	t.Logf("fleet median ratios: %v", ratios)
	t.Logf("cores: %v", cores)
	assert.Len(t, ratios, 12, "one ratio per service")
	assert.InDelta(t, truth, ratios[outlier], truth*relTol, "checkout's ratio against the fixture truth")
	assert.Greater(t, cores[outlier], 0.0)
	for svc, r := range ratios {
		if svc != outlier {
			assert.Lessf(t, r, 2.0, "%s ratio", svc)
		}
	}

	// Pass-through: the user's own series reach the exporter unchanged (the
	// newest cumulative value of checkout's user-mode CPU time).
	var want float64
	var newest pcommon.Timestamp
	eachResourcePoint(md, func(res pcommon.Map, name string, dp pmetric.NumberDataPoint) {
		svc, _ := res.Get("service.name")
		mode, _ := dp.Attributes().Get("cpu.mode")
		if name == "process.cpu.time" && svc.AsString() == outlier && mode.AsString() == "user" && dp.Timestamp() > newest {
			newest, want = dp.Timestamp(), dp.DoubleValue()
		}
	})
	passed := slices.ContainsFunc(samples, func(s PromSample) bool {
		return s.Name == "process_cpu_time_seconds_total" && s.Labels["job"] == outlier &&
			s.Labels["cpu_mode"] == "user" && math.Abs(s.Value-want) < 1e-6
	})
	assert.Truef(t, passed, "process_cpu_time_seconds_total{job=%q,cpu_mode=\"user\"} = %v not on the exporter", outlier, want)

	// The CLI replays the same file to the same finding.
	var rep struct {
		Findings []struct {
			Rule    string   `json:"rule"`
			Service string   `json:"service"`
			Value   *float64 `json:"value"`
		} `json:"findings"`
	}
	out := RunCLI(t, "analyze", "--format", "json", RepoPath(t, "testdata", "fixtures", fixture, "metrics.json"))
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	found := false
	for _, f := range rep.Findings {
		if f.Rule == rule && f.Service == outlier && f.Value != nil {
			found = true
			assert.InDelta(t, truth, *f.Value, truth*relTol)
		}
	}
	assert.True(t, found, "CLI: no %s for %s in %s", rule, outlier, out)
}

// startFleetCollector starts otlp → perfadvisor → prometheus and sends md in
// eight batches of consecutive event time; it returns the exporter's URL.
func startFleetCollector(t *testing.T, md pmetric.Metrics) string {
	t.Helper()
	otlpPort, exporterPort := FreePort(t), FreePort(t)
	StartCollector(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
processors:
  perfadvisor:
    metrics_window: 10m
    emit_interval: 1s
    for: 0s
    keep_firing_for: 0s
exporters:
  prometheus:
    endpoint: 127.0.0.1:%d
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus]
`, otlpPort, exporterPort))

	batches := splitByEventTime(md, 8)
	require.Len(t, batches, 8)
	sent := 0
	for _, b := range batches {
		sent += b.DataPointCount()
		postMetrics(t, fmt.Sprintf("http://127.0.0.1:%d", otlpPort), b)
	}
	require.Equal(t, md.DataPointCount(), sent, "every point sent once")
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", exporterPort)
}

// A goroutine leak over OTLP: checkout's go.goroutine.count climbs 200 → 5000
// in two hours; only checkout gets goroutine_growth.
func TestGoroutineLeakEndToEnd(t *testing.T) {
	const leaky, rule = "checkout", "goroutine_growth"
	exporterURL := startFleetCollector(t, fleetMetrics(t, "goroutine-leak-a", time.Now()))
	var samples []PromSample
	Eventually(t, 2*time.Minute, func() (bool, string) {
		samples = ScrapeProm(t, exporterURL)
		if slices.ContainsFunc(samples, func(s PromSample) bool {
			return s.Name == "perfadvisor_finding_active" && s.Value == 1 &&
				hasLabels(s.Labels, map[string]string{"job": leaky, "perfadvisor_rule": rule})
		}) {
			return true, ""
		}
		return false, "no goroutine_growth finding; perfadvisor series: " + perfadvisorNames(samples)
	})
	for _, s := range samples {
		if s.Name == "perfadvisor_finding_active" && s.Labels["job"] != leaky {
			t.Errorf("finding for a service that does not leak: %v", s.Labels)
		}
	}
	// pass-through of the user's gauge: the exporter serves every service's count
	jobs := map[string]bool{}
	for _, s := range samples {
		if s.Name == "go_goroutine_count" {
			jobs[s.Labels["job"]] = true
		}
	}
	assert.Len(t, jobs, 5, "go.goroutine.count of all five services passes through: %v", jobs)
}

// splitByEventTime cuts md into n batches of consecutive event-time ranges,
// each holding every resource, scope and metric with its points in range.
func splitByEventTime(md pmetric.Metrics, n int) []pmetric.Metrics {
	var lo, hi pcommon.Timestamp
	eachNumberPoint(md, func(dp pmetric.NumberDataPoint) {
		if lo == 0 || dp.Timestamp() < lo {
			lo = dp.Timestamp()
		}
		hi = max(hi, dp.Timestamp())
	})
	width := (int64(hi-lo) + int64(n)) / int64(n)
	out := make([]pmetric.Metrics, 0, n)
	for i := 0; i < n; i++ {
		a := int64(lo) + int64(i)*width
		b := a + width
		part := pmetric.NewMetrics()
		md.CopyTo(part)
		for _, rm := range part.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					outside := func(dp pmetric.NumberDataPoint) bool {
						return int64(dp.Timestamp()) < a || int64(dp.Timestamp()) >= b
					}
					switch m.Type() {
					case pmetric.MetricTypeSum:
						m.Sum().DataPoints().RemoveIf(outside)
					case pmetric.MetricTypeGauge:
						m.Gauge().DataPoints().RemoveIf(outside)
					}
				}
			}
		}
		out = append(out, part)
	}
	return out
}

func eachResourcePoint(md pmetric.Metrics, f func(res pcommon.Map, name string, dp pmetric.NumberDataPoint)) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Type() != pmetric.MetricTypeSum {
					continue
				}
				for _, dp := range m.Sum().DataPoints().All() {
					f(rm.Resource().Attributes(), m.Name(), dp)
				}
			}
		}
	}
}
