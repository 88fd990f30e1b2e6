package pyroscope

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// sdkMultipart builds the body pyroscope-go v1.5 posts to /ingest.
func sdkMultipart(t testing.TB, profile []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("profile", "profile.pprof")
	require.NoError(t, err)
	_, _ = fw.Write(profile)
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

func ingestURL(base, name string) string {
	return base + "/ingest?" + url.Values{"name": {name}, "from": {"1700000000"}, "until": {"1700000010"},
		"spyName": {"gospy"}, "sampleRate": {"100"}}.Encode()
}

// TestBadInput sends every kind of bad request to one receiver, then checks a
// good push and a good ingest still arrive, and the rejects are counted by reason.
func TestBadInput(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.ProfilesSink)
	const maxBody = 1 << 20
	_, base := startReceiver(t, sink, set, func(c *Config) {
		c.MaxRequestBodySize = maxBody
		c.MaxDecompressedSize = 8 << 20
	})

	cpu := fixture(t, "regex-a/cpu.pb.gz")
	bomb := zeroBomb(t, 64<<20) // 64 MiB of zeros, about 64 KiB on the wire
	truncated := cpu[:len(cpu)/2]
	garbage := []byte("\x0a\xff\xff\xff\xff\x0fnot a profile at all")
	mp, mpType := sdkMultipart(t, cpu)
	bombMP, bombMPType := sdkMultipart(t, bomb)
	truncMP, truncMPType := sdkMultipart(t, truncated)
	floodName := "app{" + strings.TrimSuffix(strings.Repeat("k=v,", 500), ",") + "}"

	pushTests := []struct {
		name   string
		series []*pushv1.RawProfileSeries
		opts   []connect.ClientOption
		code   connect.Code
	}{
		{name: "truncated gzip raw profile", series: []*pushv1.RawProfileSeries{series(truncated, "__name__", "process_cpu", "service_name", "a")}, code: connect.CodeInvalidArgument},
		{name: "gzip bomb raw profile", series: []*pushv1.RawProfileSeries{series(bomb, "__name__", "process_cpu", "service_name", "a")}, code: connect.CodeInvalidArgument},
		{name: "raw profile that is not pprof", series: []*pushv1.RawProfileSeries{series(garbage, "__name__", "process_cpu", "service_name", "a")}, code: connect.CodeInvalidArgument},
		{name: "empty raw profile", series: []*pushv1.RawProfileSeries{series(nil, "__name__", "process_cpu", "service_name", "a")}, code: connect.CodeInvalidArgument},
		{name: "label flood", series: []*pushv1.RawProfileSeries{series(cpu, strings.Split(strings.Repeat("k,v,", 500), ",")[:1000]...)}, code: connect.CodeInvalidArgument},
		{name: "duplicate label", series: []*pushv1.RawProfileSeries{series(cpu, "service_name", "a", "service_name", "b")}, code: connect.CodeInvalidArgument},
		// Over the cap is bad input, which Alloy's pyroscope.write does not
		// retry: invalid_argument, never resource_exhausted.
		{name: "message over max_request_body_size", series: []*pushv1.RawProfileSeries{series(bytes.Repeat([]byte{0x1f, 0x8b}, maxBody), "service_name", "a")}, code: connect.CodeInvalidArgument},
		{name: "gzip bomb as Connect content encoding", opts: []connect.ClientOption{connect.WithSendGzip()},
			series: []*pushv1.RawProfileSeries{series(make([]byte, 4*maxBody), "service_name", "a")}, code: connect.CodeInvalidArgument},
		{name: "second valid series does not save a bad first one", series: []*pushv1.RawProfileSeries{
			series(garbage, "service_name", "a"), series(cpu, "__name__", "process_cpu", "service_name", "a")}, code: connect.CodeInvalidArgument},
	}
	for _, tt := range pushTests {
		t.Run("push/"+tt.name, func(t *testing.T) {
			cl := pushv1connect.NewPusherServiceClient(http.DefaultClient, base, tt.opts...)
			_, err := cl.Push(context.Background(), connect.NewRequest(&pushv1.PushRequest{Series: tt.series}))
			require.Error(t, err)
			assert.Equal(t, tt.code, connect.CodeOf(err), "error: %v", err)
		})
	}

	rawTests := []struct {
		name        string
		method      string
		url         string
		contentType string
		encoding    string
		body        []byte
		status      int
	}{
		{name: "push: garbage protobuf", method: http.MethodPost, url: base + pushv1connect.PusherServicePushProcedure,
			contentType: "application/proto", body: []byte("\xff\xff\xff\xff garbage"), status: http.StatusBadRequest},
		{name: "push: wrong content type", method: http.MethodPost, url: base + pushv1connect.PusherServicePushProcedure,
			contentType: "text/plain", body: []byte("hello"), status: http.StatusUnsupportedMediaType},
		{name: "push: gzip bomb as HTTP Content-Encoding", method: http.MethodPost, url: base + pushv1connect.PusherServicePushProcedure,
			contentType: "application/proto", encoding: "gzip", body: bomb, status: http.StatusBadRequest},
		{name: "ingest: wrong content type", method: http.MethodPost, url: ingestURL(base, "app"), contentType: "application/json", body: []byte("{}"), status: http.StatusUnsupportedMediaType},
		{name: "ingest: jfr format with a pprof body", method: http.MethodPost, url: ingestURL(base, "app") + "&format=jfr", contentType: "application/octet-stream", body: cpu, status: http.StatusBadRequest},
		{name: "ingest: trie format", method: http.MethodPost, url: ingestURL(base, "app") + "&format=trie", contentType: "application/octet-stream", body: cpu, status: http.StatusUnsupportedMediaType},
		{name: "ingest: missing name", method: http.MethodPost, url: ingestURL(base, ""), contentType: mpType, body: mp, status: http.StatusBadRequest},
		{name: "ingest: truncated gzip", method: http.MethodPost, url: ingestURL(base, "app"), contentType: truncMPType, body: truncMP, status: http.StatusBadRequest},
		{name: "ingest: gzip bomb in the profile field", method: http.MethodPost, url: ingestURL(base, "app"), contentType: bombMPType, body: bombMP, status: http.StatusRequestEntityTooLarge},
		{name: "ingest: gzip bomb as HTTP Content-Encoding", method: http.MethodPost, url: ingestURL(base, "app"), contentType: "application/octet-stream", encoding: "gzip", body: bomb, status: http.StatusRequestEntityTooLarge},
		{name: "ingest: oversized body", method: http.MethodPost, url: ingestURL(base, "app"), contentType: "application/octet-stream", body: make([]byte, 2*maxBody), status: http.StatusRequestEntityTooLarge},
		{name: "ingest: garbage pprof", method: http.MethodPost, url: ingestURL(base, "app"), contentType: "application/octet-stream", body: garbage, status: http.StatusBadRequest},
		{name: "ingest: label flood", method: http.MethodPost, url: ingestURL(base, floodName), contentType: mpType, body: mp, status: http.StatusBadRequest},
		{name: "ingest: GET", method: http.MethodGet, url: ingestURL(base, "app"), status: http.StatusMethodNotAllowed},
		{name: "ingest: from is not a number", method: http.MethodPost, url: strings.Replace(ingestURL(base, "app"), "from=1700000000", "from=yesterday", 1), contentType: mpType, body: mp, status: http.StatusBadRequest},
	}
	for _, tt := range rawTests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, bytes.NewReader(tt.body))
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.encoding != "" {
				req.Header.Set("Content-Encoding", tt.encoding)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.status, resp.StatusCode)
		})
	}

	require.Zero(t, sink.ProfileCount(), "no bad request may leak a profile")

	// The receiver still serves, and good data after bad data arrives whole.
	cl := pushv1connect.NewPusherServiceClient(http.DefaultClient, base)
	_, err := cl.Push(context.Background(), connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{
		series(cpu, "__name__", "process_cpu", "service_name", "after-bad")}}))
	require.NoError(t, err)
	resp, err := http.Post(ingestURL(base, "after-bad-ingest"), mpType, bytes.NewReader(mp))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)

	require.Len(t, sink.AllProfiles(), 2)
	want := expectFromPprof(t, cpu, nil, "process_cpu")
	for i, svc := range []string{"after-bad", "after-bad-ingest"} {
		got := summarize(t, sink.AllProfiles()[i])
		require.Len(t, got, len(want))
		for j := range got {
			assert.Equal(t, svc, got[j].Resource["service.name"])
			assert.Equal(t, want[j].Samples, got[j].Samples)
			assert.Equal(t, want[j].Total, got[j].Total)
		}
	}

	rejects := counterByAttrs(t, tel, "otelcol_receiver_pyroscope_rejects")
	t.Logf("rejects by endpoint/reason: %v", rejects)
	assert.Equal(t, int64(4), rejects["push/too_large"], "raw-profile bomb, message over the cap, Connect gzip bomb, Content-Encoding bomb")
	assert.Equal(t, int64(1), rejects["push/unsupported"], "wrong content type")
	assert.Equal(t, int64(1), rejects["push/bad_request"], "garbage protobuf")
	for _, k := range []string{"push/bad_profile", "push/too_large", "push/labels", "ingest/unsupported",
		"ingest/bad_request", "ingest/too_large", "ingest/bad_profile", "ingest/labels", "ingest/method"} {
		assert.Positive(t, rejects[k], k)
	}
	profiles := counterByAttrs(t, tel, "otelcol_receiver_pyroscope_profiles")
	assert.Equal(t, int64(1), profiles["push/"])
	assert.Equal(t, int64(1), profiles["ingest/"])
	bytesIn := counterByAttrs(t, tel, "otelcol_receiver_pyroscope_bytes")
	assert.Equal(t, int64(len(cpu)), bytesIn["push/"])
}

// counterByAttrs sums an int64 counter by "endpoint/reason".
func counterByAttrs(t *testing.T, tel *componenttest.Telemetry, name string) map[string]int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is %T", name, m.Data)
	out := map[string]int64{}
	for _, dp := range sum.DataPoints {
		ep, _ := dp.Attributes.Value("endpoint")
		reason, _ := dp.Attributes.Value("reason")
		out[fmt.Sprintf("%s/%s", ep.AsString(), reason.AsString())] += dp.Value
	}
	return out
}
