package fleet

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// fleetOf builds a fleet of services from per-service CPU rate functions over d.
func fleetOf(d time.Duration, rates map[string]func(time.Duration) float64) pmetric.Metrics {
	var rs []resource
	for name, f := range rates {
		rs = append(rs, resource{proc(name), []metric{cpuTime(counter(d, s15, f), "user")}})
	}
	return batch(rs...)
}

func replay(mds ...pmetric.Metrics) []report.Finding {
	st := NewStore(Config{}, nil)
	for _, md := range mds {
		st.Add(md)
	}
	return st.Replay()
}

type want struct {
	rule, service string
	value         float64 // 0: not checked
}

func checkFindings(t *testing.T, got []report.Finding, wants []want) {
	t.Helper()
	var names []string
	for _, f := range got {
		names = append(names, f.Rule+"/"+f.Service)
	}
	require.Lenf(t, got, len(wants), "findings %v", names)
	for _, w := range wants {
		f, ok := find(got, w.rule, w.service)
		if !assert.Truef(t, ok, "missing %s/%s in %v", w.rule, w.service, names) {
			continue
		}
		assert.Nil(t, f.CPURatio)
		assert.NotEmpty(t, f.Recommendation)
		assert.NotEmpty(t, f.Evidence)
		if w.value != 0 {
			require.NotNil(t, f.Value)
			assert.InDelta(t, w.value, *f.Value, w.value*0.05)
		}
	}
}

// spiky is base cores with bursts of factor x base at the given minutes, each one 15 s interval long.
func spiky(base, factor float64, minutes ...int) func(time.Duration) float64 {
	return func(t time.Duration) float64 {
		for _, m := range minutes {
			at := time.Duration(m) * time.Minute
			if t >= at && t < at+s15 {
				return base * factor
			}
		}
		return wobble(base, 0.05)(t)
	}
}

func TestFleetRules(t *testing.T) {
	d := 2 * hour
	tests := []struct {
		name  string
		rates map[string]func(time.Duration) float64
		want  []want
	}{
		{
			name:  "one-service fleet has no outlier",
			rates: map[string]func(time.Duration) float64{"solo": constant(5)},
		},
		{
			name:  "two services are too few for a median",
			rates: map[string]func(time.Duration) float64{"a": constant(0.1), "b": constant(5)},
		},
		{
			name: "one service at 20x the median",
			rates: map[string]func(time.Duration) float64{
				"a": wobble(0.1, 0.1), "b": wobble(0.1, 0.2), "c": wobble(0.1, 0.3), "d": wobble(0.1, 0.1), "hot": wobble(2, 0.1)},
			want: []want{{RuleOutlier, "hot", 20}, {RuleBaseline, "hot", 0}},
		},
		{
			name: "half the fleet busy: no outlier, the median sits between",
			rates: map[string]func(time.Duration) float64{
				"a": constant(0.1), "b": constant(0.1), "c": constant(0.1), "x": constant(2), "y": constant(2), "z": constant(2)},
		},
		{
			name: "near-idle fleet: a large ratio of tiny numbers is not an outlier",
			rates: map[string]func(time.Duration) float64{
				"a": constant(0.0002), "b": constant(0.0002), "c": constant(0.0002), "d": constant(0.004)},
		},
		{
			name: "elevated floor, mean within range",
			rates: map[string]func(time.Duration) float64{
				"a": wobble(0.2, 0.5), "b": wobble(0.2, 0.5), "c": wobble(0.25, 0.5), "d": wobble(0.2, 0.5),
				"floor": wobble(0.3, 0.05)},
			want: []want{{RuleBaseline, "floor", 2.7}},
		},
		{
			name: "repeated bursts",
			rates: map[string]func(time.Duration) float64{
				"a": wobble(0.2, 0.05), "b": wobble(0.2, 0.05), "c": wobble(0.2, 0.05),
				"bursty": spiky(0.2, 5, 10, 30, 50, 70, 90)},
			want: []want{{RuleSpikes, "bursty", 5}},
		},
		{
			name: "bursts of 40x: spikes, and the mean they lift is no outlier",
			rates: map[string]func(time.Duration) float64{
				"a": wobble(0.2, 0.05), "b": wobble(0.2, 0.05), "c": wobble(0.2, 0.05),
				"bursty": spiky(0.2, 40, 10, 11, 12, 13, 14, 15, 16, 17, 18, 50, 90)},
			want: []want{{RuleSpikes, "bursty", 40}},
		},
		{
			name: "a single blip is not spikes",
			rates: map[string]func(time.Duration) float64{
				"a": wobble(0.2, 0.05), "b": wobble(0.2, 0.05), "c": wobble(0.2, 0.05),
				"blip": spiky(0.2, 5, 40)},
		},
		{
			name: "load switching on and off every 10 minutes is not spikes",
			rates: map[string]func(time.Duration) float64{
				"a": wobble(0.2, 0.05), "b": wobble(0.2, 0.05), "c": wobble(0.2, 0.05),
				"batch": func(t time.Duration) float64 {
					if (t/(10*time.Minute))%2 == 1 {
						return 1.0
					}
					return 0.2
				}},
		},
		{
			name: "a level shift is not spikes",
			rates: map[string]func(time.Duration) float64{
				"a": wobble(0.2, 0.05), "b": wobble(0.2, 0.05), "c": wobble(0.2, 0.05),
				"shift": func(t time.Duration) float64 {
					if t > 60*time.Minute {
						return 0.8
					}
					return 0.2
				}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, replay(fleetOf(d, tt.rates)), tt.want)
		})
	}
}

