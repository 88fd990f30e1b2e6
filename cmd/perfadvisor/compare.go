package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/attribution"
)

// comparison is one (rule, service) before and after a change. Shares are
// of the service's CPU, in 0..1 (docs/cli.md defines each field).
type comparison struct {
	Rule              string  `json:"rule"`
	Service           string  `json:"service"`
	Before            float64 `json:"before"`
	After             float64 `json:"after"`
	RealizedReduction float64 `json:"realized_reduction"`
	ExpectedReduction float64 `json:"expected_reduction"`
	Verdict           string  `json:"verdict"`
	// Basis is "rate" when both sides have known durations, else "total".
	Basis        string `json:"basis"`
	BeforeActive bool   `json:"before_active"`
	AfterActive  bool   `json:"after_active"`
}

// Verdicts.
const (
	verdictFixed         = "fixed"
	verdictImproved      = "improved"
	verdictUnchanged     = "unchanged"
	verdictRegressed     = "regressed"
	verdictNotComparable = "not_comparable"
)

// minChange is the smallest change of the service's CPU (1 point) that
// counts as improved or regressed rather than noise.
const minChange = 0.01

func cmdCompare(args []string, stdout io.Writer) error {
	a, err := parseArgs(args, inputFlags("format", "service", "config"), []string{"before", "after"})
	if err != nil {
		return err
	}
	format, err := a.format("text", "json", "markdown")
	if err != nil {
		return err
	}
	if len(a.files) > 0 {
		return usagef("compare: put files after --before or --after (got %q)", a.files[0])
	}
	if len(a.lists["before"]) == 0 || len(a.lists["after"]) == 0 {
		return usagef("compare needs --before FILE... and --after FILE...")
	}
	s, err := newSession(a)
	if err != nil {
		return err
	}
	before, err := s.analyze(a.lists["before"])
	if err != nil {
		return err
	}
	after, err := s.analyze(a.lists["after"])
	if err != nil {
		return err
	}
	rows := compareResults(before, after)
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Rules []comparison `json:"rules"`
		}{rows})
	case "markdown":
		fmt.Fprintln(stdout, "| rule | service | before | after | realized reduction | expected reduction | verdict |")
		fmt.Fprintln(stdout, "|---|---|---:|---:|---:|---:|---|")
		for _, r := range rows {
			fmt.Fprintf(stdout, "| `%s` | %s | %s | %s | %s | %s | %s |\n", r.Rule, r.Service,
				pct(r.Before), pct(r.After), pct(r.RealizedReduction), pct(r.ExpectedReduction), r.Verdict)
		}
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "No rule has attributed CPU before or after.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSERVICE\tBEFORE\tAFTER\tREALIZED\tEXPECTED\tVERDICT")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Rule, r.Service,
			pct(r.Before), pct(r.After), pct(r.RealizedReduction), pct(r.ExpectedReduction), r.Verdict)
	}
	return tw.Flush()
}

// compareResults pairs every (rule, service) with attributed CPU on either
// side.
func compareResults(before, after *advisor.Result) []comparison {
	type key struct{ rule, service string }
	keys := map[key]bool{}
	for _, res := range []*advisor.Result{before, after} {
		for name, st := range res.Window.Services {
			for rule := range st.Rules {
				keys[key{rule, name}] = true
			}
			for rule, sig := range res.Signals[name] {
				if sig.Active {
					keys[key{rule, name}] = true
				}
			}
		}
	}
	rows := make([]comparison, 0, len(keys))
	for k := range keys {
		rows = append(rows, compareOne(k.rule, k.service, before, after))
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Service != rows[j].Service {
			return rows[i].Service < rows[j].Service
		}
		return rows[i].Rule < rows[j].Rule
	})
	return rows
}

func compareOne(rule, service string, before, after *advisor.Result) comparison {
	c := comparison{Rule: rule, Service: service, Basis: "total"}
	bs, bok := before.Window.Services[service]
	as, aok := after.Window.Services[service]
	bSig, aSig := before.Signals[service][rule], after.Signals[service][rule]
	c.BeforeActive, c.AfterActive = bSig.Active, aSig.Active
	c.ExpectedReduction = bSig.Finding.ExpectedCPUReduction
	c.Before, c.After = share(bs, rule), share(as, rule)
	if !bok || !aok || bs.CPUValue <= 0 {
		c.Verdict = verdictNotComparable
		return c
	}
	bRule, aRule := ruleCPU(bs, rule), ruleCPU(as, rule)
	bSvc := bs.CPUValue
	// Rates make captures of different lengths comparable.
	if bd, ad := seconds(bs), seconds(as); bd > 0 && ad > 0 {
		c.Basis = "rate"
		bRule, aRule, bSvc = bRule/bd, aRule/ad, bSvc/bd
	}
	c.RealizedReduction = (bRule - aRule) / bSvc
	switch {
	case c.BeforeActive && !c.AfterActive && c.RealizedReduction > 0:
		c.Verdict = verdictFixed
	case c.RealizedReduction <= -minChange || (!c.BeforeActive && c.AfterActive):
		c.Verdict = verdictRegressed
	case c.RealizedReduction >= minChange:
		c.Verdict = verdictImproved
	default:
		c.Verdict = verdictUnchanged
	}
	return c
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

func seconds(st *attribution.ServiceStats) float64 {
	return st.End.Sub(st.Start).Seconds()
}
