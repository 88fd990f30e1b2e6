package fleet

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const (
	hour = time.Hour
	s15  = 15 * time.Second
)

// restarted is a counter whose process restarts at 10 min: the counter
// starts again from zero, with or without a new start timestamp.
func restarted(withStart bool) []sample {
	var out []sample
	for at := time.Duration(0); at <= 20*time.Minute; at += s15 {
		switch {
		case at <= 10*time.Minute:
			out = append(out, sample{at: at, v: 500 + 0.5*at.Seconds()})
		default:
			s := sample{at: at, v: 0.5 * (at - 10*time.Minute).Seconds()}
			if withStart {
				s.start = 10 * time.Minute
			}
			out = append(out, s)
		}
	}
	return out
}

func shuffled(in []sample) []sample {
	out := append([]sample(nil), in...)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func without(in []sample, from, to time.Duration) []sample {
	var out []sample
	for _, s := range in {
		if s.at < from || s.at > to {
			out = append(out, s)
		}
	}
	return out
}

func withNaN(in []sample) []sample {
	out := append([]sample(nil), in...)
	for i := 5; i < len(out); i += 10 {
		out[i].v = math.NaN()
	}
	return out
}

// TestCPURate checks the service CPU rate (cores) derived from each producer
// shape, judged over the whole input.
func TestCPURate(t *testing.T) {
	d := 20 * time.Minute
	one := counter(d, s15, constant(1))
	gauge := func(name string, v float64) metric {
		return metric{name: name, unit: "{cpu}", typ: pmetric.MetricTypeGauge, samples: levels(d, s15, constant(v))}
	}
	tests := []struct {
		name        string
		batches     []pmetric.Metrics
		wantCores   float64
		wantBuckets int
		wantInvalid int64
	}{
		{
			name:        "cumulative counter at one core",
			batches:     []pmetric.Metrics{batch(resource{proc("svc"), []metric{cpuTime(one, "user")}})},
			wantCores:   1,
			wantBuckets: 80,
		},
		{
			name:        "counter reset without a start time",
			batches:     []pmetric.Metrics{batch(resource{proc("svc"), []metric{cpuTime(restarted(false), "user")}})},
			wantCores:   0.5,
			wantBuckets: 80,
		},
		{
			name:        "counter reset with a new start time",
			batches:     []pmetric.Metrics{batch(resource{proc("svc"), []metric{cpuTime(restarted(true), "user")}})},
			wantCores:   0.5,
			wantBuckets: 80,
		},
		{
			name:        "gap: the counter spans it, no interval lost",
			batches:     []pmetric.Metrics{batch(resource{proc("svc"), []metric{cpuTime(without(one, 5*time.Minute, 9*time.Minute), "user")}})},
			wantCores:   1,
			wantBuckets: 80,
		},
		{
			name: "out-of-order points across batches",
			batches: func() []pmetric.Metrics {
				sh := shuffled(one)
				return []pmetric.Metrics{
					batch(resource{proc("svc"), []metric{cpuTime(sh[:40], "user")}}),
					batch(resource{proc("svc"), []metric{cpuTime(sh[40:], "user")}}),
				}
			}(),
			wantCores:   1,
			wantBuckets: 80,
		},
		{
			name: "duplicate batches count once",
			batches: []pmetric.Metrics{
				batch(resource{proc("svc"), []metric{cpuTime(one, "user")}}),
				batch(resource{proc("svc"), []metric{cpuTime(one, "user")}}),
			},
			wantCores:   1,
			wantBuckets: 80,
		},
		{
			name: "delta temporality",
			batches: []pmetric.Metrics{batch(resource{proc("svc"), []metric{
				{name: "process.cpu.time", unit: "s", delta: true, samples: deltas(d, s15, constant(0.75))}}})},
			wantCores:   0.75,
			wantBuckets: 80,
		},
		{
			name: "mixed temporalities from two instances are summed",
			batches: []pmetric.Metrics{batch(
				resource{proc("svc", "service.instance.id", "a"), []metric{cpuTime(one, "user")}},
				resource{proc("svc", "service.instance.id", "b"), []metric{
					{name: "process.cpu.time", unit: "s", delta: true, samples: deltas(d, s15, constant(0.5))}}},
			)},
			wantCores:   1.5,
			wantBuckets: 80,
		},
		{
			name: "modes summed",
			batches: []pmetric.Metrics{batch(resource{proc("svc"), []metric{
				cpuTime(counter(d, s15, constant(0.6)), "user"),
				cpuTime(counter(d, s15, constant(0.3)), "system"),
				cpuTime(counter(d, s15, constant(0.1)), "wait"),
			}})},
			wantCores:   1,
			wantBuckets: 80,
		},
		{
			name: "hostmetrics state attribute summed",
			batches: []pmetric.Metrics{batch(resource{proc("svc"), []metric{
				{name: "process.cpu.time", unit: "s", dpAttrs: attrs{"state": "user"}, samples: counter(d, s15, constant(0.2))},
				{name: "process.cpu.time", unit: "s", dpAttrs: attrs{"state": "system"}, samples: counter(d, s15, constant(0.2))},
			}})},
			wantCores:   0.4,
			wantBuckets: 80,
		},
		{
			name: "three instances summed",
			batches: []pmetric.Metrics{batch(
				resource{proc("svc", "k8s.pod.name", "svc-1"), []metric{cpuTime(counter(d, s15, constant(0.4)), "user")}},
				resource{proc("svc", "k8s.pod.name", "svc-2"), []metric{cpuTime(counter(d, s15, constant(0.4)), "user")}},
				resource{proc("svc", "k8s.pod.name", "svc-3"), []metric{cpuTime(counter(d, s15, constant(0.4)), "user")}},
			)},
			wantCores:   1.2,
			wantBuckets: 80,
		},
		{
			name: "mixed sources: the process counter wins, the pod gauge is not added",
			batches: []pmetric.Metrics{batch(
				resource{proc("svc", "process.pid", "42"), []metric{cpuTime(one, "user")}},
				resource{proc("svc", "k8s.pod.name", "svc-1"), []metric{gauge("k8s.pod.cpu.usage", 1.1)}},
			)},
			wantCores:   1,
			wantBuckets: 80,
		},
		{
			name:        "container gauge in cores",
			batches:     []pmetric.Metrics{batch(resource{proc("svc"), []metric{gauge("container.cpu.usage", 2)}})},
			wantCores:   2,
			wantBuckets: 80,
		},
		{
			name: "prometheus counter, job names the service",
			batches: []pmetric.Metrics{batch(resource{attrs{"job": "svc", "instance": "10.0.0.1:9100"}, []metric{
				{name: "process_cpu_seconds_total", samples: counter(d, s15, constant(0.25))}}})},
			wantCores:   0.25,
			wantBuckets: 80,
		},
		{
			name: "milliseconds are scaled",
			batches: []pmetric.Metrics{batch(resource{proc("svc"), []metric{
				{name: "jvm.cpu.time", unit: "ms", samples: counter(d, s15, constant(300))}}})},
			wantCores:   0.3,
			wantBuckets: 80,
		},
		{
			name:        "NaN points are counted and skipped",
			batches:     []pmetric.Metrics{batch(resource{proc("svc"), []metric{cpuTime(withNaN(one), "user")}})},
			wantCores:   1,
			wantBuckets: 80,
			wantInvalid: 8,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewStore(Config{}, nil)
			for _, md := range tt.batches {
				st.Add(md)
			}
			svc := st.services["svc"]
			require.NotNil(t, svc)
			sr := svc.cpuSeries(math.MinInt64/2, math.MaxInt64/2)
			assert.Len(t, sr.v, tt.wantBuckets)
			assert.InDelta(t, tt.wantCores, mean(sr.v), 1e-6)
			for i, v := range sr.v {
				assert.InDeltaf(t, tt.wantCores, v, 1e-6, "bucket %d", i)
			}
			assert.Equal(t, tt.wantInvalid, st.Invalid())
			assert.Zero(t, st.Dropped())
		})
	}
}

// TestAddLeavesInputAlone: Add reads the batch and never changes it.
func TestAddLeavesInputAlone(t *testing.T) {
	md := batch(resource{proc("svc"), []metric{cpuTime(counter(hour, s15, constant(1)), "user")}})
	want := pmetric.NewMetrics()
	md.CopyTo(want)
	NewStore(Config{}, nil).Add(md)
	assert.Equal(t, want, md)
}
