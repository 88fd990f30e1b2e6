package attribution

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repeat returns n copies of a sample.
func repeat(n int, smp tsample) []tsample {
	out := make([]tsample, n)
	for i := range out {
		out[i] = smp
	}
	return out
}

// Producer spellings of CPU and non-CPU profiles, and what the engine reads
// from each. Sources of the spellings:
//   - grafana/pyroscope-rs src/encode/pprof.rs: cpu/nanoseconds, period type
//     cpu/nanoseconds, period 1e9/sample_rate, values count × period.
//   - grafana/jfr-parser pprof/pprof.go (profileBuilderForSampleType,
//     addStacktrace): JFR execution samples become cpu/nanoseconds, period
//     type cpu/nanoseconds, metric process_cpu, values count × 1e9/sample
//     rate; the profile's own period is not a rate (so the count comes from
//     the values); wall, alloc_*, contentions/delay for the other events.
//   - Pyroscope Python (py-spy) and Ruby (rbspy) ingestion: samples/count
//     with no period type; the receiver names .cpu and .itimer process_cpu.
func TestCPUKindByProducerSpelling(t *testing.T) {
	tests := []struct {
		name        string
		prof        tprof
		wantSamples int64
		wantSeconds float64
		wantRead    bool
	}{
		{"go runtime/pprof cpu/nanoseconds", tprof{sampleType: [2]string{"cpu", "nanoseconds"}, periodType: [2]string{"cpu", "nanoseconds"}, period: 1e7,
			samples: repeat(60, tsample{value: 1e7})}, 60, 0.6, true},
		{"upper-case CPU/nanoseconds", tprof{sampleType: [2]string{"CPU", "nanoseconds"}, periodType: [2]string{"CPU", "nanoseconds"}, period: 1e7,
			samples: repeat(60, tsample{value: 1e7})}, 60, 0.6, true},
		{"ebpf samples/count with cpu period", tprof{sampleType: [2]string{"samples", "count"}, periodType: [2]string{"cpu", "nanoseconds"}, period: 5e7,
			samples: repeat(60, tsample{ts: 1})}, 60, 3, true},
		{"py-spy samples/count, empty period type, no period", tprof{sampleType: [2]string{"samples", "count"},
			samples: repeat(30, tsample{value: 2})}, 60, 0.6, true},
		{"rbspy samples/count, empty period type, period 1e7", tprof{sampleType: [2]string{"samples", "count"}, period: 1e7,
			samples: repeat(60, tsample{value: 1})}, 60, 0.6, true},
		{"process_cpu samples/count with an unusual period type", tprof{sampleType: [2]string{"samples", "count"}, periodType: [2]string{"samples", "count"},
			profileName: "process_cpu", period: 1e7, samples: repeat(60, tsample{value: 1})}, 60, 0.6, true},
		{"JFR cpu converted with period 1e9: count from the values", tprof{sampleType: [2]string{"cpu", "nanoseconds"}, periodType: [2]string{"cpu", "nanoseconds"},
			period: 1e9, profileName: "process_cpu", samples: append(repeat(500, tsample{value: 1e7}), repeat(25, tsample{value: 2e7})...)}, 550, 5.5, true},
		{"JFR cpu converted without a period", tprof{sampleType: [2]string{"cpu", "nanoseconds"}, periodType: [2]string{"cpu", "nanoseconds"},
			profileName: "process_cpu", samples: repeat(80, tsample{value: 2e7})}, 80, 1.6, true},
		{"async-profiler itimer converted", tprof{sampleType: [2]string{"itimer", "nanoseconds"}, periodType: [2]string{"itimer", "nanoseconds"},
			period: 1e7, samples: repeat(60, tsample{value: 1e7})}, 60, 0.6, true},
		{"pyroscope-dotnet period 1: count from the values", tprof{sampleType: [2]string{"cpu", "nanoseconds"}, periodType: [2]string{"cpu", "nanoseconds"},
			period: 1, samples: repeat(70, tsample{value: 1e7})}, 70, 0.7, true},
		{"wall clock is not CPU", tprof{sampleType: [2]string{"wall", "nanoseconds"}, periodType: [2]string{"wall", "nanoseconds"}, period: 1e7, profileName: "wall",
			samples: repeat(60, tsample{value: 1e7})}, 0, 0, false},
		{"samples/count named wall is not CPU", tprof{sampleType: [2]string{"samples", "count"}, profileName: "wall",
			samples: repeat(60, tsample{value: 1})}, 0, 0, false},
		{"off_cpu is not CPU", tprof{sampleType: [2]string{"events", "nanoseconds"}, periodType: [2]string{"off_cpu", "nanoseconds"}, period: 1,
			samples: repeat(60, tsample{value: 1e7})}, 0, 0, false},
		{"samples/count over a wall period is not CPU", tprof{sampleType: [2]string{"samples", "count"}, periodType: [2]string{"wall", "nanoseconds"}, period: 1e7,
			samples: repeat(60, tsample{value: 1})}, 0, 0, false},
		{"allocations are not CPU", tprof{sampleType: [2]string{"alloc_space", "bytes"}, periodType: [2]string{"space", "bytes"}, period: 524288,
			samples: repeat(60, tsample{value: 4096})}, 0, 0, false},
		{"delay/nanoseconds is contention, not CPU", tprof{sampleType: [2]string{"delay", "nanoseconds"}, periodType: [2]string{"contentions", "count"}, period: 1,
			samples: repeat(60, tsample{value: 1e7})}, 0, 0, false},
	}
	a := newTestAnalyzer(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.prof.service = "svc"
			for i := range tc.prof.samples {
				tc.prof.samples[i].stack = []string{"main.main|main.go", "main.work|main.go"}
			}
			w := NewWindow()
			require.NoError(t, a.Accumulate(newBuilder().add(tc.prof).pd, w))
			ss := w.Services["svc"]
			require.NotNil(t, ss, "every service that sent a profile has an entry")
			assert.Equal(t, tc.wantSamples, ss.CPUSamples)
			assert.InDelta(t, tc.wantSeconds, ss.CPUValue/1e9, 1e-9)
			assert.Equal(t, tc.wantRead, ss.CPUValue > 0)
		})
	}
}

