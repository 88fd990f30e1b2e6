// Package metadatatest holds metadata.yaml to what a component emits: the
// schema mdatagen reads, and a metric's shape (type, unit, description,
// attributes) from a declaration, a pdata metric or an SDK recording, so
// the components' tests compare them as one value.
package metadatatest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.yaml.in/yaml/v3"
)

// File is the part of metadata.yaml (mdatagen's schema) the checks read.
type File struct {
	Type   string `yaml:"type"`
	Status struct {
		Stability map[string][]string `yaml:"stability"`
	} `yaml:"status"`
	ResourceAttributes map[string]Attribute `yaml:"resource_attributes"`
	Attributes         map[string]Attribute `yaml:"attributes"`
	Metrics            map[string]Metric    `yaml:"metrics"`
	Telemetry          struct {
		Metrics map[string]Metric `yaml:"metrics"`
	} `yaml:"telemetry"`
}

type Attribute struct {
	Description  string   `yaml:"description"`
	Type         string   `yaml:"type"`
	Enum         []string `yaml:"enum"`
	NameOverride string   `yaml:"name_override"`
}

type Metric struct {
	Enabled     bool     `yaml:"enabled"`
	Description string   `yaml:"description"`
	Unit        string   `yaml:"unit"`
	Gauge       *Data    `yaml:"gauge"`
	Sum         *Data    `yaml:"sum"`
	Histogram   *Data    `yaml:"histogram"`
	Attributes  []string `yaml:"attributes"`
}

type Data struct {
	ValueType   string `yaml:"value_type"`
	Monotonic   bool   `yaml:"monotonic"`
	Temporality string `yaml:"aggregation_temporality"`
}

// Shape is what a metric is, in the terms metadata.yaml states it, so a
// declared and an emitted metric compare as one value.
type Shape struct {
	Description string
	Unit        string
	Kind        string // gauge, sum, histogram
	ValueType   string // int, double
	Monotonic   bool
	Temporality string // cumulative, delta; "" for a gauge
	Attributes  []string
}

// Read parses the component's metadata.yaml (in the test's directory).
func Read(t *testing.T) File {
	t.Helper()
	b, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	var md File
	require.NoError(t, yaml.Unmarshal(b, &md))
	return md
}

// attrName is the key an attribute of metadata.yaml is emitted under.
func (md File) attrName(id string) string {
	if a, ok := md.Attributes[id]; ok && a.NameOverride != "" {
		return a.NameOverride
	}
	return id
}

// Declared turns a metadata.yaml metric into a shape; temporality
// defaults as mdatagen's does (cumulative for a sum).
func (md File) Declared(t *testing.T, name string, m Metric) Shape {
	t.Helper()
	s := Shape{Description: m.Description, Unit: m.Unit}
	var d *Data
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

// Emitted describes one pdata metric; attrs are the union of its
// points' attribute keys.
func Emitted(m pmetric.Metric) Shape {
	s := Shape{Description: m.Description(), Unit: m.Unit()}
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

// Recorded describes one SDK metric as metadata.yaml would.
func Recorded(t *testing.T, m metricdata.Metrics) Shape {
	t.Helper()
	s := Shape{Description: m.Description, Unit: m.Unit}
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

// StringConstants reads the values of the package's string constants named
// prefix* from its source (the test's directory), so a value added in code
// and not in metadata.yaml fails.
func StringConstants(t *testing.T, prefix string) []string {
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

// CheckTelemetry holds the self-telemetry recorded under scope to
// telemetry.metrics of metadata.yaml, in both directions, under the otelcol_
// prefix mdatagen adds.
func (md File) CheckTelemetry(t *testing.T, rm metricdata.ResourceMetrics, scope string) {
	t.Helper()
	recorded := map[string]Shape{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scope {
			continue
		}
		for _, m := range sm.Metrics {
			recorded[m.Name] = Recorded(t, m)
		}
	}
	for name, m := range md.Telemetry.Metrics {
		require.True(t, m.Enabled, "%s: enabled", name)
		got, ok := recorded["otelcol_"+name]
		require.True(t, ok, "metadata.yaml declares telemetry %s, which was never recorded", name)
		require.Equal(t, md.Declared(t, name, m), got, "telemetry %s: metadata.yaml vs recorded", name)
	}
	for name := range recorded {
		_, ok := md.Telemetry.Metrics[strings.TrimPrefix(name, "otelcol_")]
		require.True(t, strings.HasPrefix(name, "otelcol_") && ok, "recorded telemetry %s is missing from metadata.yaml", name)
	}
}
