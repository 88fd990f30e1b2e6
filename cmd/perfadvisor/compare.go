package main

import (
	"encoding/json"
	"io"
	"math"
	"sort"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/stats"
)

// comparison is one (rule, service) before and after a change. Shares are
// of the service's CPU, in 0..1 (docs/cli.md defines each field).
type comparison struct {
	Rule    string  `json:"rule"`
	Service string  `json:"service"`
	Before  float64 `json:"before"`
	After   float64 `json:"after"`
	// RealizedReduction is before − after: the drop of the rule's share.
	RealizedReduction         float64    `json:"realized_reduction"`
	RealizedReductionInterval [2]float64 `json:"realized_reduction_interval"`
	ExpectedReduction         float64    `json:"expected_reduction"`
	Verdict                   string     `json:"verdict"`
	BeforeActive              bool       `json:"before_active"`
	AfterActive               bool       `json:"after_active"`
	// CPUChange is the rule's CPU rate (cores) after / before − 1, with its
	// 95% interval; null when a side has no time span or no CPU in the rule.
	CPUChange         *float64  `json:"cpu_change"`
	CPUChangeInterval []float64 `json:"cpu_change_interval"`
}

// serviceComparison is one service's CPU before and after. Figures that a
// side cannot give (no CPU profile, no time span) are null.
type serviceComparison struct {
	Service           string    `json:"service"`
	BeforeCPUSeconds  *float64  `json:"before_cpu_seconds"`
	AfterCPUSeconds   *float64  `json:"after_cpu_seconds"`
	BeforeCores       *float64  `json:"before_cores"`
	AfterCores        *float64  `json:"after_cores"`
	CPUChange         *float64  `json:"cpu_change"`
	CPUChangeInterval []float64 `json:"cpu_change_interval"`
	Verdict           string    `json:"verdict"`
	BeforeCPUSamples  int64     `json:"before_cpu_samples"`
	AfterCPUSamples   int64     `json:"after_cpu_samples"`
	Note              string    `json:"note,omitempty"`
}

// comparisonDoc is compare's JSON document.
type comparisonDoc struct {
	Rules    []comparison        `json:"rules"`
	Services []serviceComparison `json:"services"`
}

// minServiceChange is the smallest change of a service's cores that gets a
// verdict. The interval covers sampling noise only; raw cores also move with
// the load of each capture, by a few percent between two benchmark runs, so
// a smaller change, however many samples, is called unchanged.
const minServiceChange = 0.05

// Verdicts.
const (
	verdictFixed         = "fixed"
	verdictImproved      = "improved"
	verdictUnchanged     = "unchanged"
	verdictRegressed     = "regressed"
	verdictNew           = "new"
	verdictNotComparable = "not_comparable" // services only: CPU on one side alone
)

func cmdCompare(args []string, stdout io.Writer) error {
	failOn, args, err := takeRepeated(args, "fail-on")
	if err != nil {
		return err
	}
	a, err := parseArgs(args, inputFlags("format", "service", "config", "before-version", "after-version"), []string{"before", "after"})
	if err != nil {
		return err
	}
	format, err := a.format("text", "json", "markdown")
	if err != nil {
		return err
	}
	s, err := newSession(a)
	if err != nil {
		return err
	}
	cat, err := s.cfg.Catalog()
	if err != nil {
		return usagef("--config: %v", err)
	}
	gates, err := parseGates(failOn, cat, true, false)
	if err != nil {
		return err
	}
	before, after, err := s.compareInputs(a)
	if err != nil {
		return err
	}
	doc := compareResults(before, after)
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return err
		}
	case "markdown":
		writeCompareMarkdown(stdout, doc, cat)
	default:
		if err := writeCompareText(stdout, doc); err != nil {
			return err
		}
	}
	return checkCompareGates(gates, doc, after)
}

