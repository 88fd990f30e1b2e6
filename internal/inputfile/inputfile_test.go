package inputfile

import (
	"bytes"
	"compress/gzip"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
	"github.com/perfadvisor/perfadvisor/internal/svcname"
)

const fixtures = "../../testdata/fixtures"

func fixture(parts ...string) string { return filepath.Join(append([]string{fixtures}, parts...)...) }

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// metricsJSONLines rewrites a metrics fixture as the file exporter does:
// one ResourceMetrics per line.
func metricsJSONLines(t *testing.T) ([]byte, int) {
	md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(readBytes(t, fixture("fleet-outlier-a", "metrics.json")))
	require.NoError(t, err)
	var out bytes.Buffer
	for _, rm := range md.ResourceMetrics().All() {
		one := pmetric.NewMetrics()
		rm.CopyTo(one.ResourceMetrics().AppendEmpty())
		b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(one)
		require.NoError(t, err)
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes(), md.DataPointCount()
}

func TestReadDetects(t *testing.T) {
	jsonl, jsonlPoints := metricsJSONLines(t)
	fleet, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(readBytes(t, fixture("fleet-outlier-a", "metrics.json")))
	require.NoError(t, err)
	metricsPB, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(fleet)
	require.NoError(t, err)
	rawPprof, err := pprofconv.Decompress(readBytes(t, fixture("regex-a", "cpu.pb.gz")), 0)
	require.NoError(t, err)

	tests := []struct {
		name        string
		path        string
		want        Format
		wantService string // resource service name of the first profile resource
		wantPoints  int
	}{
		{"gzipped pprof", fixture("regex-a", "cpu.pb.gz"), Pprof, "", 0},
		{"uncompressed pprof", write(t, "cpu.pb", rawPprof), Pprof, "", 0},
		{"OTLP profiles protobuf", fixture("jvm-regex-a-otlp", "profiles.pb"), OTLPProfiles, "user-profile", 0},
		{"OTLP profiles JSON", fixture("jvm-regex-a-otlp", "profiles.json"), OTLPProfiles, "user-profile", 0},
		{"eBPF OTLP profiles", fixture("ebpf-jvm-kafka", "profiles.pb"), OTLPProfiles, "fraud-detection", 0},
		{"gzipped OTLP profiles JSON", write(t, "p.json.gz", gz(t, readBytes(t, fixture("jvm-regex-a-otlp", "profiles.json")))), OTLPProfiles, "user-profile", 0},
		{"OTLP metrics JSON object", fixture("fleet-outlier-a", "metrics.json"), OTLPMetrics, "", fleet.DataPointCount()},
		{"OTLP metrics JSON lines", write(t, "m.jsonl", jsonl), OTLPMetrics, "", jsonlPoints},
		{"OTLP metrics protobuf", write(t, "m.pb", metricsPB), OTLPMetrics, "", fleet.DataPointCount()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(tt.path, Auto, Limits{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.Format)
			switch tt.want {
			case OTLPMetrics:
				require.NotNil(t, f.Metrics)
				assert.Empty(t, f.Profiles)
				assert.Equal(t, tt.wantPoints, f.Metrics.DataPointCount())
			default:
				assert.Nil(t, f.Metrics)
				require.NotEmpty(t, f.Profiles)
				pd := f.Profiles[0]
				assert.Positive(t, pd.SampleCount())
				rp := pd.ResourceProfiles().At(0)
				name, ok := svcname.Resolve(rp.Resource().Attributes(), []string{"service.name"})
				assert.Equal(t, tt.wantService != "", ok)
				assert.Equal(t, tt.wantService, name)
			}
		})
	}
}

func TestReadForced(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		force   Format
		want    Format
		wantErr string
	}{
		{"pprof forced as pprof", fixture("regex-a", "cpu.pb.gz"), Pprof, Pprof, ""},
		{"OTLP JSON forced as profiles", fixture("jvm-regex-a-otlp", "profiles.json"), OTLPProfiles, OTLPProfiles, ""},
		{"metrics JSON forced as metrics", fixture("fleet-neg", "metrics.json"), OTLPMetrics, OTLPMetrics, ""},
		{"metrics JSON forced as pprof", fixture("fleet-neg", "metrics.json"), Pprof, "", "pprof"},
		{"pprof forced as metrics", fixture("regex-a", "cpu.pb.gz"), OTLPMetrics, "", "OTLP metrics protobuf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(tt.path, tt.force, Limits{})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), tt.path)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.Format)
		})
	}
}

func TestReadBadFiles(t *testing.T) {
	good := readBytes(t, fixture("regex-a", "cpu.pb.gz"))
	random := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(random)

	tests := []struct {
		name    string
		path    string
		lim     Limits
		wantErr string
	}{
		{"missing file", filepath.Join(t.TempDir(), "nope.pb.gz"), Limits{}, "no such file"},
		{"directory", t.TempDir(), Limits{}, "is a directory"},
		{"empty file", write(t, "empty", nil), Limits{}, "empty file"},
		{"random bytes", write(t, "random", random), Limits{}, "not a pprof, OTLP profiles or OTLP metrics file"},
		{"truncated gzip", write(t, "trunc.pb.gz", good[:len(good)/2]), Limits{}, "gzip"},
		{"gzip bomb", write(t, "bomb.gz", gz(t, make([]byte, 4<<20))), Limits{MaxDecompressedBytes: 1 << 20}, "exceeds the limit"},
		{"file over the size cap", write(t, "big", good), Limits{MaxFileBytes: 1000}, "over the 1000-byte limit"},
		{"JSON of something else", write(t, "x.json", []byte(`{"hello": "world"}`)), Limits{}, "JSON without resourceProfiles"},
		{"broken JSON", write(t, "y.json", []byte(`{"resourceMetrics": [`)), Limits{}, "not a pprof"},
		{"second JSON line broken", write(t, "z.jsonl", []byte("{\"resourceMetrics\":[]}\n{\"resourceMetrics\": 5}\n")), Limits{}, "JSON value 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(tt.path, Auto, tt.lim)
			require.Error(t, err)
			assert.Nil(t, f)
			msg := err.Error()
			assert.Contains(t, msg, tt.wantErr)
			assert.True(t, strings.HasPrefix(msg, tt.path+": "), "error names the file: %q", msg)
			assert.NotContains(t, msg, "\n")
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"", "auto", "pprof", "otlp-profiles", "otlp-metrics"} {
		_, err := ParseFormat(s)
		assert.NoError(t, err, s)
	}
	_, err := ParseFormat("jfr")
	assert.ErrorContains(t, err, "jfr")
}
