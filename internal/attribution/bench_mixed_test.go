package attribution

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// mixedServices is how many services the mixed fixtures are spread over.
const mixedServices = 10

// mixedMessages is every profile fixture (*/cpu.pb.gz converted as a
// receiver would get it, and the OTLP */profiles.pb) as one OTLP message of
// service i%mixedServices, in a stable order: what the load generator sends
// a collector (cmd/perfadvisor-load), so the class cache holds every
// fixture's functions and no message finds its own still hot.
func mixedMessages(b *testing.B) (otlp [][]byte, pds []pprofile.Profiles) {
	pprofs, err := filepath.Glob(filepath.Join(fixturesDir, "*", "cpu.pb.gz"))
	require.NoError(b, err)
	otlps, err := filepath.Glob(filepath.Join(fixturesDir, "*", "profiles.pb"))
	require.NoError(b, err)
	sort.Strings(pprofs)
	sort.Strings(otlps)
	for i, path := range append(pprofs, otlps...) {
		pd := loadProfiles(b, path)
		svc := fmt.Sprintf("mixed-svc-%02d", i%mixedServices)
		for _, rp := range pd.ResourceProfiles().All() {
			rp.Resource().Attributes().PutStr("service.name", svc)
		}
		cp := pprofile.NewProfiles()
		pd.CopyTo(cp)
		raw, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(cp)
		require.NoError(b, err, path)
		dec, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(raw)
		require.NoError(b, err, path)
		otlp = append(otlp, raw)
		pds = append(pds, dec)
	}
	return otlp, pds
}

// BenchmarkEngineMixed is BenchmarkEngine over every fixture at once, one
// Analyzer for all: the collector's situation, where the class cache is
// large and each message's look-ups miss the CPU caches. An op is one pass
// over all messages.
//
//	decode_otlp     OTLP protobuf bytes → pdata, every message
//	analyze_mixed   Accumulate of every message into one window, classes cached
//	decode_analyze  decode_otlp then Accumulate, message by message: what a
//	                collector does, the engine finding the CPU caches full of
//	                the decoder's data; minus decode_otlp it is the engine's
//	                cost in a collector
func BenchmarkEngineMixed(b *testing.B) {
	otlp, pds := mixedMessages(b)
	size := 0
	for _, raw := range otlp {
		size += len(raw)
	}
	a := newTestAnalyzer(b, Options{})
	w := NewWindow()
	for _, pd := range pds { // warm the class cache: the steady state
		require.NoError(b, a.Accumulate(pd, w))
	}
	require.Len(b, w.Services, mixedServices)

	b.Run("decode_otlp", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			for _, raw := range otlp {
				if _, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(raw); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("analyze_mixed", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			w := NewWindow()
			for _, pd := range pds {
				if err := a.Accumulate(pd, w); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("decode_analyze", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			w := NewWindow()
			for _, raw := range otlp {
				pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(raw)
				if err != nil {
					b.Fatal(err)
				}
				if err := a.Accumulate(pd, w); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
