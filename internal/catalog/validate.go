package catalog

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// MaxProfileRules bounds the rules one engine attributes (a 64-bit rule mask per stack).
const MaxProfileRules = 64

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Validate checks every rule and compiles its patterns. Errors name the rule and field.
func (c *Catalog) Validate() error {
	var errs []string
	add := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }

	setNames := make([]string, 0, len(c.Sets))
	for name := range c.Sets {
		setNames = append(setNames, name)
	}
	sort.Strings(setNames)
	for _, name := range setNames {
		ps := c.Sets[name]
		for i := range ps {
			if ps[i].Set != "" {
				add("pattern_sets.%s[%d]: sets cannot nest (%s)", name, i, ps[i])
				continue
			}
			if err := ps[i].compile(); err != nil {
				add("pattern_sets.%s[%d]: %v", name, i, err)
			}
		}
	}

	seen := map[string]bool{}
	profileRules := 0
	for ri := range c.Rules {
		r := &c.Rules[ri]
		where := fmt.Sprintf("rules[%d]", ri)
		if r.ID != "" {
			where = "rules." + r.ID
		}
		switch {
		case r.ID == "":
			add("%s.id: missing", where)
		case !idPattern.MatchString(r.ID):
			add("%s.id: %q must be lower-case letters, digits and _", where, r.ID)
		case seen[r.ID]:
			add("%s.id: duplicate", where)
		}
		seen[r.ID] = true
		if r.Kind == "" {
			r.Kind = KindProfile
		}
		if r.Kind != KindProfile && r.Kind != KindMetric {
			add("%s.kind: %q is not profile or metric", where, r.Kind)
		}
		if bad(r.Threshold) || r.Threshold <= 0 {
			add("%s.threshold: %v must be a positive number", where, r.Threshold)
		}
		if r.Kind == KindProfile && r.Threshold > 1 {
			add("%s.threshold: %v is a CPU share and must be at most 1", where, r.Threshold)
		}
		if cr := r.Severity.CriticalAt; bad(cr) || cr < 0 || cr != 0 && cr < r.Threshold {
			add("%s.severity.critical_at: %v must be 0 (never) or at least the threshold %v", where, cr, r.Threshold)
		}
		if f := r.ExpectedReduction.Fraction; bad(f) || f < 0 || f > 1 {
			add("%s.expected_reduction.fraction_of_share: %v must be in [0, 1]", where, f)
		}
		if f := r.ExpectedReduction.Floor; bad(f) || f < 0 || f >= 1 {
			add("%s.expected_reduction.floor: %v must be in [0, 1)", where, f)
		}
		if r.Recommendation("default") == "" {
			add("%s.recommendations.default: missing", where)
		}
		for k := range r.Recommendations {
			if _, ok := framename.ParseDialect(k); !ok && k != "default" {
				add("%s.recommendations.%s: unknown runtime (use go, jvm, python, node, dotnet, native, kernel or default)", where, k)
			}
		}
		for k, v := range r.Params {
			if bad(v) {
				add("%s.params.%s: not a finite number", where, k)
			}
		}
		validateLinks(r, where, add)
		validatePlan(r, where, add)
		if r.Kind == KindMetric {
			if len(r.Signatures) > 0 {
				add("%s.signatures: metric rules take no frame patterns", where)
			}
			continue
		}
		profileRules++
		if len(r.Signatures) == 0 {
			add("%s.signatures: a profile rule needs at least one signature", where)
		}
		for si := range r.Signatures {
			s := &r.Signatures[si]
			sw := fmt.Sprintf("%s.signatures[%d]", where, si)
			if _, ok := framename.ParseDialect(s.Dialect); !ok && s.Dialect != "any" {
				add("%s.dialect: %q is not go, jvm, python, node, dotnet, native, kernel or any", sw, s.Dialect)
			}
			if len(s.Roots) == 0 {
				add("%s.roots: at least one root pattern is required", sw)
			}
			c.compileList(s.Roots, sw+".roots", add)
			c.compileList(s.Exclude, sw+".exclude", add)
			c.compileList(s.Cutoffs, sw+".cutoffs", add)
			c.compileList(s.CutoffUnless, sw+".cutoff_unless", add)
			for ti := range s.Tags {
				t := &s.Tags[ti]
				tw := fmt.Sprintf("%s.tags[%d]", sw, ti)
				if t.Name == "" {
					add("%s.name: missing", tw)
				}
				if len(t.Patterns) == 0 {
					add("%s.patterns: at least one pattern is required", tw)
				}
				c.compileList(t.Patterns, tw+".patterns", add)
			}
		}
	}
	if profileRules > MaxProfileRules {
		add("rules: %d profile rules exceed the limit of %d", profileRules, MaxProfileRules)
	}
	if len(errs) > 0 {
		return fmt.Errorf("catalog: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (c *Catalog) compileList(ps []Pattern, where string, add func(string, ...any)) {
	for i := range ps {
		if ps[i].Set != "" {
			if _, ok := c.Sets[ps[i].Set]; !ok {
				add("%s[%d]: unknown pattern set %q", where, i, ps[i].Set)
			}
		}
		if err := ps[i].compile(); err != nil {
			add("%s[%d]: %v", where, i, err)
		}
	}
}

func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
