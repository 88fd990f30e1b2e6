// Package plan turns a fleet's findings into the guide's plan: per service
// the combined expected saving (each CPU sample saved once, however many
// rules it is attributed to), in shares and cores, and the fixes ordered by
// saving per effort into phases with a total each.
//
// The combined model: a rule r alone is expected to save
// f_r·max(0, s_r − φ_r) of the service's CPU (its catalog reduction:
// fraction f_r, floor φ_r, share s_r). Spread over its samples, that is a
// per-sample fraction g_r = f_r·max(0, 1 − φ_r/s_r). A sample attributed to
// several raised rules is saved once, at the largest of their g_r. One rule
// alone gives back exactly its own expected saving; rules on disjoint
// samples add up; overlapping rules count their shared samples once.
package plan

import (
	"math"
	"sort"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// RuleSet is the CPU of the samples attributed to exactly these rules.
type RuleSet struct {
	Rules  []string
	CPU    float64 // nanoseconds
	Events float64 // sampled CPU events
}

// Service is one service's input to the plan.
type Service struct {
	Name string
	// CPU and Events of all its profiled CPU; Sets partition the attributed part.
	CPU, Events float64
	Sets        []RuleSet
	// Cores the service uses (metrics, else profiles); nil when unknown.
	Cores *float64
	// Runtime of its code (for effort and examples).
	Runtime string
	// Findings raised for it: profile and metric rules.
	Findings []report.Finding
}

// Phase names, as the guide groups its fixes.
const (
	PhaseQuickWins  = "Phase 1: quick wins (configuration, this week)"
	PhaseNextSprint = "Phase 2: code changes (next sprint)"
	PhaseLater      = "Phase 3: investigate (next month)"
)

var phaseOf = map[string]string{
	catalog.EffortConfiguration:     PhaseQuickWins,
	catalog.EffortDependencySetting: PhaseQuickWins,
	catalog.EffortCodeChange:        PhaseNextSprint,
	catalog.EffortInvestigation:     PhaseLater,
}

// effortWeight ranks fixes by saving per effort: a configuration change is
// a deploy, a code change a sprint's work.
var effortWeight = map[string]float64{
	catalog.EffortConfiguration:     1,
	catalog.EffortDependencySetting: 1.5,
	catalog.EffortCodeChange:        3,
	catalog.EffortInvestigation:     5,
}

// Saving is a share of a service's CPU with its 95% interval.
type Saving struct {
	Share    float64   `json:"expected_cpu_reduction"`
	Interval []float64 `json:"expected_cpu_reduction_interval"`
}

// ServicePlan is one service's line of the plan.
type ServicePlan struct {
	Service string `json:"service"`
	// CPUCores is null when unknown.
	CPUCores *float64 `json:"cpu_cores"`
	// ExpectedCPUReduction: combined over its profile findings; null without profiles.
	ExpectedCPUReduction         *float64  `json:"expected_cpu_reduction"`
	ExpectedCPUReductionInterval []float64 `json:"expected_cpu_reduction_interval"`
	ExpectedCoresSaved           *float64  `json:"expected_cores_saved"`
	Findings                     []string  `json:"findings"`
	// Note says why a saving is unknown.
	Note string `json:"note,omitempty"`
}

// Item is one fix in a phase.
type Item struct {
	Rule    string `json:"rule"`
	Service string `json:"service"`
	// ExpectedCPUReduction is the rule's own saving (null for a metric rule:
	// its saving is what the service's profile findings explain).
	ExpectedCPUReduction *float64 `json:"expected_cpu_reduction"`
	ExpectedCoresSaved   *float64 `json:"expected_cores_saved"`
	Effort               string   `json:"effort"`
	Runtime              string   `json:"runtime,omitempty"`
	// Note says where a metric rule's saving is counted, or why it is unknown.
	Note string `json:"note,omitempty"`
}

// Phase is a group of fixes of similar effort; its total counts each
// sample once, after the phases before it.
type Phase struct {
	Name               string  `json:"name"`
	Items              []Item  `json:"items"`
	ExpectedCoresSaved float64 `json:"expected_cores_saved"`
}

// Plan is the whole fleet's plan.
type Plan struct {
	Services                []ServicePlan `json:"services"`
	Phases                  []Phase       `json:"phases"`
	TotalExpectedCoresSaved float64       `json:"total_expected_cores_saved"`
	// FleetCores is the CPU of the services whose usage is known.
	FleetCores float64 `json:"fleet_cores"`
}

// Build makes the plan of services with cat's reduction models and efforts.
func Build(cat *catalog.Catalog, services []Service) Plan {
	var p Plan
	phases := map[string]*Phase{}
	for _, name := range []string{PhaseQuickWins, PhaseNextSprint, PhaseLater} {
		phases[name] = &Phase{Name: name, Items: []Item{}}
	}
	sort.Slice(services, func(i, j int) bool { return services[i].Name < services[j].Name })
	for _, svc := range services {
		sp := ServicePlan{Service: svc.Name, CPUCores: svc.Cores, Findings: []string{}}
		if svc.Cores != nil {
			p.FleetCores += *svc.Cores
		}
		frac := fractions(cat, svc)
		raised := map[string]bool{}
		byPhase := map[string][]string{}
		for _, f := range svc.Findings {
			sp.Findings = append(sp.Findings, f.Rule)
			rule, _ := cat.Rule(f.Rule)
			rt := f.Runtime
			if rt == "" {
				rt = svc.Runtime
			}
			effort := rule.EffortFor(rt)
			item := Item{Rule: f.Rule, Service: svc.Name, Effort: effort, Runtime: rt}
			if _, profile := frac[f.Rule]; profile {
				raised[f.Rule] = true
				e := f.Expected()
				item.ExpectedCPUReduction = &e
				item.ExpectedCoresSaved = times(svc.Cores, e)
			}
			if item.ExpectedCPUReduction == nil {
				item.Note = "profile this service: what fixing it saves is unknown"
				if svc.Events > 0 {
					item.Note = "counted in the service's profile findings"
				}
			}
			ph := phaseOf[effort]
			byPhase[ph] = append(byPhase[ph], f.Rule)
			phases[ph].Items = append(phases[ph].Items, item)
		}
		if sv, ok := ServiceSaving(cat, svc); ok {
			c := sv.Share
			sp.ExpectedCPUReduction = &c
			sp.ExpectedCPUReductionInterval = sv.Interval
			sp.ExpectedCoresSaved = times(svc.Cores, c)
		} else {
			sp.Note = "no profiles: profile this service to know what its fixes would save"
		}
		if sp.ExpectedCoresSaved != nil {
			p.TotalExpectedCoresSaved += *sp.ExpectedCoresSaved
		}
		// Phase totals: what each phase adds after the ones before it.
		done := map[string]bool{}
		before := 0.0
		for _, name := range []string{PhaseQuickWins, PhaseNextSprint, PhaseLater} {
			for _, r := range byPhase[name] {
				if raised[r] {
					done[r] = true
				}
			}
			if svc.Events == 0 || svc.Cores == nil {
				continue
			}
			now, _, _ := Combined(svc, frac, done)
			phases[name].ExpectedCoresSaved += (now - before) * *svc.Cores
			before = now
		}
		p.Services = append(p.Services, sp)
	}
	for _, name := range []string{PhaseQuickWins, PhaseNextSprint, PhaseLater} {
		ph := phases[name]
		sort.SliceStable(ph.Items, func(i, j int) bool { return rank(ph.Items[i]) > rank(ph.Items[j]) })
		ph.ExpectedCoresSaved = round(ph.ExpectedCoresSaved)
		p.Phases = append(p.Phases, *ph)
	}
	p.TotalExpectedCoresSaved = round(p.TotalExpectedCoresSaved)
	p.FleetCores = round(p.FleetCores)
	return p
}

// ServiceSaving is what fixing every raised profile finding of the service
// is expected to save together, each sample once; ok is false without
// profiled CPU (the saving is unknown).
func ServiceSaving(cat *catalog.Catalog, svc Service) (Saving, bool) {
	if !(svc.Events > 0) {
		return Saving{}, false
	}
	frac := fractions(cat, svc)
	raised := map[string]bool{}
	for _, f := range svc.Findings {
		if _, ok := frac[f.Rule]; ok {
			raised[f.Rule] = true
		}
	}
	c, lo, hi := Combined(svc, frac, raised)
	return Saving{Share: c, Interval: []float64{lo, hi}}, true
}

// rank is saving per effort: cores where known, else the share.
func rank(it Item) float64 {
	v := 0.0
	switch {
	case it.ExpectedCoresSaved != nil:
		v = *it.ExpectedCoresSaved
	case it.ExpectedCPUReduction != nil:
		v = *it.ExpectedCPUReduction * 1e-3 // below any known-cores item
	}
	return v / effortWeight[it.Effort]
}

// fractions is g_r for every profile rule with CPU in the service.
func fractions(cat *catalog.Catalog, svc Service) map[string]float64 {
	ruleCPU := map[string]float64{}
	for _, set := range svc.Sets {
		for _, r := range set.Rules {
			ruleCPU[r] += set.CPU
		}
	}
	out := map[string]float64{}
	for r, cpu := range ruleCPU {
		rule, ok := cat.Rule(r)
		if !ok || rule.Kind == catalog.KindMetric || !(svc.CPU > 0) || !(cpu > 0) {
			continue
		}
		share := cpu / svc.CPU
		red := rule.ExpectedReduction
		out[r] = red.Fraction * math.Max(0, 1-red.Floor/share)
	}
	return out
}

// Combined is the share of the service's CPU the raised rules are expected
// to save together, each sample once at the largest fraction of its rules,
// with a 95% interval (delta method over the samples' saved fractions).
func Combined(svc Service, frac map[string]float64, raised map[string]bool) (share, lo, hi float64) {
	if !(svc.CPU > 0) || !(svc.Events > 0) {
		return 0, 0, 0
	}
	var mean, second float64 // E[x], E[x²] over CPU, x = a sample's saved fraction
	for _, set := range svc.Sets {
		x := 0.0
		for _, r := range set.Rules {
			if raised[r] {
				x = math.Max(x, frac[r])
			}
		}
		w := set.CPU / svc.CPU
		mean += w * x
		second += w * x * x
	}
	sd := math.Sqrt(math.Max(0, second-mean*mean) / svc.Events)
	return round(mean), round(math.Max(0, mean-1.959963984540054*sd)), round(math.Min(1, mean+1.959963984540054*sd))
}

func times(cores *float64, share float64) *float64 {
	if cores == nil {
		return nil
	}
	v := round(*cores * share)
	return &v
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }
