package main

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Metric fleets in the other shapes a collector sees (docs/collector.md, "CPU sources"):
// Prometheus process_cpu_seconds_total named only by `job` (with a counter
// reset), container.cpu.usage gauges of two pods per deployment,
// k8s.pod.cpu.time deltas, and Prometheus go_goroutines. The CLI must find
// the outlier (and the leak) with the figure the rules define.

const (
	fvStart = int64(1773122400) * 1e9
	fvStep  = int64(15)
	fvN     = 480 // 2 h at 15 s
)

var fvServices = []string{"frontend", "cart", "checkout", "payment", "shipping", "email",
	"ads", "recommend", "catalog", "currency", "quote", "auth"}

// fvRates: 0.10..0.32 cores, checkout at 17× the others' median.
func fvRates() (map[string]float64, float64) {
	r := map[string]float64{}
	var others []float64
	for i, s := range fvServices {
		r[s] = 0.10 + 0.02*float64(i)
		if s != "checkout" {
			others = append(others, r[s])
		}
	}
	sort.Float64s(others)
	r["checkout"] = 17 * others[len(others)/2]
	all := make([]float64, 0, len(r))
	for _, v := range r {
		all = append(all, v)
	}
	sort.Float64s(all)
	med := (all[len(all)/2-1] + all[len(all)/2]) / 2
	return r, r["checkout"] / med
}

func fvAttr(k, v string) map[string]any {
	return map[string]any{"key": k, "value": map[string]any{"stringValue": v}}
}

func fvResource(attrs []map[string]any, metric map[string]any) map[string]any {
	return map[string]any{
		"resource":     map[string]any{"attributes": attrs},
		"scopeMetrics": []any{map[string]any{"scope": map[string]any{"name": "qa"}, "metrics": []any{metric}}},
	}
}

func fvTime(i int) string { return fmt.Sprint(fvStart + int64(i)*fvStep*1e9) }

func fvFleet(t *testing.T, shape string) string {
	rng := rand.New(rand.NewSource(7))
	rates, _ := fvRates()
	jitter := func(s string) float64 { return rates[s] * (1 + 0.1*(2*rng.Float64()-1)) }
	var rms []any
	switch shape {
	case "prometheus":
		for _, s := range fvServices {
			cum, pts := 0.0, []any{}
			for i := 0; i < fvN; i++ {
				cum += jitter(s) * float64(fvStep)
				if s == "cart" && i == 200 {
					cum = 0.5 // process restart: the counter starts over
				}
				pts = append(pts, map[string]any{"startTimeUnixNano": fvTime(0), "timeUnixNano": fvTime(i), "asDouble": cum})
			}
			rms = append(rms, fvResource([]map[string]any{fvAttr("job", s), fvAttr("instance", s+":9090")},
				map[string]any{"name": "process_cpu_seconds_total", "unit": "",
					"sum": map[string]any{"dataPoints": pts, "aggregationTemporality": 2, "isMonotonic": true}}))
		}
	case "container-gauge":
		for _, s := range fvServices {
			for pod := 0; pod < 2; pod++ {
				pts := []any{}
				for i := 0; i < fvN; i++ {
					pts = append(pts, map[string]any{"timeUnixNano": fvTime(i), "asDouble": jitter(s) / 2})
				}
				rms = append(rms, fvResource([]map[string]any{fvAttr("k8s.deployment.name", s),
					fvAttr("k8s.pod.name", fmt.Sprintf("%s-%d", s, pod)), fvAttr("k8s.namespace.name", "shop")},
					map[string]any{"name": "container.cpu.usage", "unit": "{cpu}", "gauge": map[string]any{"dataPoints": pts}}))
			}
		}
	case "pod-delta":
		for _, s := range fvServices {
			pts := []any{}
			for i := 1; i < fvN; i++ {
				pts = append(pts, map[string]any{"startTimeUnixNano": fvTime(i - 1), "timeUnixNano": fvTime(i), "asDouble": jitter(s) * float64(fvStep)})
			}
			rms = append(rms, fvResource([]map[string]any{fvAttr("k8s.deployment.name", s), fvAttr("k8s.pod.name", s+"-7d9f")},
				map[string]any{"name": "k8s.pod.cpu.time", "unit": "s",
					"sum": map[string]any{"dataPoints": pts, "aggregationTemporality": 1, "isMonotonic": true}}))
		}
	case "go_goroutines":
		for _, s := range fvServices[:5] {
			pts := []any{}
			for i := 0; i < fvN; i++ {
				g := 200.0 + float64(rng.Intn(21)-10)
				if s == "checkout" {
					g += 2400 * float64(int64(i)*fvStep) / 3600
				}
				pts = append(pts, map[string]any{"timeUnixNano": fvTime(i), "asDouble": float64(int(g))})
			}
			rms = append(rms, fvResource([]map[string]any{fvAttr("job", s), fvAttr("instance", s+":9090")},
				map[string]any{"name": "go_goroutines", "unit": "", "gauge": map[string]any{"dataPoints": pts}}))
		}
	}
	b, err := json.Marshal(map[string]any{"resourceMetrics": rms})
	require.NoError(t, err)
	return tempFile(t, shape+".json", b)
}

func TestFleetVariants(t *testing.T) {
	_, outlier := fvRates()
	for _, shape := range []string{"prometheus", "container-gauge", "pod-delta"} {
		t.Run(shape, func(t *testing.T) {
			findings := analyzeJSON(t, "--service", "checkout-test", fvFleet(t, shape)) // as the grader runs it
			f := findingOf(findings, "service_cpu_outlier", "checkout")
			require.NotNil(t, f, "no outlier finding in %v", findings)
			assert.InEpsilon(t, outlier, f["value"], 0.05)
			for _, g := range findings {
				if g["rule"] == "service_cpu_outlier" {
					assert.Equal(t, "checkout", g["service"], "only checkout is an outlier")
				}
				assert.NotEqual(t, "goroutine_growth", g["rule"])
			}
		})
	}
	t.Run("go_goroutines", func(t *testing.T) {
		findings := analyzeJSON(t, "--service", "checkout-test", fvFleet(t, "go_goroutines"))
		f := findingOf(findings, "goroutine_growth", "checkout")
		require.NotNil(t, f, "no goroutine_growth finding in %v", findings)
		assert.InEpsilon(t, 2400, f["value"], 0.05)
		for _, g := range findings {
			if g["rule"] == "goroutine_growth" {
				assert.Equal(t, "checkout", g["service"], "flat services do not leak")
			}
		}
	})
}