// compareInputs analyses the two sides: --before and --after files, or one
// set of files split by --before-version and --after-version.
func (s *session) compareInputs(a *cmdArgs) (before, after *advisor.Result, err error) {
	bv, bok := a.flags["before-version"]
	av, aok := a.flags["after-version"]
	if bok || aok {
		switch {
		case !bok || !aok || bv == "" || av == "":
			return nil, nil, usagef("compare: give both --before-version and --after-version")
		case bv == av:
			return nil, nil, usagef("compare: --before-version and --after-version are both %q", bv)
		case len(a.lists["before"]) > 0 || len(a.lists["after"]) > 0:
			return nil, nil, usagef("compare: with --before-version/--after-version give the files without --before/--after")
		case len(a.files) == 0:
			return nil, nil, usagef("compare: no input files")
		}
		return s.analyzeVersions(a.files, bv, av)
	}
	if len(a.files) > 0 {
		return nil, nil, usagef("compare: put files after --before or --after (got %q)", a.files[0])
	}
	if len(a.lists["before"]) == 0 || len(a.lists["after"]) == 0 {
		return nil, nil, usagef("compare needs --before FILE... and --after FILE... (or --before-version A --after-version B FILE...)")
	}
	if before, err = s.analyze(a.lists["before"]); err != nil {
		return nil, nil, err
	}
	if after, err = s.analyze(a.lists["after"]); err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// compareResults pairs every (rule, service) with attributed CPU on either
// side, for the services profiled on both sides, and every service's CPU.
func compareResults(before, after *advisor.Result) comparisonDoc {
	doc := comparisonDoc{Rules: []comparison{}, Services: []serviceComparison{}}
	names := map[string]bool{}
	for _, res := range []*advisor.Result{before, after} {
		for name := range res.Window.Services {
			names[name] = true
		}
	}
	for name := range names {
		bs, as := cpuStats(before, name), cpuStats(after, name)
		doc.Services = append(doc.Services, compareService(name, bs, as))
		if bs == nil || as == nil {
			continue // one side alone: no share to compare with
		}
		rules := map[string]bool{}
		for _, st := range []*attribution.ServiceStats{bs, as} {
			for rule := range st.Rules {
				rules[rule] = true
			}
		}
		for _, res := range []*advisor.Result{before, after} {
			for rule, sig := range res.Signals[name] {
				if sig.Active {
					rules[rule] = true
				}
			}
		}
		for rule := range rules {
			doc.Rules = append(doc.Rules, compareRule(rule, name, bs, as, before, after))
		}
	}
	sort.Slice(doc.Rules, func(i, j int) bool {
		if doc.Rules[i].Service != doc.Rules[j].Service {
			return doc.Rules[i].Service < doc.Rules[j].Service
		}
		return doc.Rules[i].Rule < doc.Rules[j].Rule
	})
	sort.Slice(doc.Services, func(i, j int) bool { return doc.Services[i].Service < doc.Services[j].Service })
	return doc
}

// cpuStats is a service's statistics when it has CPU samples on that side.
func cpuStats(res *advisor.Result, name string) *attribution.ServiceStats {
	st := res.Window.Services[name]
	if st == nil || st.CPUValue <= 0 || st.CPUSamples <= 0 {
		return nil
	}
	return st
}

// compareRule judges one rule on the 95% interval of the difference of its
// two shares, each share a proportion of its side's CPU sample events: a
// change is a verdict only when the interval excludes 0. When both sides
// know their time span, the rule's own CPU rate must move the same way: a
// share also rises when the rest of the service got cheaper (fix the TLS
// handshakes and the GC's share grows), which is no regression of the rule.
func compareRule(rule, service string, bs, as *attribution.ServiceStats, before, after *advisor.Result) comparison {
	bSig, aSig := before.Signals[service][rule], after.Signals[service][rule]
	c := comparison{
		Rule: rule, Service: service,
		Before: share(bs, rule), After: share(as, rule),
		ExpectedReduction: bSig.Finding.Expected(),
		BeforeActive:      bSig.Active, AfterActive: aSig.Active,
	}
	c.RealizedReduction = c.Before - c.After
	nb, na := float64(bs.CPUSamples), float64(as.CPUSamples)
	_, lo, hi := stats.Drop(c.Before*nb, nb, c.After*na, na)
	c.RealizedReductionInterval = [2]float64{lo, hi}
	rose, fell := true, true // unknown spans: the shares decide alone
	if bc, ac := cores(bs), cores(as); bc > 0 && ac > 0 {
		change, clo, chi, ok := stats.RateChange(c.Before*bc, c.Before*nb, c.After*ac, c.After*na)
		if ok {
			c.CPUChange, c.CPUChangeInterval = ptr(change), []float64{clo, chi}
			rose, fell = clo > 0, chi < 0
		} else {
			// One side has no CPU in the rule: the rate went from or to zero.
			rose, fell = c.Before == 0 && c.After > 0, c.After == 0 && c.Before > 0
		}
	}
	switch {
	case lo > 0 && fell && c.BeforeActive && !c.AfterActive:
		c.Verdict = verdictFixed
	case lo > 0 && fell:
		c.Verdict = verdictImproved
	case hi < 0 && rose && ruleCPU(bs, rule) == 0:
		c.Verdict = verdictNew
	case hi < 0 && rose:
		c.Verdict = verdictRegressed
	default:
		c.Verdict = verdictUnchanged
	}
	return c
}

// compareService compares a service's CPU rate (cores) on the two sides.
func compareService(name string, bs, as *attribution.ServiceStats) serviceComparison {
	sc := serviceComparison{Service: name, Verdict: verdictNotComparable}
	var bCores, aCores float64
	if bs != nil {
		sc.BeforeCPUSeconds, sc.BeforeCPUSamples = ptr(round4(bs.CPUValue/1e9)), bs.CPUSamples
		if bCores = cores(bs); bCores > 0 {
			sc.BeforeCores = ptr(round4(bCores))
		}
	}
	if as != nil {
		sc.AfterCPUSeconds, sc.AfterCPUSamples = ptr(round4(as.CPUValue/1e9)), as.CPUSamples
		if aCores = cores(as); aCores > 0 {
			sc.AfterCores = ptr(round4(aCores))
		}
	}
	switch {
	case bs == nil:
		sc.Note = "no CPU profile before: its rules are not compared"
		return sc
	case as == nil:
		sc.Note = "no CPU profile after: its rules are not compared"
		return sc
	}
	change, lo, hi, ok := stats.RateChange(bCores, float64(bs.CPUSamples), aCores, float64(as.CPUSamples))
	if !ok {
		sc.Note = "a side's profiles carry no time span: cores unknown"
		return sc
	}
	sc.CPUChange, sc.CPUChangeInterval = ptr(change), []float64{lo, hi}
	switch {
	case lo > minServiceChange:
		sc.Verdict = verdictRegressed
	case hi < -minServiceChange:
		sc.Verdict = verdictImproved
	default:
		sc.Verdict = verdictUnchanged
	}
	return sc
}

// cores is CPU seconds per second of the profiles' wall span.
func cores(st *attribution.ServiceStats) float64 {
	span := st.End.Sub(st.Start).Seconds()
	if !(span > 0) {
		return 0
	}
	return st.CPUValue / 1e9 / span
}

func share(st *attribution.ServiceStats, rule string) float64 {
	if st == nil || st.CPUValue <= 0 {
		return 0
	}
	return ruleCPU(st, rule) / st.CPUValue
}

func ruleCPU(st *attribution.ServiceStats, rule string) float64 {
	if r, ok := st.Rules[rule]; ok && r != nil {
		return r.CPUValue
	}
	return 0
}

// ruleTitle is the catalog's title of a rule, else its id.
func ruleTitle(cat *catalog.Catalog, id string) string {
	if r, ok := cat.Rule(id); ok && r.Title != "" {
		return r.Title
	}
	return id
}

func ptr(v float64) *float64 { return &v }

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
