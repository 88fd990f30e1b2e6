package perfadvisor

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pprofiletest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// fixture is a path in the repository's testdata (never ../shared).
func fixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata", "fixtures"}, parts...)...)
}

func readOTLPProfiles(t testing.TB, path string) pprofile.Profiles {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	req := pprofileotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(b))
	return req.Profiles()
}

func readPprof(t testing.TB, path, service string) pprofile.Profiles {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pd, err := pprofconv.FromPprofBytes(b, 64<<20, map[string]string{"service.name": service})
	require.NoError(t, err)
	return pd
}

func readOTLPMetricsJSON(t testing.TB, path string) pmetric.Metrics {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
	require.NoError(t, err)
	return md
}

// The processor hands on exactly what it received, including read-only data
// from a fanout; the output is compared with an independent copy of the input.
func TestPassThroughProfiles(t *testing.T) {
	tests := []struct {
		name string
		load func(t *testing.T) pprofile.Profiles
	}{
		{"synthetic go profile with regex under a handler", func(*testing.T) pprofile.Profiles {
			return buildProfiles(profileSpec{service: "search", at: t0, regex: 30, work: 70})
		}},
		{"profile without time and without service", func(*testing.T) pprofile.Profiles {
			return buildProfiles(profileSpec{regex: 1, work: 1})
		}},
		{"several services and windows in one batch", func(*testing.T) pprofile.Profiles {
			return buildProfiles(profileSpec{service: "a", at: t0, regex: 5}, profileSpec{service: "b", at: t0.Add(5 * 60e9), work: 5})
		}},
		{"eBPF profiler OTLP (ebpf-jvm-kafka)", func(t *testing.T) pprofile.Profiles {
			return readOTLPProfiles(t, fixture("ebpf-jvm-kafka", "profiles.pb"))
		}},
		{"JVM OTLP (jvm-regex-a-otlp)", func(t *testing.T) pprofile.Profiles {
			return readOTLPProfiles(t, fixture("jvm-regex-a-otlp", "profiles.pb"))
		}},
		{"Go pprof via pprofconv (regex-a)", func(t *testing.T) pprofile.Profiles {
			return readPprof(t, fixture("regex-a", "cpu.pb.gz"), "regex-a")
		}},
		{"empty batch", func(*testing.T) pprofile.Profiles { return pprofile.NewProfiles() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), nopSettings())
			in := tt.load(t)
			want := pprofile.NewProfiles()
			in.CopyTo(want)
			in.MarkReadOnly() // a fanout hands read-only data to a non-mutating processor
			require.NoError(t, h.profiles.ConsumeProfiles(context.Background(), in))
			require.Len(t, h.pSink.AllProfiles(), 1)
			require.NoError(t, pprofiletest.CompareProfiles(want, h.pSink.AllProfiles()[0]))
		})
	}
}

func TestPassThroughMetrics(t *testing.T) {
	tests := []struct {
		name string
		file string
	}{
		{"fleet outlier", "fleet-outlier-a"},
		{"fleet spikes", "fleet-spikes-a"},
		{"goroutine leak", "goroutine-leak-a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), nopSettings())
			in := readOTLPMetricsJSON(t, fixture(tt.file, "metrics.json"))
			want := pmetric.NewMetrics()
			in.CopyTo(want)
			in.MarkReadOnly()
			require.NoError(t, h.metrics.ConsumeMetrics(context.Background(), in))
			require.Len(t, h.mSink.AllMetrics(), 1)
			require.NoError(t, pmetrictest.CompareMetrics(want, h.mSink.AllMetrics()[0]))
		})
	}
}

func TestPassThroughLogs(t *testing.T) {
	h := newHarness(t, testConfig(), nopSettings())
	in := plog.NewLogs()
	rl := in.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "checkout")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr("user log line")
	lr.Attributes().PutInt("http.response.status_code", 500)
	want := plog.NewLogs()
	in.CopyTo(want)
	in.MarkReadOnly()
	require.NoError(t, h.logs.ConsumeLogs(context.Background(), in))
	require.Len(t, h.lSink.AllLogs(), 1)
	require.NoError(t, plogtest.CompareLogs(want, h.lSink.AllLogs()[0]))
}
