package pyroscope

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
)

// h2cClient speaks HTTP/2 with prior knowledge, as gRPC clients do on a plain port.
func h2cClient() *http.Client {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: &p,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}
}

func labels(kv ...string) []*typesv1.LabelPair {
	var out []*typesv1.LabelPair
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &typesv1.LabelPair{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func series(raw []byte, kv ...string) *pushv1.RawProfileSeries {
	return &pushv1.RawProfileSeries{Labels: labels(kv...),
		Samples: []*pushv1.RawSample{{RawProfile: raw, ID: "9b0a2b8e-5d0e-4a53-9c55-0c1d0b6a7f10"}}}
}

func TestPushWhatAlloySends(t *testing.T) {
	cpu := fixture(t, "regex-a/cpu.pb.gz")
	block := fixture(t, "profiler-a/block.pb.gz")
	mutex := fixture(t, "profiler-a/mutex.pb.gz")
	allocs := fixture(t, "alloc-a/allocs.pb.gz")

	checkout := map[string]any{"service.name": "checkout", "service_name": "checkout", "namespace": "shop"}
	tests := []struct {
		name   string
		http   *http.Client
		opts   []connect.ClientOption
		series []*pushv1.RawProfileSeries
		want   func(t *testing.T) []profSummary
	}{
		{
			name:   "connect protocol, gzipped cpu pprof from pyroscope.scrape",
			series: []*pushv1.RawProfileSeries{series(cpu, "__name__", "process_cpu", "service_name", "checkout", "namespace", "shop")},
			want:   func(t *testing.T) []profSummary { return expectFromPprof(t, cpu, checkout, "process_cpu") },
		},
		{
			name: "block and mutex series in one push keep their names",
			series: []*pushv1.RawProfileSeries{
				series(block, "__name__", "block", "service_name", "checkout", "namespace", "shop"),
				series(mutex, "__name__", "mutex", "service_name", "checkout", "namespace", "shop"),
			},
			want: func(t *testing.T) []profSummary {
				return append(expectFromPprof(t, block, checkout, "block"), expectFromPprof(t, mutex, checkout, "mutex")...)
			},
		},
		{
			name:   "memory profile, request body gzip-compressed by the client",
			opts:   []connect.ClientOption{connect.WithSendGzip()},
			series: []*pushv1.RawProfileSeries{series(allocs, "__name__", "memory", "service_name", "checkout", "namespace", "shop")},
			want:   func(t *testing.T) []profSummary { return expectFromPprof(t, allocs, checkout, "memory") },
		},
		{
			name:   "plain (not gzipped) raw profile",
			series: []*pushv1.RawProfileSeries{series(plain(t, cpu), "__name__", "process_cpu", "service_name", "checkout", "namespace", "shop")},
			want:   func(t *testing.T) []profSummary { return expectFromPprof(t, cpu, checkout, "process_cpu") },
		},
		{
			name:   "gRPC over h2c",
			http:   h2cClient(),
			opts:   []connect.ClientOption{connect.WithGRPC(), connect.WithSendGzip()},
			series: []*pushv1.RawProfileSeries{series(cpu, "__name__", "process_cpu", "service_name", "checkout", "namespace", "shop")},
			want:   func(t *testing.T) []profSummary { return expectFromPprof(t, cpu, checkout, "process_cpu") },
		},
		{
			name:   "gRPC-Web over HTTP/1.1",
			opts:   []connect.ClientOption{connect.WithGRPCWeb()},
			series: []*pushv1.RawProfileSeries{series(block, "__name__", "block", "service_name", "checkout", "namespace", "shop")},
			want:   func(t *testing.T) []profSummary { return expectFromPprof(t, block, checkout, "block") },
		},
		{
			name:   "no service_name: labels kept, service.name left to the engine's fallbacks",
			series: []*pushv1.RawProfileSeries{series(block, "__name__", "block", "job", "pyroscope.scrape.default")},
			want: func(t *testing.T) []profSummary {
				return expectFromPprof(t, block, map[string]any{"job": "pyroscope.scrape.default"}, "block")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.ProfilesSink)
			_, base := startReceiver(t, sink, receiver.Settings{}, func(c *Config) { c.IncludeMetadata = true })
			hc := tt.http
			if hc == nil {
				hc = http.DefaultClient
			}
			cl := pushv1connect.NewPusherServiceClient(hc, base, tt.opts...)
			req := connect.NewRequest(&pushv1.PushRequest{Series: tt.series})
			req.Header().Set("X-Scope-OrgID", "tenant-a")
			req.Header().Set("User-Agent", "Alloy/v1.11.0 (linux; binary)")
			_, err := cl.Push(context.Background(), req)
			require.NoError(t, err)

			require.Len(t, sink.AllProfiles(), 1, "one push is one OTLP message")
			got := summarize(t, sink.AllProfiles()[0])
			want := tt.want(t)
			for _, w := range want {
				require.NotZero(t, w.Total, "fixture %s/%s has weight", w.Name, w.SampleType)
			}
			sortSummaries(got)
			sortSummaries(want)
			assert.Equal(t, want, got)
			info := client.FromContext(sink.Contexts()[0])
			assert.Equal(t, []string{"tenant-a"}, info.Metadata.Get("X-Scope-OrgID"), "tenant header reaches the pipeline with include_metadata")
		})
	}
}
