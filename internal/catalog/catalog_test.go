package catalog

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

// designRuleIDs are docs/design.md §2's ids: the catalog must hold exactly these.
var designRuleIDs = []string{
	"profiler_overhead", "regex_compile_hot_path", "tls_handshake_overhead", "kafka_poll_inefficiency",
	"alloc_gc_pressure", "db_connection_churn", "dns_resolution_overhead",
	"service_cpu_outlier", "service_elevated_baseline", "service_cpu_spikes", "goroutine_growth",
	"deploy_cpu_regression",
}

func TestDefaultCatalog(t *testing.T) {
	c, err := Default()
	require.NoError(t, err)
	assert.ElementsMatch(t, designRuleIDs, c.IDs())
	for _, r := range c.Rules {
		t.Run(r.ID, func(t *testing.T) {
			assert.NotEmpty(t, r.Title)
			assert.NotEmpty(t, r.Description)
			assert.NotEmpty(t, r.Recommendation("default"))
			assert.Contains(t, EffortClasses, r.EffortFor("default"))
			if r.Kind == KindProfile {
				assert.Greater(t, r.ExpectedReduction.Fraction, 0.0)
				assert.NotEmpty(t, r.ExpectedReduction.Why, "every reduction model says why")
				_, ok := r.ExampleFor("go")
				assert.True(t, ok, "every profile rule shows its fix")
				assert.NotEmpty(t, r.Signatures)
				assert.LessOrEqual(t, r.Threshold, 0.10, "profile thresholds are CPU shares")
			} else {
				assert.Empty(t, r.Signatures)
				assert.Zero(t, r.ExpectedReduction.Fraction, "a metric rule's saving comes from the service's profiles")
			}
		})
	}
	th, on := c.Threshold("alloc_gc_pressure")
	assert.True(t, on)
	assert.Greater(t, th, 0.05, "allocation needs a higher default than the narrow rules")
	_, on = c.Threshold("no_such_rule")
	assert.False(t, on)
}

func TestDefaultReturnsIndependentCopies(t *testing.T) {
	a, err := Default()
	require.NoError(t, err)
	a.Rules[0].Threshold = 0.9
	a.Rules[0].Recommendations["default"] = "changed"
	b, err := Default()
	require.NoError(t, err)
	assert.NotEqual(t, 0.9, b.Rules[0].Threshold)
	assert.NotEqual(t, "changed", b.Rules[0].Recommendations["default"])
}

func TestRecommendationsNameTheRightKnobs(t *testing.T) {
	c, err := Default()
	require.NoError(t, err)
	tests := []struct{ rule, runtime, want string }{
		{"kafka_poll_inefficiency", "jvm", "fetch.max.wait.ms"},
		{"kafka_poll_inefficiency", "native", "fetch.wait.max.ms"},
		{"regex_compile_hot_path", "go", "regexp.MustCompile"},
		{"tls_handshake_overhead", "native", "session"},
		{"db_connection_churn", "go", "SetMaxIdleConns"},
		{"dns_resolution_overhead", "go", "cache"},
		{"alloc_gc_pressure", "go", "GOMEMLIMIT"},
		{"alloc_gc_pressure", "go", "sync.Pool"},
		{"profiler_overhead", "go", "runtime.SetBlockProfileRate(0)"},
		{"profiler_overhead", "go", "19 Hz"},
		{"regex_compile_hot_path", "ruby", "once"}, // falls back to the default
	}
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.runtime, func(t *testing.T) {
			r, ok := c.Rule(tt.rule)
			require.True(t, ok)
			assert.Contains(t, r.Recommendation(tt.runtime), tt.want)
		})
	}
}