func goroutines(service, instance string, d time.Duration, f func(time.Duration) float64) resource {
	return resource{proc(service, "service.instance.id", instance), []metric{{
		name: "go.goroutine.count", unit: "{goroutine}", samples: levels(d, 30*time.Second, f)}}}
}

func TestGoroutineGrowth(t *testing.T) {
	d := 2 * hour
	linear := func(from, perHour float64) func(time.Duration) float64 {
		return func(t time.Duration) float64 { return from + perHour*t.Hours() + 10*math.Sin(t.Seconds()/41) }
	}
	tests := []struct {
		name string
		rs   []resource
		want []want
	}{
		{
			name: "steady leak",
			rs:   []resource{goroutines("leaky", "1", d, linear(200, 500))},
			want: []want{{RuleGrowth, "leaky", 500}},
		},
		{
			name: "high and flat",
			rs:   []resource{goroutines("pool", "1", d, linear(3000, 0))},
		},
		{
			name: "oscillates with load",
			rs: []resource{goroutines("wave", "1", d, func(t time.Duration) float64 {
				return 1000 + 200*math.Sin(2*math.Pi*t.Hours()/0.75)
			})},
		},
		{
			name: "tiny slope on a big level",
			rs:   []resource{goroutines("drift", "1", d, linear(5000, 40))},
		},
		{
			name: "rises with the CPU rate: load, not a leak",
			rs: []resource{
				goroutines("ramp", "1", d, linear(400, 300)),
				{proc("ramp", "service.instance.id", "1"), []metric{cpuTime(counter(d, s15, func(t time.Duration) float64 {
					return 0.4 + 0.3*t.Hours()
				}), "user")}},
			},
		},
		{
			name: "a leak while the CPU stays flat",
			rs: []resource{
				goroutines("leaky", "1", d, linear(400, 300)),
				{proc("leaky", "service.instance.id", "1"), []metric{cpuTime(counter(d, s15, constant(0.4)), "user")}},
			},
			want: []want{{RuleGrowth, "leaky", 300}},
		},
		{
			name: "instances summed",
			rs: []resource{
				goroutines("leaky", "1", d, linear(100, 150)),
				goroutines("leaky", "2", d, linear(100, 150)),
			},
			want: []want{{RuleGrowth, "leaky", 300}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindings(t, replay(batch(tt.rs...)), tt.want)
		})
	}
}

