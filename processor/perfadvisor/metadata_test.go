package perfadvisor

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.yaml.in/yaml/v3"

	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// mdFile is the part of metadata.yaml (mdatagen's schema) the checks read.
type mdFile struct {
	Type   string `yaml:"type"`
	Status struct {
		Stability map[string][]string `yaml:"stability"`
	} `yaml:"status"`
	ResourceAttributes map[string]mdAttribute `yaml:"resource_attributes"`
	Attributes         map[string]mdAttribute `yaml:"attributes"`
	Metrics            map[string]mdMetric    `yaml:"metrics"`
	Telemetry          struct {
		Metrics map[string]mdMetric `yaml:"metrics"`
	} `yaml:"telemetry"`
}

type mdAttribute struct {
	Description  string   `yaml:"description"`
	Type         string   `yaml:"type"`
	Enum         []string `yaml:"enum"`
	NameOverride string   `yaml:"name_override"`
}

type mdMetric struct {
	Enabled     bool     `yaml:"enabled"`
	Description string   `yaml:"description"`
	Unit        string   `yaml:"unit"`
	Gauge       *mdData  `yaml:"gauge"`
	Sum         *mdData  `yaml:"sum"`
	Histogram   *mdData  `yaml:"histogram"`
	Attributes  []string `yaml:"attributes"`
}

type mdData struct {
	ValueType   string `yaml:"value_type"`
	Monotonic   bool   `yaml:"monotonic"`
	Temporality string `yaml:"aggregation_temporality"`
}

// shape is what a metric is, in the terms metadata.yaml states it, so a
// declared and an emitted metric compare as one value.
type shape struct {
	Description string
	Unit        string
	Kind        string // gauge, sum, histogram
	ValueType   string // int, double
	Monotonic   bool
	Temporality string // cumulative, delta; "" for a gauge
	Attributes  []string
}

func readMetadata(t *testing.T) mdFile {
	t.Helper()
	b, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	var md mdFile
	require.NoError(t, yaml.Unmarshal(b, &md))
	return md
}

// attrName is the key an attribute of metadata.yaml is emitted under.
func (md mdFile) attrName(id string) string {
	if a, ok := md.Attributes[id]; ok && a.NameOverride != "" {
		return a.NameOverride
	}
	return id
}

// declared turns a metadata.yaml metric into a shape; temporality
// defaults as mdatagen's does (cumulative for a sum).
func (md mdFile) declared(t *testing.T, name string, m mdMetric) shape {
	t.Helper()
	s := shape{Description: m.Description, Unit: m.Unit}
	var d *mdData
	switch {
	case m.Gauge != nil:
		s.Kind, d = "gauge", m.Gauge
	case m.Sum != nil:
		s.Kind, d = "sum", m.Sum
		s.Monotonic, s.Temporality = d.Monotonic, d.Temporality
		if s.Temporality == "" {
			s.Temporality = "cumulative"
		}
	case m.Histogram != nil:
		s.Kind, d = "histogram", m.Histogram
		s.Temporality = "cumulative"
	default:
		t.Fatalf("metadata.yaml: %s has no gauge, sum or histogram", name)
	}
	s.ValueType = d.ValueType
	for _, a := range m.Attributes {
		_, ok := md.Attributes[a]
		require.True(t, ok, "metadata.yaml: %s uses undeclared attribute %s", name, a)
		s.Attributes = append(s.Attributes, md.attrName(a))
	}
	sort.Strings(s.Attributes)
	return s
}

// emittedShape describes one pdata metric; attrs are the union of its
// points' attribute keys.
func emittedShape(m pmetric.Metric) shape {
	s := shape{Description: m.Description(), Unit: m.Unit()}
	var pts pmetric.NumberDataPointSlice
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		s.Kind, pts = "gauge", m.Gauge().DataPoints()
	case pmetric.MetricTypeSum:
		s.Kind, pts = "sum", m.Sum().DataPoints()
		s.Monotonic = m.Sum().IsMonotonic()
		s.Temporality = strings.ToLower(m.Sum().AggregationTemporality().String())
	default:
		s.Kind = strings.ToLower(m.Type().String())
		return s
	}
	keys := map[string]bool{}
	for _, dp := range pts.All() {
		for k := range dp.Attributes().All() {
			keys[k] = true
		}
		if dp.Flags().NoRecordedValue() {
			continue // a staleness marker of a resolved finding carries no value
		}
		switch dp.ValueType() {
		case pmetric.NumberDataPointValueTypeInt:
			s.ValueType = "int"
		case pmetric.NumberDataPointValueTypeDouble:
			s.ValueType = "double"
		}
	}
	for k := range keys {
		s.Attributes = append(s.Attributes, k)
	}
	sort.Strings(s.Attributes)
	return s
}

