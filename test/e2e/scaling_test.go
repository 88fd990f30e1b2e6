//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// scalingConfig is one collector of the layout under test.
const scalingConfig = `
receivers:
  otlp:
    protocols:
      http: {endpoint: 127.0.0.1:%[1]d}
processors:
  perfadvisor:
    window: 10s
    allowed_lateness: 1s
    emit_interval: 1s
    for: 0s
exporters:
  prometheus:
    endpoint: 127.0.0.1:%[2]d
  debug:
    verbosity: basic
    sampling_initial: 1
    sampling_thereafter: 1000
service:
  telemetry:
    metrics: {level: none}
  pipelines:
    profiles:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [debug]
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus]
`

// Scale past one collector: two replicas that each receive half of a
// service's profiles and half of the fleet's metrics, scraped by one real
// Prometheus with the shipped recording rules, give the same fleet-wide
// share and the same fleet-median ratio as one collector that sees it all
// (its own exporter, scraped by a second Prometheus).
func TestTwoReplicasMatchOneCollector(t *testing.T) {
	promBin := requireBinary(t, "/usr/bin/prometheus")
	type col struct{ otlp, exporter int }
	start := func() col {
		c := col{FreePort(t), FreePort(t)}
		StartCollector(t, fmt.Sprintf(scalingConfig, c.otlp, c.exporter))
		return c
	}
	a, b, one := start(), start(), start()
	rules := testRules(t)
	replicas := startPrometheus(t, promBin, 0, rules, a.exporter, b.exporter)
	single := startPrometheus(t, promBin, 0, rules, one.exporter)

	// The fleet: two hours of CPU metrics of twelve services, re-stamped to
	// now; the replicas get alternate services, the single collector all.
	md := fleetMetrics(t, "fleet-outlier-a", time.Now())
	half := [2]pmetric.Metrics{pmetric.NewMetrics(), pmetric.NewMetrics()}
	for i, rm := range md.ResourceMetrics().All() {
		rm.CopyTo(half[i%2].ResourceMetrics().AppendEmpty())
	}
	for i, part := range half {
		for _, batch := range splitByEventTime(part, 8) {
			postMetrics(t, fmt.Sprintf("http://127.0.0.1:%d", []int{a.otlp, b.otlp}[i]), batch)
		}
	}
	for _, batch := range splitByEventTime(md, 8) {
		postMetrics(t, fmt.Sprintf("http://127.0.0.1:%d", one.otlp), batch)
	}

	// checkout's profiles: each message to one replica in turn, and to the
	// single collector; 2 s apart so event-time windows keep closing.
	raw, err := os.ReadFile(RepoPath(t, "testdata", "fixtures", "regex-a", "cpu.pb.gz"))
	require.NoError(t, err)
	src, err := pprofconv.FromPprofBytes(raw, 256<<20, map[string]string{"service.name": "checkout"})
	require.NoError(t, err)
	send := func(port int, pd pprofile.Profiles) {
		postProfiles(t, fmt.Sprintf("http://127.0.0.1:%d", port), pd, "application/x-protobuf")
	}
	for k := range 16 {
		pd := restamp(src, time.Now())
		send([]int{a.otlp, b.otlp}[k%2], pd)
		send(one.otlp, pd)
		time.Sleep(2 * time.Second)
	}

	shareQ := `job_perfadvisor_rule:perfadvisor_cpu:ratio_rate5m{job="checkout",perfadvisor_rule="regex_compile_hot_path"}`
	medianQ := `job:perfadvisor_service_cpu_usage:fleet_median_ratio{job="checkout"}`
	for _, q := range []string{shareQ, medianQ} {
		Eventually(t, 2*time.Minute, func() (bool, string) {
			r, err1 := replicas.query(q)
			s, err2 := single.query(q)
			if err1 != nil || err2 != nil || len(r) != 1 || len(s) != 1 || math.IsNaN(r[0]) || math.IsNaN(s[0]) {
				return false, fmt.Sprintf("%s: replicas %v (%v), single %v (%v)", q, r, err1, s, err2)
			}
			tol := 0.01
			if q == medianQ {
				tol = 0.01 * s[0] // a ratio near 17: within 1%
			}
			if math.Abs(r[0]-s[0]) > tol {
				return false, fmt.Sprintf("%s: two replicas %.4f vs one collector %.4f", q, r[0], s[0])
			}
			t.Logf("%s: two replicas %.4f, one collector %.4f", q, r[0], s[0])
			return true, ""
		})
	}
	// The fleet median over both replicas equals what one collector that
	// sees the whole fleet computes itself.
	own := `max(perfadvisor_service_cpu_fleet_median_ratio{job="checkout"})`
	Eventually(t, time.Minute, func() (bool, string) {
		r, err1 := replicas.query(medianQ)
		s, err2 := single.query(own)
		if err1 != nil || err2 != nil || len(r) != 1 || len(s) != 1 {
			return false, fmt.Sprintf("replicas %v (%v), single collector's own ratio %v (%v)", r, err1, s, err2)
		}
		t.Logf("fleet-median ratio of checkout: recording rules over two replicas %.4f, one collector's own %.4f", r[0], s[0])
		return math.Abs(r[0]-s[0]) <= 0.01*s[0], fmt.Sprintf("%.4f vs %.4f", r[0], s[0])
	})
	// Each replica saw only part of checkout: the sums, not the per-collector
	// ratios, are what merge exactly.
	if v, err := replicas.query(`count(perfadvisor_service_profiled_cpu_time_seconds_total{job="checkout"})`); err != nil || len(v) != 1 || v[0] != 2 {
		t.Errorf("checkout's profiled CPU should come from both replicas: %v (err %v)", v, err)
	}
}
