package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/pprof/profile"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pushRecorder is a Pyroscope push API server that keeps what it receives.
type pushRecorder struct {
	pushv1connect.UnimplementedPusherServiceHandler
	mu  sync.Mutex
	got []*pushv1.PushRequest
}

func (r *pushRecorder) Push(_ context.Context, req *connect.Request[pushv1.PushRequest]) (*connect.Response[pushv1.PushResponse], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req.Msg)
	return connect.NewResponse(&pushv1.PushResponse{}), nil
}

func TestPyroscopePush(t *testing.T) {
	rec := &pushRecorder{}
	mux := http.NewServeMux()
	mux.Handle(pushv1connect.NewPusherServiceHandler(rec))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	c, err := loadPyroscopeCase(fixturesRoot, "profiler-a")
	require.NoError(t, err)
	end := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	req, err := c.pushRequest(end, 30*time.Second)
	require.NoError(t, err)
	require.NoError(t, newPyroscopePusher(srv.URL).push(context.Background(), req))

	require.Len(t, rec.got, 1)
	series := rec.got[0].GetSeries()
	var names []string
	for _, s := range series {
		labels := map[string]string{}
		for _, l := range s.GetLabels() {
			labels[l.GetName()] = l.GetValue()
		}
		names = append(names, labels["__name__"])
		assert.Equal(t, "session-service", labels["service_name"])
		require.Len(t, s.GetSamples(), 1)
		p, err := profile.ParseData(s.GetSamples()[0].GetRawProfile())
		require.NoError(t, err, "the raw profile is gzipped pprof")
		assert.Equal(t, end.UnixNano(), p.TimeNanos+p.DurationNanos, "%s ends at the round's end", labels["__name__"])
	}
	assert.Equal(t, []string{"process_cpu", "memory", "block", "mutex"}, names, "one series per input, in expect.json order")
}
