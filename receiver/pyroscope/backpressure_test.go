package pyroscope

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestBackpressure: a refusing next consumer (memory limiter, full queue) gets
// a retryable answer; a permanent refusal gets a 4xx the client will not retry.
func TestBackpressure(t *testing.T) {
	cpu := fixture(t, "regex-a/cpu.pb.gz")
	mp, mpType := sdkMultipart(t, cpu)
	tests := []struct {
		name       string
		err        error
		code       connect.Code
		status     int
		retryAfter bool
	}{
		{name: "memory limiter refusal is Unavailable/503", err: errors.New("data refused due to high memory usage"),
			code: connect.CodeUnavailable, status: http.StatusServiceUnavailable, retryAfter: true},
		{name: "resource exhausted downstream is 429", err: status.Error(codes.ResourceExhausted, "queue is full"),
			code: connect.CodeResourceExhausted, status: http.StatusTooManyRequests, retryAfter: true},
		{name: "permanent error is InvalidArgument/400", err: consumererror.NewPermanent(errors.New("cannot be processed")),
			code: connect.CodeInvalidArgument, status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := startReceiver(t, consumertest.NewErr(tt.err), receiver.Settings{}, nil)
			cl := pushv1connect.NewPusherServiceClient(http.DefaultClient, base)
			_, err := cl.Push(context.Background(), connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{
				series(cpu, "__name__", "process_cpu", "service_name", "a")}}))
			require.Error(t, err)
			assert.Equal(t, tt.code, connect.CodeOf(err), "push: %v", err)

			resp, err := http.Post(ingestURL(base, "a"), mpType, bytes.NewReader(mp))
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.retryAfter, resp.Header.Get("Retry-After") != "")
		})
	}
}
