package pyroscope

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"google.golang.org/protobuf/proto"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// FuzzPush drives the push handler in process (no sockets) with hostile
// protobuf and hostile raw profiles inside a well-formed request: every
// answer must be a success or a 4xx, never a 5xx or a panic.
func FuzzPush(f *testing.F) {
	block := fixture(f, "profiler-a/block.pb.gz")
	good, err := proto.Marshal(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{series(block, "__name__", "block", "service_name", "a")}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, block, "block")
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0x0f}, []byte{0x1f, 0x8b, 0x08, 0x00}, "")
	f.Add([]byte{}, plain(f, block), "mutex")

	cfg := createDefaultConfig().(*Config)
	cfg.MaxRequestBodySize = 1 << 20
	cfg.MaxDecompressedSize = 4 << 20
	cfg.MaxLabels = 8
	r, err := newReceiver(cfg, receivertest.NewNopSettings(metadata.Type), consumertest.NewNop())
	if err != nil {
		f.Fatal(err)
	}
	h := r.handler()
	post := func(t testing.TB, body []byte) int {
		req := httptest.NewRequest(http.MethodPost, pushv1connect.PusherServicePushProcedure, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/proto")
		req.Header.Set("Connect-Protocol-Version", "1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		return rec.Code
	}
	if code := post(f, good); code != http.StatusOK {
		f.Fatalf("a good push gets %d", code)
	}
	f.Fuzz(func(t *testing.T, msg, raw []byte, name string) {
		post(t, msg)
		body, err := proto.Marshal(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{series(raw, "__name__", name, "service_name", "a")}})
		if err != nil {
			return // name not valid UTF-8: the client cannot send it either
		}
		post(t, body)
	})
}