func TestCoverage(t *testing.T) {
	goStack := []string{"main.main|main.go", "main.work|main.go"}
	pyStack := []string{"[native]_start", "<module> (app.py)", "handle (app.py)", "[native]gc_collect_main"}
	tests := []struct {
		name  string
		profs []tprof
		want  Coverage
	}{
		{"heap only", []tprof{
			{sampleType: [2]string{"alloc_space", "bytes"}, periodType: [2]string{"space", "bytes"}, period: 524288, samples: repeat(80, tsample{stack: goStack, value: 4096})},
			{sampleType: [2]string{"inuse_space", "bytes"}, periodType: [2]string{"space", "bytes"}, period: 524288, samples: repeat(80, tsample{stack: goStack, value: 4096})},
		}, Coverage{Reason: "no CPU profile (heap/alloc only)"}},
		{"48 samples, minimum 50", []tprof{cpuNanos("", repeat(48, s(1, goStack...))...)},
			Coverage{Reason: "48 CPU samples, fewer than the minimum of 50", CPUSamples: 48, CPUSeconds: 0.48, Runtimes: []string{"go"}}},
		{"unknown sample type", []tprof{
			{sampleType: [2]string{"foo", "bar"}, periodType: [2]string{"foo", "bar"}, period: 1, samples: repeat(80, tsample{stack: goStack, value: 1})},
		}, Coverage{Reason: "sample types not read as CPU: foo/bar"}},
		{"judged go CPU profile", []tprof{cpuNanos("", repeat(120, s(1, goStack...))...)},
			Coverage{Judged: true, CPUSamples: 120, CPUSeconds: 1.2, Runtimes: []string{"go"}}},
		{"py-spy samples/count with empty period type", []tprof{
			{sampleType: [2]string{"samples", "count"}, samples: repeat(100, tsample{stack: pyStack, value: 1})},
		}, Coverage{Judged: true, CPUSamples: 100, CPUSeconds: 1, Runtimes: []string{"native", "python"}}},
		{"JFR-converted period 1e9", []tprof{
			{sampleType: [2]string{"cpu", "nanoseconds"}, periodType: [2]string{"cpu", "nanoseconds"}, period: 1e9, profileName: "process_cpu",
				samples: repeat(550, tsample{stack: []string{"com.example.App.main|App.java", "com.example.App.work|App.java"}, value: 1e7})},
		}, Coverage{Judged: true, CPUSamples: 550, CPUSeconds: 5.5, Runtimes: []string{"jvm"}}},
	}
	a := newTestAnalyzer(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder()
			for _, p := range tc.profs {
				p.service = "svc"
				b.add(p)
			}
			w := NewWindow()
			require.NoError(t, a.Accumulate(b.pd, w))
			ss := w.Services["svc"]
			require.NotNil(t, ss)
			got := a.Coverage(ss)
			assert.InDelta(t, tc.want.CPUSeconds, got.CPUSeconds, 1e-9)
			got.CPUSeconds = tc.want.CPUSeconds
			assert.Equal(t, tc.want, got)
			if !got.Judged {
				for _, sig := range a.Evaluate(ss) {
					assert.False(t, sig.Active, "an unjudged service raises nothing: %s", sig.Rule)
				}
			}
		})
	}
}
