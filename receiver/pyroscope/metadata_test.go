package pyroscope

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
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
	"go.yaml.in/yaml/v3"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// mdFile is the part of metadata.yaml (mdatagen's schema) the checks read.
type mdFile struct {
	Type   string `yaml:"type"`
	Status struct {
		Stability map[string][]string `yaml:"stability"`
	} `yaml:"status"`
	Attributes map[string]struct {
		Enum         []string `yaml:"enum"`
		NameOverride string   `yaml:"name_override"`
	} `yaml:"attributes"`
	Telemetry struct {
		Metrics map[string]struct {
			Enabled     bool     `yaml:"enabled"`
			Description string   `yaml:"description"`
			Unit        string   `yaml:"unit"`
			Sum         *mdData  `yaml:"sum"`
			Gauge       *mdData  `yaml:"gauge"`
			Histogram   *mdData  `yaml:"histogram"`
			Attributes  []string `yaml:"attributes"`
		} `yaml:"metrics"`
	} `yaml:"telemetry"`
}

type mdData struct {
	ValueType   string `yaml:"value_type"`
	Monotonic   bool   `yaml:"monotonic"`
	Temporality string `yaml:"aggregation_temporality"`
}

// shape is a metric as metadata.yaml states it.
type shape struct {
	Description, Unit, Kind, ValueType string
	Monotonic                          bool
	Temporality                        string
	Attributes                         []string
}

func readMetadata(t *testing.T) mdFile {
	t.Helper()
	b, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	var md mdFile
	require.NoError(t, yaml.Unmarshal(b, &md))
	return md
}

// The receiver's self-telemetry, recorded while it serves good and bad
// pushes and ingests and read through the SDK's manual reader, matches
// telemetry.metrics of metadata.yaml (under the otelcol_ prefix mdatagen
// adds) in type, unit, description and attribute set, in both directions.
func TestSelfTelemetryMatchesMetadata(t *testing.T) {
	md := readMetadata(t)
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
	recorded := map[string]shape{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != metadata.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			recorded[m.Name] = recordedShape(t, m)
		}
	}
	for name, m := range md.Telemetry.Metrics {
		assert.True(t, m.Enabled, "%s: enabled", name)
		want := shape{Description: m.Description, Unit: m.Unit}
		switch {
		case m.Sum != nil:
			want.Kind, want.ValueType, want.Monotonic, want.Temporality = "sum", m.Sum.ValueType, m.Sum.Monotonic, m.Sum.Temporality
			if want.Temporality == "" {
				want.Temporality = "cumulative"
			}
		case m.Gauge != nil:
			want.Kind, want.ValueType = "gauge", m.Gauge.ValueType
		case m.Histogram != nil:
			want.Kind, want.ValueType, want.Temporality = "histogram", m.Histogram.ValueType, "cumulative"
		default:
			t.Fatalf("metadata.yaml: %s has no sum, gauge or histogram", name)
		}
		for _, a := range m.Attributes {
			decl, ok := md.Attributes[a]
			require.True(t, ok, "metadata.yaml: %s uses undeclared attribute %s", name, a)
			if decl.NameOverride != "" {
				a = decl.NameOverride
			}
			want.Attributes = append(want.Attributes, a)
		}
		sort.Strings(want.Attributes)
		got, ok := recorded["otelcol_"+name]
		if !assert.True(t, ok, "metadata.yaml declares telemetry %s, which was never recorded", name) {
			continue
		}
		assert.Equal(t, want, got, "telemetry %s: metadata.yaml vs recorded", name)
	}
	for name := range recorded {
		_, ok := md.Telemetry.Metrics[strings.TrimPrefix(name, "otelcol_")]
		assert.True(t, strings.HasPrefix(name, "otelcol_") && ok, "recorded telemetry %s is missing from metadata.yaml", name)
	}
	assert.ElementsMatch(t, md.Attributes["reason"].Enum, stringConstants(t, "reason"), "reason enum vs the reason* constants")
	assert.ElementsMatch(t, md.Attributes["endpoint"].Enum, stringConstants(t, "endpoint"), "endpoint enum vs the endpoint* constants")
}

func recordedShape(t *testing.T, m metricdata.Metrics) shape {
	t.Helper()
	s := shape{Description: m.Description, Unit: m.Unit}
	keys := map[string]bool{}
	temporality := func(x metricdata.Temporality) string {
		return strings.ToLower(strings.TrimSuffix(x.String(), "Temporality"))
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		s.Kind, s.ValueType, s.Monotonic, s.Temporality = "sum", "int", d.IsMonotonic, temporality(d.Temporality)
		for _, dp := range d.DataPoints {
			for _, kv := range dp.Attributes.ToSlice() {
				keys[string(kv.Key)] = true
			}
		}
	default:
		t.Fatalf("%s: %T is not a metric this receiver records", m.Name, m.Data)
	}
	for k := range keys {
		s.Attributes = append(s.Attributes, k)
	}
	sort.Strings(s.Attributes)
	return s
}

// stringConstants reads the values of the package's string constants named
// prefix* from its source, so a value added in code and not in
// metadata.yaml fails.
func stringConstants(t *testing.T, prefix string) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !strings.HasPrefix(n.Name, prefix) || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, err := strconv.Unquote(lit.Value)
						require.NoError(t, err)
						out = append(out, v)
					}
				}
			}
		}
	}
	require.NotEmpty(t, out, "no %s* constants", prefix)
	return out
}

// The hand-written constants of internal/metadata follow metadata.yaml.
func TestMetadataConstants(t *testing.T) {
	md := readMetadata(t)
	assert.Equal(t, md.Type, metadata.Type.String())
	assert.Equal(t, map[string][]string{strings.ToLower(metadata.ProfilesStability.String()): {"profiles"}}, md.Status.Stability)
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
}
