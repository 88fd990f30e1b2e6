package advisor

import (
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/plan"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// Run is one replay of a whole input (the CLI's analyze and compare): every
// profile of a service is one window, the metrics one replay.
type Run struct {
	adv     *Advisor
	window  *attribution.Window
	metrics bool
}

// NewRun starts a replay; a Replay-mode Advisor serves one Run.
func (a *Advisor) NewRun() *Run {
	return &Run{adv: a, window: attribution.NewWindow()}
}

// AddProfiles attributes pd; on error the profiles it names were rejected
// (counted in the window's DroppedProfiles).
func (r *Run) AddProfiles(pd pprofile.Profiles) error {
	return r.adv.Accumulate(pd, r.window)
}

// AddMetrics feeds the fleet store.
func (r *Run) AddMetrics(md pmetric.Metrics) {
	r.adv.AddMetrics(md)
	r.metrics = true
}

// Dropped counts the profiles rejected so far.
func (r *Run) Dropped() int64 { return r.window.DroppedProfiles }

// Result is what a whole input adds up to.
type Result struct {
	// Findings: at most one per (rule, service), sorted.
	Findings []report.Finding
	// Services: every service seen, judged or not and why.
	Services []report.Coverage
	// Window holds the profile statistics per service (compare reads them).
	Window *attribution.Window
	// Signals: by service, then rule: every profile rule's reading.
	Signals map[string]map[string]report.Signal
	// Plan: the fleet's combined savings and phased fixes.
	Plan plan.Plan
}

// Result judges the input: the profile rules over the one window, the metric
// rules over the replay; a metric-rule finding for a (rule, service) that
// its profiles already judged stands aside.
func (r *Run) Result() *Result {
	j := r.adv.JudgeWindow(r.window, time.Time{}) // Replay: judged for the whole input
	res := &Result{Window: r.window, Signals: map[string]map[string]report.Signal{}, Services: j.Services}
	type key struct{ rule, service string }
	seen := map[key]bool{}
	for _, sig := range j.Signals {
		byRule := res.Signals[sig.Service]
		if byRule == nil {
			byRule = map[string]report.Signal{}
			res.Signals[sig.Service] = byRule
		}
		byRule[sig.Rule] = sig
		if !sig.Active {
			continue
		}
		f := sig.Finding
		if f.Rule == "" {
			f.Rule = sig.Rule
		}
		if f.Service == "" {
			f.Service = sig.Service
		}
		if k := (key{f.Rule, f.Service}); !seen[k] {
			seen[k] = true
			res.Findings = append(res.Findings, f)
		}
	}
	if r.metrics {
		for _, f := range r.adv.store.Replay() {
			if k := (key{f.Rule, f.Service}); !seen[k] {
				seen[k] = true
				res.Findings = append(res.Findings, f)
			}
		}
		res.Services = append(res.Services, r.metricOnly(res.Services)...)
		sort.Slice(res.Services, func(i, k int) bool { return res.Services[i].Service < res.Services[k].Service })
	}
	report.Sort(res.Findings)
	res.Plan = r.plan(res)
	return res
}

// plan builds the fleet's plan and gives the metric findings the savings
// their services' profiles explain.
func (r *Run) plan(res *Result) plan.Plan {
	byService := map[string][]report.Finding{}
	for _, f := range res.Findings {
		byService[f.Service] = append(byService[f.Service], f)
	}
	metricCores := r.adv.store.MeanCores()
	var in []plan.Service
	for _, cov := range res.Services {
		st := r.window.Services[cov.Service]
		var cores *float64
		if c, ok := metricCores[cov.Service]; ok {
			cores = &c
		} else if st != nil && st.End.After(st.Start) {
			c := st.CPUValue / 1e9 / st.End.Sub(st.Start).Seconds()
			cores = &c
		}
		in = append(in, r.adv.PlanService(cov.Service, st, cores, byService[cov.Service]))
	}
	p := plan.Build(r.adv.cat, in)
	combined := map[string]float64{}
	for _, sp := range p.Services {
		if sp.ExpectedCPUReduction != nil {
			combined[sp.Service] = *sp.ExpectedCPUReduction
		}
	}
	metricSavings(r.adv.cat, res.Findings, combined)
	return p
}

// metricOnly lists the services seen only in metrics: the metric rules judged
// them, their profile rules could not be.
func (r *Run) metricOnly(profiled []report.Coverage) []report.Coverage {
	have := make(map[string]bool, len(profiled))
	for _, s := range profiled {
		have[s.Service] = true
	}
	var out []report.Coverage
	for _, name := range r.adv.store.ServiceNames() {
		if have[name] {
			continue
		}
		note := "metrics only: the fleet rules judged it; without profiles its profile rules were not judged"
		out = append(out, report.Coverage{Service: name, Judged: true, Note: note, Runtimes: []string{}})
	}
	return out
}
