package fleet

// QA round 2: metric fleets in shapes beyond the public fixtures, with the
// `value` each rule reports checked against the DESIGN §4 definition
// computed independently here from the same per-interval rates.

import (
	"math"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

const s30 = 30 * time.Second

// wave is a traffic-shaped rate: mean m, relative amplitude a, period p, phase ph.
func wave(m, a float64, p time.Duration, ph float64) func(time.Duration) float64 {
	return func(t time.Duration) float64 { return m * (1 + a*math.Sin(2*math.Pi*t.Seconds()/p.Seconds()+ph)) }
}

// intervalRates: the per-interval rates counter() integrates (midpoint rule).
func intervalRates(d, step time.Duration, f func(time.Duration) float64) []float64 {
	var out []float64
	for at := step; at <= d; at += step {
		out = append(out, f(at-step/2))
	}
	return out
}

func q(xs []float64, p float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return quantileSorted(s, p)
}

func findingValue(t *testing.T, fs []report.Finding, rule, service string) float64 {
	t.Helper()
	f, ok := find(fs, rule, service)
	require.Truef(t, ok, "no %s finding for %s in %v", rule, service, names(fs))
	require.NotNil(t, f.Value)
	return *f.Value
}

func names(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+"/"+f.Service)
	}
	return out
}

func onlyFor(t *testing.T, fs []report.Finding, rule string, services ...string) {
	t.Helper()
	ok := map[string]bool{}
	for _, s := range services {
		ok[s] = true
	}
	for _, f := range fs {
		if f.Rule == rule {
			assert.Truef(t, ok[f.Service], "unexpected %s for %s (value %v)", rule, f.Service, f.Value)
		}
	}
}

// Spikes at 30 s resolution: bursts of one and two intervals (30-60 s),
// one of them misaligned by half an interval (45 s); the rest of the fleet
// follows smooth traffic waves.
func TestVariantSpikes30s(t *testing.T) {
	d := 2 * hour
	const base, factor = 0.3, 4.5
	bursts := []struct{ at, dur time.Duration }{
		{9 * time.Minute, s30}, {22 * time.Minute, 2 * s30}, {37 * time.Minute, s30}, {51*time.Minute + 15*time.Second, 45 * time.Second},
		{66 * time.Minute, 2 * s30}, {80 * time.Minute, s30}, {95 * time.Minute, 2 * s30}, {108 * time.Minute, s30},
	}
	catalog := func(t time.Duration) float64 {
		for _, b := range bursts {
			if t >= b.at && t < b.at+b.dur {
				return base * factor
			}
		}
		return wobble(base, 0.04)(t)
	}
	rates := map[string]func(time.Duration) float64{
		"frontend": wave(0.4, 0.3, 40*time.Minute, 0), "cart": wave(0.3, 0.3, 40*time.Minute, 1),
		"currency": wave(0.2, 0.25, 35*time.Minute, 2), "email": wave(0.2, 0.2, 50*time.Minute, 0.5),
		"payment": wave(0.25, 0.3, 40*time.Minute, 3), "quote": wave(0.2, 0.3, 45*time.Minute, 2.5),
		"recommendation": wave(0.35, 0.3, 40*time.Minute, 0.2), "shipping": wave(0.2, 0.3, 40*time.Minute, 1.7),
		"product-catalog": catalog,
	}
	var rs []resource
	for name, f := range rates {
		rs = append(rs, resource{proc(name), []metric{cpuTime(counter(d, s30, f), "user")}})
	}
	got := replay(batch(rs...))

	// the definition: median over burst intervals of rate / median of the preceding 20 intervals
	iv := intervalRates(d, s30, catalog)
	var ratios []float64
	for i := 20; i < len(iv); i++ {
		med := q(iv[i-20:i], 0.5)
		if iv[i]/med >= 3 {
			ratios = append(ratios, iv[i]/med)
		}
	}
	want := q(ratios, 0.5)
	assert.InDelta(t, factor, want, 0.3)
	assert.InEpsilon(t, want, findingValue(t, got, RuleSpikes, "product-catalog"), 0.1)
	onlyFor(t, got, RuleSpikes, "product-catalog")
	onlyFor(t, got, RuleOutlier)
	onlyFor(t, got, RuleBaseline)
}

// promJob: a Prometheus-scraped service with several instances; the
// prometheus receiver names the resource by service.name = job and
// service.instance.id = instance (or, raw, by job/instance only).
func promJob(job string, instances int, raw bool, d time.Duration, f func(time.Duration) float64) []resource {
	var rs []resource
	for i := 0; i < instances; i++ {
		inst := job + "-" + string(rune('a'+i)) + ":9090"
		a := attrs{"service.name": job, "service.instance.id": inst, "server.address": inst}
		if raw {
			a = attrs{"job": job, "instance": inst}
		}
		share := func(t time.Duration) float64 { return f(t) / float64(instances) }
		rs = append(rs, resource{a, []metric{{name: "process_cpu_seconds_total", unit: "",
			samples: counter(d, s15, share)}}})
	}
	return rs
}

