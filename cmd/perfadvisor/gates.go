package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// gateError is a CI gate that the input violated: the command's output is
// complete, and it exits with exitGate, one stderr line per violation.
type gateError struct{ violations []string }

func (e *gateError) Error() string { return strings.Join(e.violations, "; ") }

type gateKind int

const (
	gateRegression gateKind = iota // compare: a rule or service regressed
	gateShare                      // a rule's CPU share (after the change) above a bound
	gateSeverity                   // analyze: a finding at or above a severity
)

// gate is one --fail-on expression.
type gate struct {
	expr     string
	kind     gateKind
	rule     string // gateShare: a rule id, or "" for any rule
	bound    float64
	severity int // gateSeverity: the lowest severity rank that fails
}

var severityRank = map[report.Severity]int{report.SeverityInfo: 1, report.SeverityWarning: 2, report.SeverityCritical: 3}

// takeRepeated removes every --name VALUE / --name=VALUE from args (before
// a "--") and returns the values: the shared parser takes a flag once, a
// gate flag may be given many times.
func takeRepeated(args []string, name string) (values, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		n, v, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || n != name {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, usagef("--%s needs a value", name)
			}
			i++
			v = args[i]
		}
		values = append(values, v)
	}
	return values, rest, nil
}

// parseGates checks every expression against the catalog: a gate naming a
// rule that does not exist, or one without a CPU share, would never fail
// and so is a usage error rather than a silent pass.
func parseGates(exprs []string, cat *catalog.Catalog, compare, analyze bool) ([]gate, error) {
	var gates []gate
	for _, expr := range exprs {
		g, err := parseGate(strings.TrimSpace(expr), cat, compare, analyze)
		if err != nil {
			return nil, err
		}
		gates = append(gates, g)
	}
	return gates, nil
}

func parseGate(expr string, cat *catalog.Catalog, compare, analyze bool) (gate, error) {
	want := "regression, RULE>SHARE or any>SHARE"
	if analyze {
		want = "RULE>SHARE, any>SHARE or severity>=info|warning|critical"
	}
	g := gate{expr: expr}
	switch {
	case expr == "regression":
		if !compare {
			return g, usagef("--fail-on %q: regression needs compare (want %s)", expr, want)
		}
		g.kind = gateRegression
		return g, nil
	case strings.HasPrefix(expr, "severity>="):
		if !analyze {
			return g, usagef("--fail-on %q: severity gates are for analyze (want %s)", expr, want)
		}
		rank, ok := severityRank[report.Severity(strings.TrimPrefix(expr, "severity>="))]
		if !ok {
			return g, usagef("--fail-on %q: severity is info, warning or critical", expr)
		}
		g.kind, g.severity = gateSeverity, rank
		return g, nil
	}
	lhs, rhs, ok := strings.Cut(expr, ">")
	if !ok || lhs == "" || strings.HasPrefix(rhs, "=") {
		return g, usagef("--fail-on %q: want %s", expr, want)
	}
	bound, err := parseShare(rhs)
	if err != nil {
		return g, usagef("--fail-on %q: %v", expr, err)
	}
	g.kind, g.bound = gateShare, bound
	if lhs != "any" {
		r, ok := cat.Rule(lhs)
		switch {
		case !ok:
			return g, usagef("--fail-on %q: unknown rule %q (see perfadvisor rules)", expr, lhs)
		case r.Kind == catalog.KindMetric:
			return g, usagef("--fail-on %q: %s is a metric rule and has no CPU share", expr, lhs)
		}
		g.rule = lhs
	}
	return g, nil
}

// parseShare reads a share as 0.05 or 5%.
func parseShare(s string) (float64, error) {
	s = strings.TrimSpace(s)
	scale := 1.0
	if t, ok := strings.CutSuffix(s, "%"); ok {
		s, scale = t, 100
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("share %q is not a number (write 0.05 or 5%%)", s)
	}
	v /= scale
	if !(v >= 0 && v < 1) {
		return 0, fmt.Errorf("share %v is outside 0..1", v)
	}
	return v, nil
}

