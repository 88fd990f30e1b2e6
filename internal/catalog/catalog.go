// Package catalog holds the signature catalog: built-in rules as embedded
// YAML plus the user's overrides and custom rules in the same schema.
package catalog

import (
	_ "embed"
	"fmt"
	"sort"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Rule kinds: profile rules are judged by the attribution engine from
// stacks; metric rules by internal/fleet from CPU and goroutine series.
const (
	KindProfile = "profile"
	KindMetric  = "metric"
)

// Override tunes a built-in or custom rule from config (processor `rules.<id>`,
// CLI --config `rules.<id>`). Nil fields keep the catalog's value.
type Override struct {
	Enabled   *bool    `mapstructure:"enabled" yaml:"enabled" json:"enabled,omitempty"`
	Threshold *float64 `mapstructure:"threshold" yaml:"threshold" json:"threshold,omitempty"`
}

// Rule is one catalog entry.
type Rule struct {
	ID          string `mapstructure:"id" yaml:"id" json:"id"`
	Kind        string `mapstructure:"kind" yaml:"kind" json:"kind,omitempty"` // profile (default) or metric
	Title       string `mapstructure:"title" yaml:"title" json:"title,omitempty"`
	Description string `mapstructure:"description" yaml:"description" json:"description,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `mapstructure:"enabled" yaml:"enabled" json:"enabled,omitempty"`
	// Threshold: a CPU share (profile rules) or the rule's own figure (metric rules).
	Threshold float64  `mapstructure:"threshold" yaml:"threshold" json:"threshold"`
	Severity  Severity `mapstructure:"severity" yaml:"severity" json:"severity"`
	// ExpectedReduction models the CPU share a fix is expected to save.
	ExpectedReduction Reduction `mapstructure:"expected_reduction" yaml:"expected_reduction" json:"expected_reduction"`
	// Signatures: per-dialect frame patterns (profile rules only).
	Signatures []Signature `mapstructure:"signatures" yaml:"signatures" json:"signatures,omitempty"`
	// Recommendations by runtime (go, jvm, python, node, dotnet, native) with a "default".
	Recommendations map[string]string `mapstructure:"recommendations" yaml:"recommendations" json:"recommendations,omitempty"`
	// RaiseOnMetadata lets profile-metadata facts (block/mutex profiling on,
	// sampling rate above the ceiling) raise the rule on their own.
	RaiseOnMetadata bool `mapstructure:"raise_on_metadata" yaml:"raise_on_metadata" json:"raise_on_metadata,omitempty"`
	// Params are rule-specific numbers (metric rules: window sizes, minimum counts).
	Params map[string]float64 `mapstructure:"params" yaml:"params" json:"params,omitempty"`
	// MetadataEvidence: profile-metadata facts (MetadataFacts) reported in
	// the rule's evidence; with raise_on_metadata they raise it on their own.
	MetadataEvidence []string `mapstructure:"metadata_evidence" yaml:"metadata_evidence" json:"metadata_evidence,omitempty"`
	// MetricEvidence: metric series that support the rule's findings.
	MetricEvidence []MetricEvidence `mapstructure:"metric_evidence" yaml:"metric_evidence" json:"metric_evidence,omitempty"`
	// Effort of the fix by runtime, with a "default": configuration,
	// dependency_setting, code_change or investigation. The plan orders
	// findings by saving per effort and puts them in phases by it.
	Effort map[string]string `mapstructure:"effort" yaml:"effort" json:"effort,omitempty"`
	// Examples: a short before/after of the fix by runtime.
	Examples map[string]Example `mapstructure:"examples" yaml:"examples" json:"examples,omitempty"`
}

// Example is a fix in two snippets.
type Example struct {
	Before string `mapstructure:"before" yaml:"before" json:"before"`
	After  string `mapstructure:"after" yaml:"after" json:"after"`
}

// Effort classes of a fix, cheapest first.
const (
	EffortConfiguration     = "configuration"
	EffortDependencySetting = "dependency_setting"
	EffortCodeChange        = "code_change"
	EffortInvestigation     = "investigation"
)

// EffortClasses lists the classes, cheapest first.
var EffortClasses = []string{EffortConfiguration, EffortDependencySetting, EffortCodeChange, EffortInvestigation}

// EffortFor is the effort of the rule's fix in runtime, else its default,
// else a code change.
func (r Rule) EffortFor(runtime string) string {
	if e := r.Effort[runtime]; e != "" {
		return e
	}
	if e := r.Effort["default"]; e != "" {
		return e
	}
	return EffortCodeChange
}

// ExampleFor is the rule's before/after for runtime, else its default.
func (r Rule) ExampleFor(runtime string) (Example, bool) {
	if e, ok := r.Examples[runtime]; ok {
		return e, true
	}
	e, ok := r.Examples["default"]
	return e, ok
}

// Severity: warning at the threshold, critical at CriticalAt (0 = never).
type Severity struct {
	CriticalAt float64 `mapstructure:"critical_at" yaml:"critical_at" json:"critical_at,omitempty"`
	Why        string  `mapstructure:"why" yaml:"why" json:"why,omitempty"`
}

// Reduction: expected = Fraction × max(0, share − Floor). Floor is the part
// of the share a healthy service keeps after the fix.
type Reduction struct {
	Fraction float64 `mapstructure:"fraction_of_share" yaml:"fraction_of_share" json:"fraction_of_share"`
	Floor    float64 `mapstructure:"floor" yaml:"floor" json:"floor,omitempty"`
	Why      string  `mapstructure:"why" yaml:"why" json:"why,omitempty"`
}

// Expected returns the share of CPU the fix is expected to save.
func (r Reduction) Expected(share float64) float64 {
	v := share - r.Floor
	if v < 0 {
		return 0
	}
	return r.Fraction * v
}

// Signature is one dialect's way of recognising a rule in a stack.
type Signature struct {
	// Dialect: go, jvm, python, node, dotnet, native, kernel or any.
	Dialect string `mapstructure:"dialect" yaml:"dialect" json:"dialect"`
	// Roots: the costly call; its whole subtree is charged.
	Roots []Pattern `mapstructure:"roots" yaml:"roots" json:"roots"`
	// Exclude: callers that disqualify a root below them (init, <clinit>, import).
	Exclude []Pattern `mapstructure:"exclude" yaml:"exclude" json:"exclude,omitempty"`
	// Cutoffs: callees where the application resumes; CPU from there down is not the rule's.
	Cutoffs []Pattern `mapstructure:"cutoffs" yaml:"cutoffs" json:"cutoffs,omitempty"`
	// CutoffUnless: below a root, the first frame matching neither a root nor
	// one of these patterns is where the application resumes (a cut-off).
	CutoffUnless []Pattern `mapstructure:"cutoff_unless" yaml:"cutoff_unless" json:"cutoff_unless,omitempty"`
	// Tags split the rule's CPU in the evidence (e.g. full vs resumed handshakes).
	Tags []Tag `mapstructure:"tags" yaml:"tags" json:"tags,omitempty"`
}

// Tag names the samples of a rule with a frame matching Patterns.
type Tag struct {
	Name        string    `mapstructure:"name" yaml:"name" json:"name"`
	Description string    `mapstructure:"description" yaml:"description" json:"description,omitempty"`
	Patterns    []Pattern `mapstructure:"patterns" yaml:"patterns" json:"patterns"`
}

// Catalog is a validated, compiled set of rules.
type Catalog struct {
	Rules []Rule
	// Sets are named pattern lists a Pattern can reference as "@name".
	Sets map[string][]Pattern
}

type document struct {
	PatternSets map[string][]Pattern `yaml:"pattern_sets"`
	Rules       []Rule               `yaml:"rules"`
}

//go:embed rules.yaml
var builtin []byte

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
	defaultErr  error
)

// Default returns the built-in catalog (embedded YAML), validated. Each call
// returns a fresh copy, so callers may not affect each other.
func Default() (*Catalog, error) {
	defaultOnce.Do(func() { defaultCat, defaultErr = Parse(builtin) })
	if defaultErr != nil {
		return nil, defaultErr
	}
	return defaultCat.clone(), nil
}

// Parse reads a catalog document (`pattern_sets`, `rules`) and validates it.
func Parse(data []byte) (*Catalog, error) {
	var doc document
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	c := &Catalog{Rules: doc.Rules, Sets: doc.PatternSets}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Catalog) clone() *Catalog {
	out := &Catalog{Rules: make([]Rule, len(c.Rules)), Sets: make(map[string][]Pattern, len(c.Sets))}
	for i, r := range c.Rules {
		out.Rules[i] = r.clone()
	}
	for k, v := range c.Sets {
		out.Sets[k] = append([]Pattern(nil), v...)
	}
	return out
}

func (r Rule) clone() Rule {
	out := r
	if r.Enabled != nil {
		v := *r.Enabled
		out.Enabled = &v
	}
	// Deep copy: validation compiles into the patterns, which must not
	// write to a caller's config (one config may serve several pipelines).
	out.Signatures = make([]Signature, len(r.Signatures))
	for i, sig := range r.Signatures {
		sig.Roots = clonePatterns(sig.Roots)
		sig.Exclude = clonePatterns(sig.Exclude)
		sig.Cutoffs = clonePatterns(sig.Cutoffs)
		sig.CutoffUnless = clonePatterns(sig.CutoffUnless)
		tags := make([]Tag, len(sig.Tags))
		for j, t := range sig.Tags {
			t.Patterns = clonePatterns(t.Patterns)
			tags[j] = t
		}
		sig.Tags = tags
		out.Signatures[i] = sig
	}
	if r.Recommendations != nil {
		out.Recommendations = make(map[string]string, len(r.Recommendations))
		for k, v := range r.Recommendations {
			out.Recommendations[k] = v
		}
	}
	out.MetadataEvidence = append([]string(nil), r.MetadataEvidence...)
	out.Effort = cloneMap(r.Effort)
	out.Examples = cloneMap(r.Examples)
	out.MetricEvidence = append([]MetricEvidence(nil), r.MetricEvidence...)
	if r.Params != nil {
		out.Params = make(map[string]float64, len(r.Params))
		for k, v := range r.Params {
			out.Params[k] = v
		}
	}
	return out
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func clonePatterns(ps []Pattern) []Pattern {
	if ps == nil {
		return nil
	}
	return append([]Pattern(nil), ps...)
}

// With returns a copy of c with overrides applied and custom rules added
// (a custom rule with a built-in id replaces it). Errors name the rule and field.
func (c *Catalog) With(overrides map[string]Override, custom []Rule) (*Catalog, error) {
	out := c.clone()
	for _, r := range custom {
		r = r.clone()
		if r.Kind == "" {
			r.Kind = KindProfile
		}
		if i := out.index(r.ID); i >= 0 {
			out.Rules[i] = r
		} else {
			out.Rules = append(out.Rules, r)
		}
	}
	ids := make([]string, 0, len(overrides))
	for id := range overrides {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		o := overrides[id]
		i := out.index(id)
		if i < 0 {
			return nil, fmt.Errorf("rules.%s: unknown rule id (known: %v)", id, out.IDs())
		}
		if o.Enabled != nil {
			v := *o.Enabled
			out.Rules[i].Enabled = &v
		}
		if o.Threshold != nil {
			out.Rules[i].Threshold = *o.Threshold
			// A lowered threshold must not leave critical below warning.
			if cr := out.Rules[i].Severity.CriticalAt; cr != 0 && cr < *o.Threshold {
				out.Rules[i].Severity.CriticalAt = *o.Threshold
			}
		}
	}
	if err := out.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Catalog) index(id string) int {
	for i := range c.Rules {
		if c.Rules[i].ID == id {
			return i
		}
	}
	return -1
}

// IDs lists the rule ids in catalog order.
func (c *Catalog) IDs() []string {
	ids := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		ids[i] = r.ID
	}
	return ids
}

// Rule returns the rule with id.
func (c *Catalog) Rule(id string) (Rule, bool) {
	if i := c.index(id); i >= 0 {
		return c.Rules[i], true
	}
	return Rule{}, false
}

// IsEnabled reports whether the rule is on (the default).
func (r Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// Threshold returns the effective threshold of a rule id and whether it is enabled.
func (c *Catalog) Threshold(id string) (threshold float64, enabled bool) {
	i := c.index(id)
	if i < 0 {
		return 0, false
	}
	return c.Rules[i].Threshold, c.Rules[i].IsEnabled()
}

// Recommendation returns the advice for runtime, else the rule's default.
func (r Rule) Recommendation(runtime string) string {
	if s, ok := r.Recommendations[runtime]; ok && s != "" {
		return s
	}
	return r.Recommendations["default"]
}

// SeverityFor grades a level that is at or above the threshold.
func (r Rule) SeverityFor(level float64) string {
	if r.Severity.CriticalAt > 0 && level >= r.Severity.CriticalAt {
		return "critical"
	}
	return "warning"
}

// Expand resolves "@set" references into the patterns of the named set.
func (c *Catalog) Expand(ps []Pattern) []Pattern {
	var out []Pattern
	for _, p := range ps {
		if p.Set != "" {
			out = append(out, c.Sets[p.Set]...)
			continue
		}
		out = append(out, p)
	}
	return out
}