// Elevated baseline from process_cpu_seconds_total, three instances per
// job: the job's rate is the sum of its instances'.
func TestVariantBaselinePrometheusInstances(t *testing.T) {
	d := 2 * hour
	rates := map[string]func(time.Duration) float64{
		"frontend": wave(0.9, 0.5, 60*time.Minute, 0), "cart": wave(0.4, 0.5, 60*time.Minute, 0.3),
		"checkout": wave(0.5, 0.5, 60*time.Minute, 0.6), "currency": wave(0.3, 0.5, 60*time.Minute, 0.9),
		"payment": wave(0.3, 0.5, 60*time.Minute, 1.2), "product-catalog": wave(0.45, 0.5, 60*time.Minute, 1.5),
		"shipping": wave(0.35, 0.5, 60*time.Minute, 1.8), "ad": wave(0.4, 0.5, 60*time.Minute, 2.1),
		"accounting": wave(0.3, 0.5, 60*time.Minute, 2.4),
		// busy-polls: its floor never drops
		"fraud-detection": wave(0.7, 0.05, 60*time.Minute, 0),
	}
	for _, raw := range []bool{false, true} {
		t.Run(map[bool]string{false: "service.name", true: "job/instance labels"}[raw], func(t *testing.T) {
			var rs []resource
			var p10s []float64
			p10 := map[string]float64{}
			for name, f := range rates {
				rs = append(rs, promJob(name, 3, raw, d, f)...)
				p10[name] = q(intervalRates(d, s15, f), 0.1)
				p10s = append(p10s, p10[name])
			}
			want := p10["fraud-detection"] / q(p10s, 0.5)
			require.Greater(t, want, 2.4)
			got := replay(batch(rs...))
			assert.InEpsilon(t, want, findingValue(t, got, RuleBaseline, "fraud-detection"), 0.1)
			onlyFor(t, got, RuleBaseline, "fraud-detection")
			onlyFor(t, got, RuleOutlier)
			onlyFor(t, got, RuleSpikes)
		})
	}
}

// Outliers from container.cpu.usage gauges (cores at the timestamp), two
// pods per deployment, and a fleet where two services are hot at once: the
// median still sits among the normal services.
func TestVariantOutlierContainerGaugeTwoHot(t *testing.T) {
	d := 2 * hour
	rng := rand.New(rand.NewSource(3))
	means := map[string]float64{"frontend": 0.12, "cart": 0.08, "currency": 0.05, "email": 0.06, "payment": 0.07,
		"product-catalog": 0.10, "quote": 0.05, "recommendation": 0.09, "shipping": 0.06, "ad": 0.11,
		"checkout": 1.4, "accounting": 1.2}
	var rs []resource
	for name, m := range means {
		for pod := 0; pod < 2; pod++ {
			f := func(time.Duration) float64 { return m / 2 * (1 + 0.1*(2*rng.Float64()-1)) }
			rs = append(rs, resource{attrs{"k8s.deployment.name": name, "k8s.pod.name": name + "-" + string(rune('a'+pod))},
				[]metric{{name: "container.cpu.usage", unit: "{cpu}", typ: pmetric.MetricTypeGauge, samples: levels(d, s15, f)}}})
		}
	}
	var all []float64
	for _, m := range means {
		all = append(all, m)
	}
	med := q(all, 0.5)
	got := replay(batch(rs...))
	assert.InEpsilon(t, means["checkout"]/med, findingValue(t, got, RuleOutlier, "checkout"), 0.1)
	assert.InEpsilon(t, means["accounting"]/med, findingValue(t, got, RuleOutlier, "accounting"), 0.1)
	onlyFor(t, got, RuleOutlier, "checkout", "accounting")
	onlyFor(t, got, RuleSpikes)
}

// Goroutines: a slow leak of ~300/h under realistic noise fires with its
// slope; a high, flat, noisy pool and a load-driven oscillation do not.
func TestVariantGoroutines(t *testing.T) {
	d := 2 * hour
	rng := rand.New(rand.NewSource(11))
	noisy := func(f func(time.Duration) float64, sd float64) func(time.Duration) float64 {
		return func(t time.Duration) float64 { return math.Round(f(t) + sd*rng.NormFloat64()) }
	}
	got := replay(batch(
		goroutines("checkout", "checkout-1", d, noisy(func(t time.Duration) float64 { return 420 + 300*t.Hours() }, 8)),
		goroutines("ledger", "ledger-1", d, noisy(func(t time.Duration) float64 { return 900 + 300*t.Hours() }, 40)),
		goroutines("product-catalog", "pc-1", d, noisy(constant(3000), 25)),
		goroutines("pricing", "pricing-1", d, noisy(wave(1000, 0.2, 70*time.Minute, 0.4), 30)),
		goroutines("geo", "geo-1", d, noisy(constant(650), 15)),
		// white noise of ±120 hides the rise from the raw R² (~0.6); the
		// trend of 10-minute means is steady
		goroutines("quotes", "quotes-1", d, noisy(func(t time.Duration) float64 { return 1100 + 300*t.Hours() }, 120)),
		// a slow leak in a large pool: 600 more over 2 h on ~3000 (rel. 0.18)
		goroutines("inventory", "inventory-1", d, noisy(func(t time.Duration) float64 { return 3000 + 300*t.Hours() }, 30)),
		// flat but noisy, and oscillating with noise: correlated residuals, no leak
		goroutines("search", "search-1", d, noisy(constant(1200), 150)),
		goroutines("ads", "ads-1", d, noisy(wave(1000, 0.2, 240*time.Minute, 0.3), 60)),
		goroutines("auth", "auth-1", d, noisy(wave(900, 0.15, 50*time.Minute, 0), 100)),
	))
	assert.InEpsilon(t, 300, findingValue(t, got, RuleGrowth, "checkout"), 0.1)
	assert.InEpsilon(t, 300, findingValue(t, got, RuleGrowth, "ledger"), 0.1)
	assert.InEpsilon(t, 300, findingValue(t, got, RuleGrowth, "quotes"), 0.1)
	assert.InEpsilon(t, 300, findingValue(t, got, RuleGrowth, "inventory"), 0.1)
	onlyFor(t, got, RuleGrowth, "checkout", "ledger", "quotes", "inventory")
}