// checkCompareGates returns the violations of doc, the after side's shares
// coming from after.
func checkCompareGates(gates []gate, doc comparisonDoc, after *advisor.Result) error {
	var v []string
	for _, g := range gates {
		switch g.kind {
		case gateRegression:
			for _, r := range doc.Rules {
				if r.Verdict == verdictRegressed || r.Verdict == verdictNew {
					lo, hi := r.RealizedReductionInterval[0], r.RealizedReductionInterval[1]
					v = append(v, fmt.Sprintf("--fail-on regression: rule %s, service %s: %s, share %s → %s (realized reduction %s, 95%% CI %s to %s)",
						r.Rule, r.Service, r.Verdict, pct(r.Before), pct(r.After), signedPct(r.RealizedReduction), signedPct(lo), signedPct(hi)))
				}
			}
			for _, s := range doc.Services {
				if s.Verdict == verdictRegressed {
					v = append(v, fmt.Sprintf("--fail-on regression: rule (all CPU), service %s: regressed, CPU %s → %s, change %s (95%% CI %s to %s)",
						s.Service, coresCell(s.BeforeCores, s.BeforeCPUSeconds), coresCell(s.AfterCores, s.AfterCPUSeconds),
						plusPct(*s.CPUChange), plusPct(s.CPUChangeInterval[0]), plusPct(s.CPUChangeInterval[1])))
				}
			}
		case gateShare:
			v = append(v, shareViolations(g, after)...)
		}
	}
	return gateResult(v)
}

// checkAnalyzeGates returns the violations of one analysis.
func checkAnalyzeGates(gates []gate, res *advisor.Result) error {
	var v []string
	for _, g := range gates {
		switch g.kind {
		case gateShare:
			v = append(v, shareViolations(g, res)...)
		case gateSeverity:
			for _, f := range res.Findings {
				if severityRank[f.Severity] >= g.severity {
					v = append(v, fmt.Sprintf("--fail-on %s: rule %s, service %s: %s finding%s", g.expr, f.Rule, f.Service, f.Severity, findingFigure(f)))
				}
			}
		}
	}
	return gateResult(v)
}

// shareViolations lists every (rule, service) of res whose CPU share is
// above the gate's bound, judged or not: a gate on a share holds on the
// point estimate, as thresholds do.
func shareViolations(g gate, res *advisor.Result) []string {
	var v []string
	names := make([]string, 0, len(res.Window.Services))
	for n := range res.Window.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		st := res.Window.Services[name]
		rules := make([]string, 0, len(st.Rules))
		for rule := range st.Rules {
			if g.rule == "" || rule == g.rule {
				rules = append(rules, rule)
			}
		}
		sort.Strings(rules)
		for _, rule := range rules {
			if s := share(st, rule); s > g.bound {
				v = append(v, fmt.Sprintf("--fail-on %s: rule %s, service %s: CPU share %s > %s", g.expr, rule, name, pct(s), pct(g.bound)))
			}
		}
	}
	return v
}

func findingFigure(f report.Finding) string {
	switch {
	case f.CPURatio != nil:
		return fmt.Sprintf(" (CPU share %s)", pct(*f.CPURatio))
	case f.Value != nil:
		return fmt.Sprintf(" (value %.3g)", *f.Value)
	}
	return ""
}

func gateResult(v []string) error {
	if len(v) == 0 {
		return nil
	}
	return &gateError{violations: v}
}

// gates parses --fail-on against the session's catalog.
func (s *session) gates(exprs []string, compare, analyze bool) ([]gate, error) {
	if len(exprs) == 0 {
		return nil, nil
	}
	cat, err := s.cfg.Catalog()
	if err != nil {
		return nil, usagef("--config: %v", err)
	}
	return parseGates(exprs, cat, compare, analyze)
}
