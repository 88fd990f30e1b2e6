package pprofconv

import (
	"os"
	"testing"
)

// BenchmarkParseFromPprof times the oracle (google/pprof) path on the largest fixture;
// set PERFADVISOR_LARGE_PPROF to time a bigger file.
func BenchmarkParseFromPprof(b *testing.B) {
	path := os.Getenv("PERFADVISOR_LARGE_PPROF")
	if path == "" {
		path = fixtures + "/tls-a/cpu.pb.gz"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		p, err := Parse(data, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := oracleFromPprof(p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromPprofBytes(b *testing.B) {
	path := os.Getenv("PERFADVISOR_LARGE_PPROF")
	if path == "" {
		path = fixtures + "/tls-a/cpu.pb.gz"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if _, err := FromPprofBytes(data, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
