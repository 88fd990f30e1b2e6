package pyroscope

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// BenchmarkIngestPaths: one regex-a CPU profile (92 KB gzipped) per op, over
// the wire through each endpoint, against decoding it alone (as the receiver
// does: straight from the pprof bytes).
func BenchmarkIngestPaths(b *testing.B) {
	cpu := fixture(b, "regex-a/cpu.pb.gz")
	mp, mpType := sdkMultipart(b, cpu)

	b.Run("decode only (gunzip+FromPprofBytes)", func(b *testing.B) {
		b.SetBytes(int64(len(cpu)))
		for b.Loop() {
			_, err := pprofconv.FromPprofBytes(cpu, 64<<20, map[string]string{"service.name": "x"})
			require.NoError(b, err)
		}
	})
	b.Run("push via connect", func(b *testing.B) {
		_, base := startReceiver(b, consumertest.NewNop(), receiver.Settings{}, nil)
		cl := pushv1connect.NewPusherServiceClient(http.DefaultClient, base)
		req := &pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{series(cpu, "__name__", "process_cpu", "service_name", "x")}}
		b.SetBytes(int64(len(cpu)))
		for b.Loop() {
			_, err := cl.Push(context.Background(), connect.NewRequest(req))
			require.NoError(b, err)
		}
	})
	b.Run("ingest via multipart", func(b *testing.B) {
		_, base := startReceiver(b, consumertest.NewNop(), receiver.Settings{}, nil)
		b.SetBytes(int64(len(cpu)))
		for b.Loop() {
			resp, err := http.Post(ingestURL(base, "x"), mpType, bytes.NewReader(mp))
			require.NoError(b, err)
			require.NoError(b, resp.Body.Close())
			require.Equal(b, http.StatusOK, resp.StatusCode)
		}
	})
}
