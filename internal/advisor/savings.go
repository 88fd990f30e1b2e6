package advisor

import (
	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/plan"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// PlanService is one service's input to the plan: its profiled CPU split by
// the rules each sample counted for, and its raised findings.
func (a *Advisor) PlanService(name string, st *attribution.ServiceStats, cores *float64, fs []report.Finding) plan.Service {
	svc := plan.Service{Name: name, Cores: cores, Findings: fs}
	if st == nil {
		return svc
	}
	svc.CPU, svc.Events, svc.Runtime = st.CPUValue, float64(st.CPUSamples), st.Runtime
	for _, s := range a.analyzer.RuleSets(st) {
		svc.Sets = append(svc.Sets, plan.RuleSet{Rules: s.Rules, CPU: s.CPU, Events: s.Events})
	}
	return svc
}

// metricSavings gives each metric-rule finding the saving its service's
// profile findings explain (combined, each sample once), or leaves it
// unknown when the service has no profiles: a metric alone cannot know what
// a fix would save.
func metricSavings(cat *catalog.Catalog, fs []report.Finding, combined map[string]float64) {
	for i := range fs {
		r, ok := cat.Rule(fs[i].Rule)
		if !ok || r.Kind != catalog.KindMetric || fs[i].Rule == RuleDeployRegression {
			continue
		}
		if c, ok := combined[fs[i].Service]; ok {
			fs[i].ExpectedCPUReduction = report.Float(c)
		} else {
			fs[i].ExpectedCPUReduction = nil
		}
	}
}

// SignalSavings gives the metric-rule signals' findings the savings their
// services' profiles explain (combined shares by service), else unknown.
func (a *Advisor) SignalSavings(sigs []report.Signal, combined map[string]float64) {
	fs := make([]report.Finding, len(sigs))
	for i := range sigs {
		fs[i] = sigs[i].Finding
		fs[i].Rule, fs[i].Service = sigs[i].Rule, sigs[i].Service
	}
	metricSavings(a.cat, fs, combined)
	for i := range sigs {
		sigs[i].Finding.ExpectedCPUReduction = fs[i].ExpectedCPUReduction
	}
}