// TestCaps: services, series per service and points per series are bounded
// and what they refuse is counted.
func TestCaps(t *testing.T) {
	d := 10 * time.Minute
	t.Run("service cap", func(t *testing.T) {
		st := NewStore(Config{MaxServices: 3}, nil)
		var rs []resource
		for i := 0; i < 5; i++ {
			rs = append(rs, resource{proc(fmt.Sprintf("svc-%d", i)), []metric{cpuTime(counter(d, s15, constant(1)), "user")}})
		}
		st.Add(batch(rs...))
		assert.Equal(t, 3, st.Services())
		assert.Equal(t, int64(2*41), st.Dropped(), "two refused services' points")
	})
	t.Run("label flood hits the series cap", func(t *testing.T) {
		st := NewStore(Config{MaxSeriesPerService: 8}, nil)
		var ms []metric
		for i := 0; i < 100; i++ {
			m := cpuTime(counter(time.Minute, s15, constant(0.01)), "user")
			m.dpAttrs["thread"] = fmt.Sprint(i)
			ms = append(ms, m)
		}
		st.Add(batch(resource{proc("svc"), ms}))
		assert.Len(t, st.services["svc"].streams, 8)
		assert.Equal(t, int64(92*5), st.Dropped())
	})
	t.Run("points per series keep the newest", func(t *testing.T) {
		st := NewStore(Config{MaxPointsPerSeries: 16}, nil)
		st.Add(batch(resource{proc("svc"), []metric{cpuTime(counter(d, s15, constant(1)), "user")}}))
		var only *stream
		for _, s := range st.services["svc"].streams {
			only = s
		}
		require.NotNil(t, only)
		assert.Equal(t, 16, only.pts.len())
		assert.Equal(t, int64(ts(d)), only.pts.live().time(15))
		// older than everything held, with no room: refused and counted
		st.Add(batch(resource{proc("svc"), []metric{cpuTime([]sample{{at: 7 * time.Second, v: 1}}, "user")}}))
		assert.Equal(t, int64(1), st.Dropped())
		assert.Equal(t, 16, only.pts.len())
	})
	t.Run("points without a timestamp or with Inf are counted", func(t *testing.T) {
		st := NewStore(Config{}, nil)
		md := batch(resource{proc("svc"), []metric{cpuTime([]sample{{at: s15, v: math.Inf(1)}}, "user")}})
		md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().AppendEmpty().SetDoubleValue(3)
		st.Add(md)
		assert.Equal(t, int64(2), st.Invalid())
		assert.Equal(t, []report.Finding{}, st.Replay())
	})
}

func TestPointsBuffer(t *testing.T) {
	tests := []struct {
		name string
		max  int
		in   []int64
		want []int64
	}{
		{"in order", 4, []int64{1, 2, 3}, []int64{1, 2, 3}},
		{"out of order", 8, []int64{5, 1, 3, 2, 4}, []int64{1, 2, 3, 4, 5}},
		{"duplicates replace", 8, []int64{1, 2, 2, 3, 1}, []int64{1, 2, 3}},
		{"full: oldest leaves", 3, []int64{1, 2, 3, 4, 5}, []int64{3, 4, 5}},
		{"full: late point in the middle", 3, []int64{1, 3, 5, 4}, []int64{3, 4, 5}},
		{"full: a point older than all is refused", 3, []int64{3, 4, 5, 1}, []int64{3, 4, 5}},
		{"long run compacts", 4, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, []int64{9, 10, 11, 12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := points{max: tt.max}
			for _, v := range tt.in {
				p.add(point{t: v, v: float64(v)})
			}
			var got []int64
			for k := range p.live().len() {
				got = append(got, p.live().time(k))
			}
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(p.t), tt.max+tt.max/2+1, "bounded backing array")
		})
	}
}

func TestStats(t *testing.T) {
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"median odd", median([]float64{3, 1, 2}), 2},
		{"median even", median([]float64{4, 1, 3, 2}), 2.5},
		{"p10 interpolates like numpy", quantile([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.1), 2},
		{"p10 between ranks", quantile([]float64{10, 20, 30, 40}, 0.1), 13},
		{"mad", mad([]float64{1, 1, 2, 2, 4, 6, 9}), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.InDelta(t, tt.want, tt.got, 1e-9) })
	}
	slope, icpt, r2, ok := linearFit([]float64{0, 1, 2, 3}, []float64{1, 3, 5, 7})
	require.True(t, ok)
	assert.InDelta(t, 2, slope, 1e-9)
	assert.InDelta(t, 1, icpt, 1e-9)
	assert.InDelta(t, 1, r2, 1e-9)
	assert.True(t, math.IsNaN(median(nil)))
	buf := make([]float64, spikeHistory)
	assert.InDelta(t, 3.5, smallMedian(buf, []float64{9, 1, 3, 4, 8, 2}), 1e-9)
}