// Everything the processor puts into the metrics pipeline is declared in
// metadata.yaml with the same type, unit, description and attributes, and
// everything declared there is emitted: a profile finding (regex-a), a
// fleet finding (fleet-outlier-a) and a deploy compared with the version
// before it together produce every advisory metric.
func TestEmittedMetricsMatchMetadata(t *testing.T) {
	md := readMetadata(t)
	require.NotEmpty(t, md.Metrics, "metadata.yaml declares the advisory metrics")
	cfg := testConfig()
	cfg.For = 0
	cfg.MinSamples = 0
	cfg.Validation.MinWindows = 3
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	for i := range 7 {
		v, regex := "v1", 30
		if i >= 3 {
			v, regex = "v2", 0
		}
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, versioned("search", v, i, regex)))
		h.sched.fire()
	}
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, readPprof(t, fixture("regex-a", "cpu.pb.gz"), "checkout")))
	require.NoError(t, h.metrics.ConsumeMetrics(ctx, readOTLPMetricsJSON(t, fixture("fleet-outlier-a", "metrics.json"))))
	h.clock.set(h.clock.now().Add(cfg.Window + cfg.AllowedLateness))
	h.sched.fire()

	emitted := map[string]shape{}
	for _, out := range h.mSink.AllMetrics() {
		for _, rm := range out.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				if sm.Scope().Name() != metadata.ScopeName {
					continue // the input metrics, passed through
				}
				var keys []string
				for k := range rm.Resource().Attributes().All() {
					keys = append(keys, k)
				}
				assert.ElementsMatch(t, slices.Sorted(mapsKeys(md.ResourceAttributes)), keys, "resource attributes")
				for _, m := range sm.Metrics().All() {
					got := emittedShape(m)
					if prev, ok := emitted[m.Name()]; ok {
						got.Attributes = unionSorted(prev.Attributes, got.Attributes)
						if got.ValueType == "" {
							got.ValueType = prev.ValueType // a batch of staleness markers only
						}
					}
					emitted[m.Name()] = got
				}
			}
		}
	}
	for name, m := range md.Metrics {
		assert.True(t, m.Enabled, "%s: enabled", name)
		got, ok := emitted[name]
		if !assert.True(t, ok, "metadata.yaml declares %s, which the scenario never emitted", name) {
			continue
		}
		assert.Equal(t, md.declared(t, name, m), got, "metric %s: metadata.yaml vs emitted", name)
	}
	for name := range emitted {
		_, ok := md.Metrics[name]
		assert.True(t, ok, "emitted metric %s is missing from metadata.yaml", name)
	}
	// Enumerated attribute values stay inside their enum.
	for _, out := range h.mSink.AllMetrics() {
		for _, rm := range out.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if sm.Scope().Name() != metadata.ScopeName || m.Type() != pmetric.MetricTypeGauge {
						continue
					}
					for _, dp := range m.Gauge().DataPoints().All() {
						if v, ok := dp.Attributes().Get(attrSeverity); ok {
							assert.Contains(t, md.Attributes[attrSeverity].Enum, v.Str())
						}
					}
				}
			}
		}
	}
}

