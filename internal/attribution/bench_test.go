package attribution

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// benchFixture is the largest profile in testdata (tls-a, 4154 samples).
const benchFixture = "tls-a/cpu.pb.gz"

// BenchmarkEngine puts the engine's cost next to decoding the same profile,
// in one run: analysis must stay a small fraction of decoding.
//
//	decode_otlp     OTLP protobuf bytes → pdata (what a collector receiver does)
//	decode_pprof    pprof bytes → profile.Profile → pdata (CLI / Pyroscope path)
//	analyze_steady  Accumulate + Evaluate with function classes cached (a running collector)
//	analyze_cold    the same with an empty classification cache (first profile of a process)
func BenchmarkEngine(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(fixturesDir, benchFixture))
	require.NoError(b, err)
	prof, err := pprofconv.Parse(raw, pprofconv.DefaultMaxBytes)
	require.NoError(b, err)
	pd, err := pprofconv.FromPprof(prof, map[string]string{"service.name": "bench"})
	require.NoError(b, err)
	cp := pprofile.NewProfiles()
	pd.CopyTo(cp) // marshalling moves resource attributes into the dictionary
	otlp, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(cp)
	require.NoError(b, err)
	a := newTestAnalyzer(b, Options{})

	b.Run("decode_otlp", func(b *testing.B) {
		b.SetBytes(int64(len(otlp)))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(otlp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode_pprof", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			p, err := pprofconv.Parse(raw, pprofconv.DefaultMaxBytes)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := pprofconv.FromPprof(p, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	analyze := func(b *testing.B, cold bool) {
		b.SetBytes(int64(len(otlp)))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			if cold {
				a.cache = newFnCache(a.opts.MaxFunctions)
			}
			w := NewWindow()
			if err := a.Accumulate(pd, w); err != nil {
				b.Fatal(err)
			}
			for _, ss := range w.Services {
				a.Evaluate(ss)
			}
		}
	}
	b.Run("analyze_steady", func(b *testing.B) { analyze(b, false) })
	b.Run("analyze_cold", func(b *testing.B) { analyze(b, true) })
}

// reportCPU adds cpu-ns/op: the process's user+system CPU per iteration
// (GC included). On a shared machine wall time per op mostly measures the
// scheduler; CPU time measures the work.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