// TestCatalogOverrides: rules.<id>.threshold and enabled reach the metric rules.
func TestCatalogOverrides(t *testing.T) {
	builtin, err := catalog.Default()
	require.NoError(t, err)
	md := loadMetrics(t, filepath.Join(fixturesDir, "fleet-outlier-a", "metrics.json"))
	high, off := 30.0, false
	tests := []struct {
		name      string
		overrides map[string]catalog.Override
		want      bool
	}{
		{"built-in threshold raises checkout", nil, true},
		{"threshold above 17x", map[string]catalog.Override{RuleOutlier: {Threshold: &high}}, false},
		{"rule disabled", map[string]catalog.Override{RuleOutlier: {Enabled: &off}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := builtin.With(tt.overrides, nil)
			require.NoError(t, err)
			st := NewStore(Config{}, cat)
			st.Add(md)
			_, got := find(st.Replay(), RuleOutlier, "checkout")
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPointBudget(t *testing.T) {
	st := NewStore(Config{MaxPoints: 100}, nil)
	one := counter(10*time.Minute, s15, constant(1)) // 41 points a series
	st.Add(batch(resource{proc("svc"), []metric{cpuTime(one, "user"), cpuTime(one, "system"), cpuTime(one, "wait")}}))
	assert.Equal(t, int64(100), st.points)
	assert.Equal(t, int64(3*41-100), st.Dropped())
	// a re-sent batch replaces in place: nothing more is refused
	st.Add(batch(resource{proc("svc"), []metric{cpuTime(one, "user")}}))
	assert.Equal(t, int64(3*41-100), st.Dropped())
	// forgetting old data returns its points to the budget
	st.Evaluate(t0.Add(24 * time.Hour))
	assert.Zero(t, st.points)
	assert.Zero(t, st.Services())
}

// TestAbsurdValues: values near the float range, negative counters and
// counter jitter give no Inf/NaN reading, no panic and no phantom burst.
func TestAbsurdValues(t *testing.T) {
	d := 30 * time.Minute
	huge := levels(d, s15, constant(math.MaxFloat64/4))
	negative := levels(d, s15, constant(-5))
	jitter := counter(d, s15, constant(0.5))
	for i := 3; i < len(jitter); i += 7 {
		jitter[i].v = jitter[i-1].v * (1 - 1e-9) // a hair below the previous total
	}
	md := batch(
		resource{proc("huge"), []metric{cpuTime(huge, "user"), cpuTime(huge, "system")}},
		resource{proc("negative"), []metric{cpuTime(negative, "user")}},
		resource{proc("jitter"), []metric{cpuTime(jitter, "user")}},
		resource{proc("ok"), []metric{cpuTime(counter(d, s15, constant(0.5)), "user")}},
	)
	st := NewStore(Config{}, nil)
	st.Add(md)
	for _, f := range st.Replay() {
		assert.NotEqual(t, "jitter", f.Service, "rounding is not a restart: %s", f.Rule)
		if f.Value != nil {
			assert.False(t, math.IsInf(*f.Value, 0) || math.IsNaN(*f.Value))
		}
	}
	for _, sig := range st.Evaluate(st.Latest()) {
		assert.False(t, math.IsInf(sig.Level, 0) || math.IsNaN(sig.Level), "%s %s", sig.Rule, sig.Service)
	}
	for _, u := range st.Usage(st.Latest()) {
		assert.False(t, math.IsInf(u.Cores, 0) || math.IsNaN(u.Cores) || math.IsNaN(u.FleetMedianRatio), u.Service)
	}
	_, err := json.Marshal(report.Report{Findings: st.Replay()})
	assert.NoError(t, err)
	sr := st.services["jitter"].cpuSeries(math.MinInt64/2, math.MaxInt64/2)
	// the dip's interval reads 0 and the next one catches up (2x), where a
	// restart would read the whole counter (hundreds of cores)
	assert.LessOrEqual(t, quantile(sr.v, 1), 1.0+1e-6, "no phantom spike from jitter")
	assert.InDelta(t, 0.5, mean(sr.v), 1e-6, "CPU is conserved")
}
