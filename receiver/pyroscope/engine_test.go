package pyroscope

import (
	"context"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/receiver"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// TestEngineSeesPushAsFile: the engine's findings on fixtures pushed as Alloy
// would are the same as on the files themselves (what `perfadvisor analyze` reads).
func TestEngineSeesPushAsFile(t *testing.T) {
	tests := []struct {
		name    string
		service string
		files   map[string]string // fixture → __name__
		rule    string            // a finding the fixture must raise
	}{
		{name: "regex hot path", service: "checkout", rule: "regex_compile_hot_path",
			files: map[string]string{"regex-a/cpu.pb.gz": "process_cpu", "regex-a/allocs.pb.gz": "memory"}},
		{name: "profiler overhead with block and mutex profiles", service: "profiled", rule: "profiler_overhead",
			files: map[string]string{"profiler-a/cpu.pb.gz": "process_cpu", "profiler-a/block.pb.gz": "block", "profiler-a/mutex.pb.gz": "mutex"}},
		{name: "tls handshakes", service: "tls", rule: "tls_handshake_overhead",
			files: map[string]string{"tls-a/cpu.pb.gz": "process_cpu"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.ProfilesSink)
			_, base := startReceiver(t, sink, receiver.Settings{}, nil)
			var req pushv1.PushRequest
			var fromFiles []pprofile.Profiles
			for file, name := range tt.files {
				raw := fixture(t, file)
				req.Series = append(req.Series, series(raw, "__name__", name, "service_name", tt.service))
				pd, err := pprofconv.FromPprofBytes(raw, 64<<20, map[string]string{"service.name": tt.service})
				require.NoError(t, err)
				fromFiles = append(fromFiles, pd)
			}
			_, err := pushv1connect.NewPusherServiceClient(http.DefaultClient, base).Push(context.Background(), connect.NewRequest(&req))
			require.NoError(t, err)

			pushed := findings(t, sink.AllProfiles())
			files := findings(t, fromFiles)
			require.Contains(t, files, tt.rule+"@"+tt.service, "the fixture raises %s from the file", tt.rule)
			assert.Equal(t, files, pushed)
		})
	}
}

// findings runs the engine over pds as one window: active rule@service → cpu_ratio.
func findings(t *testing.T, pds []pprofile.Profiles) map[string]float64 {
	t.Helper()
	cat, err := catalog.Default()
	require.NoError(t, err)
	a, err := attribution.New(cat, attribution.Options{})
	require.NoError(t, err)
	w := attribution.NewWindow()
	for _, pd := range pds {
		require.NoError(t, a.Accumulate(pd, w))
	}
	out := map[string]float64{}
	for _, ss := range w.Services {
		for _, sig := range a.Evaluate(ss) {
			if sig.Active && sig.Finding.CPURatio != nil {
				out[sig.Rule+"@"+sig.Service] = *sig.Finding.CPURatio
			}
		}
	}
	return out
}
