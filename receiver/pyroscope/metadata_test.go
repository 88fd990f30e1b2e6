package pyroscope

import (
	"bytes"
	"context"
	"net/http"
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

	"github.com/perfadvisor/perfadvisor/internal/metadatatest"
	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// The receiver's self-telemetry, recorded while it serves good and bad
// pushes and ingests and read through the SDK's manual reader, matches
// telemetry.metrics of metadata.yaml (under the otelcol_ prefix mdatagen
// adds) in type, unit, description and attribute set, in both directions.
func TestSelfTelemetryMatchesMetadata(t *testing.T) {
	md := metadatatest.Read(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	_, base := startReceiver(t, new(consumertest.ProfilesSink), set, nil)

	cpu := fixture(t, "regex-a/cpu.pb.gz")
	cl := pushv1connect.NewPusherServiceClient(http.DefaultClient, base)
	for _, raw := range [][]byte{cpu, []byte("not a profile")} {
		_, _ = cl.Push(context.Background(), connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{
			series(raw, "__name__", "process_cpu", "service_name", "checkout")}}))
	}
	mp, mpType := sdkMultipart(t, cpu)
	resp, err := http.Post(ingestURL(base, "checkout"), mpType, bytes.NewReader(mp))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	resp, err = http.Get(ingestURL(base, "checkout"))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.Reader.Collect(context.Background(), &rm))
	md.CheckTelemetry(t, rm, metadata.ScopeName)
	assert.ElementsMatch(t, md.Attributes["reason"].Enum, metadatatest.StringConstants(t, "reason"), "reason enum vs the reason* constants")
	assert.ElementsMatch(t, md.Attributes["endpoint"].Enum, metadatatest.StringConstants(t, "endpoint"), "endpoint enum vs the endpoint* constants")
}

// The hand-written constants of internal/metadata follow metadata.yaml.
func TestMetadataConstants(t *testing.T) {
	md := metadatatest.Read(t)
	assert.Equal(t, md.Type, metadata.Type.String())
	assert.Equal(t, map[string][]string{strings.ToLower(metadata.ProfilesStability.String()): {"profiles"}}, md.Status.Stability)
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
}