func TestValidationNamesRuleAndField(t *testing.T) {
	good := func() Rule {
		return Rule{ID: "x", Threshold: 0.1, Recommendations: map[string]string{"default": "fix it"},
			Signatures: []Signature{{Dialect: "go", Roots: []Pattern{{Name: `^a\.b$`}}}}}
	}
	tests := []struct {
		name string
		edit func(*Rule)
		want string
	}{
		{"missing id", func(r *Rule) { r.ID = "" }, "rules[0].id: missing"},
		{"bad id", func(r *Rule) { r.ID = "Bad-Id" }, `rules.Bad-Id.id: "Bad-Id" must be lower-case`},
		{"bad kind", func(r *Rule) { r.Kind = "trace" }, `rules.x.kind: "trace"`},
		{"zero threshold", func(r *Rule) { r.Threshold = 0 }, "rules.x.threshold: 0 must be a positive number"},
		{"share above one", func(r *Rule) { r.Threshold = 2 }, "rules.x.threshold: 2 is a CPU share"},
		{"critical below threshold", func(r *Rule) { r.Severity.CriticalAt = 0.05 }, "rules.x.severity.critical_at"},
		{"reduction above one", func(r *Rule) { r.ExpectedReduction.Fraction = 1.5 }, "rules.x.expected_reduction.fraction_of_share"},
		{"no default advice", func(r *Rule) { r.Recommendations = map[string]string{"go": "x"} }, "rules.x.recommendations.default: missing"},
		{"unknown runtime advice", func(r *Rule) { r.Recommendations["cobol"] = "x" }, "rules.x.recommendations.cobol: unknown runtime"},
		{"no signatures", func(r *Rule) { r.Signatures = nil }, "rules.x.signatures: a profile rule needs"},
		{"bad dialect", func(r *Rule) { r.Signatures[0].Dialect = "perl6" }, `rules.x.signatures[0].dialect: "perl6"`},
		{"no roots", func(r *Rule) { r.Signatures[0].Roots = nil }, "rules.x.signatures[0].roots: at least one"},
		{"bad regexp", func(r *Rule) { r.Signatures[0].Exclude = []Pattern{{Name: "(("}} }, "rules.x.signatures[0].exclude[0]: name \"((\""},
		{"empty pattern", func(r *Rule) { r.Signatures[0].Cutoffs = []Pattern{{}} }, "rules.x.signatures[0].cutoffs[0]: empty pattern"},
		{"unknown set", func(r *Rule) { r.Signatures[0].CutoffUnless = []Pattern{{Set: "nope"}} }, `rules.x.signatures[0].cutoff_unless[0]: unknown pattern set "nope"`},
		{"tag without name", func(r *Rule) { r.Signatures[0].Tags = []Tag{{Patterns: []Pattern{{Name: "a"}}}} }, "rules.x.signatures[0].tags[0].name: missing"},
		{"metric rule with patterns", func(r *Rule) { r.Kind = KindMetric }, "rules.x.signatures: metric rules take no frame patterns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.edit(&r)
			err := (&Catalog{Rules: []Rule{r}}).Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	dup := &Catalog{Rules: []Rule{good(), good()}}
	assert.ErrorContains(t, dup.Validate(), "rules.x.id: duplicate")
	assert.NoError(t, (&Catalog{Rules: []Rule{good()}}).Validate())
}

func TestWith(t *testing.T) {
	base, err := Default()
	require.NoError(t, err)
	off, th := false, 0.01
	c, err := base.With(map[string]Override{
		"alloc_gc_pressure":      {Enabled: &off},
		"regex_compile_hot_path": {Threshold: &th},
	}, []Rule{
		{ID: "json_hot_path", Threshold: 0.05, Recommendations: map[string]string{"default": "use a generated codec"},
			Signatures: []Signature{{Dialect: "go", Roots: []Pattern{{Name: `^encoding/json\.`}}}}},
		{ID: "dns_resolution_overhead", Threshold: 0.2, Recommendations: map[string]string{"default": "replaced"},
			Signatures: []Signature{{Dialect: "any", Roots: []Pattern{{Name: `^getaddrinfo$`}}}}},
	})
	require.NoError(t, err)
	_, on := c.Threshold("alloc_gc_pressure")
	assert.False(t, on)
	v, on := c.Threshold("regex_compile_hot_path")
	assert.True(t, on)
	assert.Equal(t, 0.01, v)
	v, _ = c.Threshold("json_hot_path")
	assert.Equal(t, 0.05, v)
	r, _ := c.Rule("dns_resolution_overhead")
	assert.Equal(t, "replaced", r.Recommendation("go"), "a custom rule with a built-in id replaces it")
	assert.Len(t, c.Rules, len(base.Rules)+1)
	// base is untouched
	_, on = base.Threshold("alloc_gc_pressure")
	assert.True(t, on)

	_, err = base.With(map[string]Override{"nope": {Threshold: &th}}, nil)
	assert.ErrorContains(t, err, "rules.nope: unknown rule id")
	bad := 3.0
	_, err = base.With(map[string]Override{"tls_handshake_overhead": {Threshold: &bad}}, nil)
	assert.ErrorContains(t, err, "rules.tls_handshake_overhead.threshold: 3 is a CPU share")
}

func TestPatternDecoding(t *testing.T) {
	doc := []byte(`
pattern_sets:
  std: ['^runtime\.']
rules:
  - id: custom
    threshold: 0.05
    recommendations: {default: fix}
    signatures:
      - dialect: python
        roots: ['^a$', {name: '^compile$', file: 're/_compiler\.py$'}, '@std']
`)
	c, err := Parse(doc)
	require.NoError(t, err)
	roots := c.Rules[0].Signatures[0].Roots
	require.Len(t, roots, 3)
	assert.Equal(t, Pattern{Name: "^a$"}.String(), roots[0].String())
	assert.True(t, roots[1].Match("compile", "/usr/lib/python3.12/re/_compiler.py"))
	assert.False(t, roots[1].Match("compile", "app/compiler.py"))
	assert.Equal(t, "std", roots[2].Set)
	assert.Len(t, c.Expand(roots), 3)
	assert.True(t, c.Expand(roots)[2].Match("runtime.mallocgc", ""))

	var p []Pattern
	require.NoError(t, json.Unmarshal([]byte(`["^x$", {"name": "^y$", "file": "z"}, "@std"]`), &p))
	assert.Equal(t, "^x$", p[0].Name)
	assert.Equal(t, "z", p[1].File)
	assert.Equal(t, "std", p[2].Set)
}

// TestRuleFromCollectorConfig: the processor embeds []Rule in its config,
// decoded by confmap (mapstructure); string patterns need the text hook.
func TestRuleFromCollectorConfig(t *testing.T) {
	var cfg struct {
		Rules       map[string]Override `mapstructure:"rules"`
		CustomRules []Rule              `mapstructure:"custom_rules"`
	}
	conf := confmap.NewFromStringMap(map[string]any{
		"rules": map[string]any{"alloc_gc_pressure": map[string]any{"threshold": 0.2}},
		"custom_rules": []any{map[string]any{
			"id":                 "grpc_reflection",
			"threshold":          0.02,
			"recommendations":    map[string]any{"default": "cache descriptors"},
			"expected_reduction": map[string]any{"fraction_of_share": 0.9},
			"signatures": []any{map[string]any{
				"dialect": "go",
				"roots":   []any{`^google\.golang\.org/grpc/reflection\.`, map[string]any{"name": "^x$", "file": "y"}},
			}},
		}},
	})
	require.NoError(t, conf.Unmarshal(&cfg))
	require.Len(t, cfg.CustomRules, 1)
	roots := cfg.CustomRules[0].Signatures[0].Roots
	require.Len(t, roots, 2)
	assert.Equal(t, `^google\.golang\.org/grpc/reflection\.`, roots[0].Name)
	assert.Equal(t, "y", roots[1].File)
	base, err := Default()
	require.NoError(t, err)
	c, err := base.With(cfg.Rules, cfg.CustomRules)
	require.NoError(t, err)
	v, _ := c.Threshold("alloc_gc_pressure")
	assert.Equal(t, 0.2, v)
	assert.Equal(t, 0.9*0.5, mustRule(t, c, "grpc_reflection").ExpectedReduction.Expected(0.5))
}

func mustRule(t *testing.T, c *Catalog, id string) Rule {
	r, ok := c.Rule(id)
	require.True(t, ok)
	return r
}

func TestReductionAndSeverity(t *testing.T) {
	r := Rule{Threshold: 0.1, Severity: Severity{CriticalAt: 0.3}, ExpectedReduction: Reduction{Fraction: 0.5, Floor: 0.05}}
	assert.InDelta(t, 0.075, r.ExpectedReduction.Expected(0.2), 1e-12)
	assert.Equal(t, 0.0, r.ExpectedReduction.Expected(0.01))
	assert.Equal(t, "warning", r.SeverityFor(0.2))
	assert.Equal(t, "critical", r.SeverityFor(0.3))
}

// TestWithLeavesCallerRulesAlone: one processor config can serve several
// pipelines at once; building catalogs from it must not write to it.
func TestWithLeavesCallerRulesAlone(t *testing.T) {
	base, err := Default()
	require.NoError(t, err)
	custom := []Rule{{ID: "c", Threshold: 0.1, Recommendations: map[string]string{"default": "x"},
		Signatures: []Signature{{Dialect: "go", Roots: []Pattern{{Name: `^a\.`}}}}}}
	done := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			_, err := base.With(nil, custom)
			assert.NoError(t, err)
		}()
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	assert.Nil(t, custom[0].Signatures[0].Roots[0].name, "the caller's pattern stays uncompiled")
}