// The processor's self-telemetry, read through the SDK's manual reader,
// matches telemetry.metrics of metadata.yaml: every counter and histogram
// is declared with its type, unit, description and attributes, under the
// otelcol_ prefix mdatagen adds.
func TestSelfTelemetryMatchesMetadata(t *testing.T) {
	md := readMetadata(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, set)
	ctx := context.Background()
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: t0, regex: 40, work: 60})))
	bad := buildProfiles(profileSpec{service: "broken", at: t0, work: 10})
	bad.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0).Samples().At(0).SetStackIndex(1 << 20)
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, bad))
	require.NoError(t, h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: t0.Add(cfg.Window + time.Second), work: 1})))
	h.sched.fire()

	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.Reader.Collect(ctx, &rm))
	emitted := map[string]shape{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != metadata.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			emitted[m.Name] = telemetryShape(t, m)
		}
	}
	for name, m := range md.Telemetry.Metrics {
		assert.True(t, m.Enabled, "%s: enabled", name)
		got, ok := emitted["otelcol_"+name]
		if !assert.True(t, ok, "metadata.yaml declares telemetry %s, which was never recorded", name) {
			continue
		}
		assert.Equal(t, md.declared(t, name, m), got, "telemetry %s: metadata.yaml vs recorded", name)
	}
	for name := range emitted {
		_, ok := md.Telemetry.Metrics[strings.TrimPrefix(name, "otelcol_")]
		assert.True(t, strings.HasPrefix(name, "otelcol_") && ok, "recorded telemetry %s is missing from metadata.yaml", name)
	}
	// Every reason the code can record is in the enum, and the other way round.
	assert.ElementsMatch(t, md.Attributes["reason"].Enum, reasonConstants(t), "reason enum vs the reason* constants")
}

// telemetryShape describes one SDK metric as metadata.yaml would.
func telemetryShape(t *testing.T, m metricdata.Metrics) shape {
	t.Helper()
	s := shape{Description: m.Description, Unit: m.Unit}
	keys := map[string]bool{}
	addKeys := func(set attribute.Set) {
		for _, kv := range set.ToSlice() {
			keys[string(kv.Key)] = true
		}
	}
	temporality := func(x metricdata.Temporality) string {
		return strings.ToLower(strings.TrimSuffix(x.String(), "Temporality"))
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		s.Kind, s.ValueType, s.Monotonic, s.Temporality = "sum", "int", d.IsMonotonic, temporality(d.Temporality)
		for _, dp := range d.DataPoints {
			addKeys(dp.Attributes)
		}
	case metricdata.Sum[float64]:
		s.Kind, s.ValueType, s.Monotonic, s.Temporality = "sum", "double", d.IsMonotonic, temporality(d.Temporality)
		for _, dp := range d.DataPoints {
			addKeys(dp.Attributes)
		}
	case metricdata.Gauge[int64]:
		s.Kind, s.ValueType = "gauge", "int"
		for _, dp := range d.DataPoints {
			addKeys(dp.Attributes)
		}
	case metricdata.Gauge[float64]:
		s.Kind, s.ValueType = "gauge", "double"
		for _, dp := range d.DataPoints {
			addKeys(dp.Attributes)
		}
	case metricdata.Histogram[int64]:
		s.Kind, s.ValueType, s.Temporality = "histogram", "int", temporality(d.Temporality)
		for _, dp := range d.DataPoints {
			addKeys(dp.Attributes)
		}
	case metricdata.Histogram[float64]:
		s.Kind, s.ValueType, s.Temporality = "histogram", "double", temporality(d.Temporality)
		for _, dp := range d.DataPoints {
			addKeys(dp.Attributes)
		}
	default:
		t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
	}
	for k := range keys {
		s.Attributes = append(s.Attributes, k)
	}
	sort.Strings(s.Attributes)
	return s
}

// reasonConstants reads the values of the package's reason* constants from
// its source, so a reason added in code and not in metadata.yaml fails.
func reasonConstants(t *testing.T) []string {
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
					if !strings.HasPrefix(n.Name, "reason") || i >= len(vs.Values) {
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
	require.NotEmpty(t, out)
	return out
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func unionSorted(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// The hand-written constants of internal/metadata follow metadata.yaml.
func TestMetadataConstants(t *testing.T) {
	md := readMetadata(t)
	assert.Equal(t, md.Type, metadata.Type.String())
	stability := map[string]string{}
	for level, signals := range md.Status.Stability {
		for _, s := range signals {
			stability[s] = level
		}
	}
	assert.Equal(t, map[string]string{
		"profiles": strings.ToLower(metadata.ProfilesStability.String()),
		"metrics":  strings.ToLower(metadata.MetricsStability.String()),
		"logs":     strings.ToLower(metadata.LogsStability.String()),
	}, stability)
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.ProfilesStability, f.ProfilesStability())
	assert.Equal(t, metadata.MetricsStability, f.MetricsStability())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}
