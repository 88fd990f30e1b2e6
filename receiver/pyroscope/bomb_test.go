package pyroscope

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"runtime"
	"testing"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
)

// zeroBomb is n zero bytes (a multiple of 1 MiB) as concatenated gzip members,
// a valid gzip stream about n/1000 long that is quick to build.
func zeroBomb(t *testing.T, n int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(make([]byte, 1<<20))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return bytes.Repeat(member.Bytes(), n>>20)
}

// TestGzipBombMemory: a 512 MiB gzip bomb costs the receiver allocations in
// proportion to its limits (max_request_body_size, max_decompressed_size), not
// to the bomb's size.
func TestGzipBombMemory(t *testing.T) {
	const bombSize = 512 << 20
	const maxDecompressed = 8 << 20
	bomb := zeroBomb(t, bombSize)
	mp, mpType := sdkMultipart(t, bomb)
	_, base := startReceiver(t, consumertest.NewNop(), receiver.Settings{}, func(c *Config) {
		c.MaxDecompressedSize = maxDecompressed
		c.MaxRequestBodySize = 4 << 20
	})
	t.Logf("bomb: %d bytes on the wire, %d decompressed", len(bomb), bombSize)

	tests := []struct {
		name string
		send func(t *testing.T)
	}{
		{name: "push raw profile", send: func(t *testing.T) {
			_, err := pushv1connect.NewPusherServiceClient(http.DefaultClient, base).Push(context.Background(),
				connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{series(bomb, "service_name", "a")}}))
			assert.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "error: %v", err)
		}},
		{name: "ingest profile field", send: func(t *testing.T) {
			resp, err := http.Post(ingestURL(base, "a"), mpType, bytes.NewReader(mp))
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		}},
		{name: "ingest Content-Encoding", send: func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ingestURL(base, "a"), bytes.NewReader(bomb))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/octet-stream")
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			tt.send(t)
			runtime.ReadMemStats(&after)
			allocated := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %.1f MiB for a %d MiB bomb", float64(allocated)/(1<<20), bombSize>>20)
			// Client and server share this process; both together stay far below the bomb.
			assert.Less(t, allocated, uint64(bombSize/8), "allocation follows the limits, not the bomb")
		})
	}
}
