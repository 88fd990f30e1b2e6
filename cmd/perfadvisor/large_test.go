//go:build !race

// The race detector makes a 1M-sample analysis take minutes; the same code
// paths run under -race on the fixtures in the other tests.

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// largeSamples is the size of the profile the CLI timing target is about.
const largeSamples = 1_000_000

// writeLargeProfile writes a gzipped CPU profile of n samples that repeat
// the stacks of the Go fixtures (merged), with varying values.
func writeLargeProfile(tb testing.TB, path string, n int) {
	tb.Helper()
	var parts []*profile.Profile
	for _, c := range []string{"regex-a", "tls-a", "dns-a", "kafka-a", "db-a", "alloc-a", "profiler-a"} {
		data, err := os.ReadFile(fx(c, "cpu.pb.gz"))
		require.NoError(tb, err)
		p, err := pprofconv.Parse(data, 0)
		require.NoError(tb, err)
		parts = append(parts, p)
	}
	merged, err := profile.Merge(parts)
	require.NoError(tb, err)
	pool := merged.Sample
	out := make([]*profile.Sample, n)
	for i := range out {
		src := pool[i%len(pool)]
		k := int64(1 + i%3)
		out[i] = &profile.Sample{Location: src.Location, Value: []int64{k, k * merged.Period}, Label: src.Label}
	}
	merged.Sample = out
	merged.DurationNanos = 60e9
	f, err := os.Create(path)
	require.NoError(tb, err)
	require.NoError(tb, merged.Write(f))
	require.NoError(tb, f.Close())
}

// TestLargeProfile analyses a 1,000,000-sample profile end to end. Set
// PERFADVISOR_LARGE_PPROF=path to keep the file for timing with hyperfine.
func TestLargeProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and analyses a 1M-sample profile")
	}
	path := os.Getenv("PERFADVISOR_LARGE_PPROF")
	if path == "" {
		path = filepath.Join(t.TempDir(), "large.pb.gz")
	}
	writeLargeProfile(t, path, largeSamples)
	p, err := pprofconv.Parse(mustRead(t, path), 0)
	require.NoError(t, err)
	require.Len(t, p.Sample, largeSamples)

	code, stdout, stderr := runCLI("analyze", "--format", "json", "--service", "large", path)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, `"findings"`)
}

func BenchmarkAnalyzeLarge(b *testing.B) {
	path := filepath.Join(b.TempDir(), "large.pb.gz")
	writeLargeProfile(b, path, largeSamples)
	b.ResetTimer()
	for range b.N {
		if code, _, stderr := runCLI("analyze", "--format", "json", "--service", "large", path); code != exitOK {
			b.Fatal(stderr)
		}
	}
}

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	return b
}
