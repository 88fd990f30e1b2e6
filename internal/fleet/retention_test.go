package fleet

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within keeps the samples in (from, to].
func within(ss []sample, from, to time.Duration) []sample {
	var out []sample
	for _, s := range ss {
		if s.at > from && s.at <= to {
			out = append(out, s)
		}
	}
	return out
}

// restartedCounter is a cumulative counter that restarts (from zero, with a new
// start time) at restart.
func restartedCounter(d, step, restart time.Duration, rate func(time.Duration) float64) []sample {
	var out []sample
	total := 0.0
	start := time.Duration(0)
	for at := step; at <= d; at += step {
		if at >= restart && start == 0 {
			start, total = restart, 0
		}
		total += rate(at-step/2) * step.Seconds()
		out = append(out, sample{at: at, v: total, start: start, hasStart: true})
	}
	return out
}

// TestOldCPUPointsAreNeverRead: over six hours of a fleet (steady, spiky,
// restarted, delta and leaking services, one outlier), a store that drops
// CPU points past the live horizon judges exactly as one that keeps them,
// at every evaluation, while holding fewer points.
func TestOldCPUPointsAreNeverRead(t *testing.T) {
	const d = 6 * time.Hour
	step := 10 * time.Second
	spiky := func(at time.Duration) float64 {
		if int(at.Minutes())%37 < 3 {
			return 4
		}
		return 0.5
	}
	var rs []resource
	for i := range 6 {
		rs = append(rs, resource{proc(fmt.Sprintf("steady-%d", i)), []metric{
			cpuTime(counter(d, step, wobble(0.2+0.05*float64(i), 0.1)), "user"),
			cpuTime(counter(d, step, wobble(0.05, 0.2)), "system"),
		}})
	}
	rs = append(rs,
		resource{proc("outlier"), []metric{cpuTime(counter(d, step, wobble(3, 0.1)), "user")}},
		resource{proc("spiky"), []metric{cpuTime(counter(d, step, spiky), "user")}},
		resource{proc("restarted"), []metric{cpuTime(restartedCounter(d, step, 3*time.Hour, wobble(0.4, 0.3)), "user")}},
		resource{proc("delta"), []metric{{name: "process.cpu.time", unit: "s", delta: true,
			dpAttrs: attrs{"cpu.mode": "user"}, samples: deltas(d, step, wobble(0.3, 0.2))}}},
		resource{proc("leak"), []metric{
			cpuTime(counter(d, step, wobble(0.3, 0.05)), "user"),
			{name: "go.goroutine.count", unit: "{goroutine}", samples: levels(d, 30*time.Second,
				func(at time.Duration) float64 { return 100 + 400*at.Hours() + 5*math.Sin(at.Seconds()/50) })},
		}},
	)
	trimmed, kept := NewStore(Config{}, nil), NewStore(Config{}, nil)
	kept.keepOldCPU = true
	chunk := 10 * time.Minute
	evals := 0
	for to := chunk; to <= d; to += chunk {
		var part []resource
		for _, r := range rs {
			pr := resource{attrs: r.attrs}
			for _, m := range r.metrics {
				m.samples = within(m.samples, to-chunk, to)
				pr.metrics = append(pr.metrics, m)
			}
			part = append(part, pr)
		}
		md := batch(part...)
		trimmed.Add(md)
		kept.Add(md)
		now := t0.Add(to)
		require.Equal(t, kept.Evaluate(now), trimmed.Evaluate(now), "at %s", to)
		require.Equal(t, kept.Usage(now), trimmed.Usage(now), "at %s", to)
		for _, svc := range []string{"leak", "restarted"} {
			for _, rule := range []string{"alloc_gc_pressure", "db_connection_churn"} {
				require.Equal(t, kept.Evidence(svc, rule), trimmed.Evidence(svc, rule))
			}
		}
		evals++
	}
	assert.Equal(t, 36, evals)
	assert.Less(t, float64(trimmed.points), 0.7*float64(kept.points), "old CPU points are gone")
	raised := 0
	for _, s := range trimmed.Evaluate(t0.Add(d)) {
		if s.Active {
			raised++
		}
	}
	assert.Positive(t, raised, "the fleet raises findings, so the comparison judges something")
}
