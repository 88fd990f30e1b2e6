package perfadvisor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// benchInputs are the largest profile inputs of the fixtures, as the OTLP
// request bytes a receiver decodes.
func benchInputs(b *testing.B) map[string][]byte {
	b.Helper()
	jvm := readOTLPProfiles(b, fixture("ebpf-jvm-kafka", "profiles.pb"))
	goCPU := readPprof(b, fixture("tls-a", "cpu.pb.gz"), "tls-a")
	out := map[string][]byte{}
	for name, pd := range map[string]pprofile.Profiles{"ebpf-jvm-kafka": jvm, "go-pprof-tls-a": goCPU} {
		raw, err := pprofileotlp.NewExportRequestFromProfiles(pd).MarshalProto()
		require.NoError(b, err)
		out[name] = raw
	}
	return out
}

var benchOrder = []string{"ebpf-jvm-kafka", "go-pprof-tls-a"}

// BenchmarkDecode is the receiver's cost: unmarshalling the OTLP request.
func BenchmarkDecode(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range benchOrder {
		raw := inputs[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			var profiles int
			for b.Loop() {
				req := pprofileotlp.NewExportRequest()
				if err := req.UnmarshalProto(raw); err != nil {
					b.Fatal(err)
				}
				profiles = req.Profiles().ProfileCount()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(profiles), "ns/profile")
		})
	}
}

// BenchmarkConsumeProfiles is the processor's own cost on the decoded data:
// ConsumeProfiles through the factory-built processor into a nop consumer
// (windowing, attribution, pass-through). Compare ns/profile with BenchmarkDecode.
func BenchmarkConsumeProfiles(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range benchOrder {
		req := pprofileotlp.NewExportRequest()
		require.NoError(b, req.UnmarshalProto(inputs[name]))
		pd := req.Profiles()
		b.Run(name, func(b *testing.B) {
			f := NewFactory()
			cfg := f.CreateDefaultConfig()
			p, err := f.CreateProfiles(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
			b.Cleanup(func() { _ = p.Shutdown(context.Background()) })
			b.ReportAllocs()
			for b.Loop() {
				if err := p.ConsumeProfiles(context.Background(), pd); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(pd.ProfileCount()), "ns/profile")
		})
	}
}

// BenchmarkProcessorOverDecode interleaves decode and ConsumeProfiles of the
// same request in each iteration, so machine load hits both alike, and
// reports the processor's time as a fraction of the decode time.
func BenchmarkProcessorOverDecode(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range benchOrder {
		raw := inputs[name]
		b.Run(name, func(b *testing.B) {
			f := NewFactory()
			p, err := f.CreateProfiles(context.Background(), processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
			b.Cleanup(func() { _ = p.Shutdown(context.Background()) })
			var decode, consume time.Duration
			for b.Loop() {
				t0 := time.Now()
				req := pprofileotlp.NewExportRequest()
				if err := req.UnmarshalProto(raw); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := p.ConsumeProfiles(context.Background(), req.Profiles()); err != nil {
					b.Fatal(err)
				}
				decode += t1.Sub(t0)
				consume += time.Since(t1)
			}
			b.ReportMetric(float64(consume)/float64(decode), "processor/decode")
		})
	}
}
