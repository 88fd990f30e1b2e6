// Package report holds the finding model shared by the engine, the metric
// rules, the CLI and the collector processor (docs/design.md §4, §5).
package report

import (
	"encoding/json"
	"sort"
)

// Severity of a finding, as written to JSON, metrics and logs.
type Severity string

const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Evidence is one piece of support for a finding: a stack (root→leaf), a
// metric series, or a fact read from profile metadata.
type Evidence struct {
	Kind        string   `json:"kind"` // "stack", "series" or "metadata"
	Description string   `json:"description,omitempty"`
	Share       *float64 `json:"share,omitempty"` // share of the service's CPU (stacks) or of the rule's CPU
	Frames      []string `json:"frames,omitempty"`
	Series      string   `json:"series,omitempty"`
	Value       *float64 `json:"value,omitempty"`
}

// Finding is one piece of advice for one (rule, service).
type Finding struct {
	Rule             string    `json:"rule"`
	Service          string    `json:"service"`
	CPURatio         *float64  `json:"cpu_ratio"`
	CPURatioInterval []float64 `json:"cpu_ratio_interval,omitempty"` // 95% confidence interval [low, high]
	Value            *float64  `json:"value"`
	Severity         Severity  `json:"severity"`
	// ExpectedCPUReduction is the share of CPU the fix is expected to save;
	// null where unknown (a metric rule of a service without profiles).
	ExpectedCPUReduction *float64   `json:"expected_cpu_reduction"`
	Recommendation       string     `json:"recommendation"`
	Runtime              string     `json:"runtime,omitempty"`
	Samples              int64      `json:"samples,omitempty"`
	Evidence             []Evidence `json:"evidence"`
}

// Report is the CLI's JSON document.
type Report struct {
	Findings []Finding `json:"findings"`
	// Services: every service seen, judged or not and why.
	Services []Coverage `json:"services"`
}

// Coverage says whether a service could be judged, and why not: silence
// about a service that could not be judged must never look like health.
type Coverage struct {
	Service    string   `json:"service"`
	Judged     bool     `json:"judged"`
	Reason     *string  `json:"reason"`         // why not judged; null when judged
	CPUSamples int64    `json:"cpu_samples"`    // estimated CPU sample count
	CPUSeconds float64  `json:"cpu_seconds"`    // profiled CPU time
	Runtimes   []string `json:"runtimes"`       // e.g. ["go"], ["native","python"]
	Note       string   `json:"note,omitempty"` // qualifies a judged service (e.g. by metrics alone)
}

// MarshalJSON keeps "findings", "services" and each "evidence" a list, never null.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	p := plain(r)
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	if p.Services == nil {
		p.Services = []Coverage{}
	}
	for i := range p.Services {
		if p.Services[i].Runtimes == nil {
			p.Services = append([]Coverage(nil), p.Services...) // the caller's slice stays as it was
			for j := range p.Services {
				if p.Services[j].Runtimes == nil {
					p.Services[j].Runtimes = []string{}
				}
			}
			break
		}
	}
	for i := range p.Findings {
		if p.Findings[i].Evidence == nil {
			p.Findings[i].Evidence = []Evidence{}
		}
	}
	return json.Marshal(p)
}

// Sort orders findings by service, then rule, for stable output.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Service != fs[j].Service {
			return fs[i].Service < fs[j].Service
		}
		return fs[i].Rule < fs[j].Rule
	})
}

// Expected is the expected CPU reduction, 0 when unknown.
func (f Finding) Expected() float64 {
	if f.ExpectedCPUReduction == nil {
		return 0
	}
	return *f.ExpectedCPUReduction
}

// Float returns a pointer to v, for the optional numeric fields.
func Float(v float64) *float64 { return &v }

// Signal is a rule's current reading for one service, whether or not it is
// above its threshold. The processor feeds signals to the finding lifecycle;
// the CLI reports those that are Active.
type Signal struct {
	Rule    string
	Service string
	// Active: the reading is at or above the rule's threshold with enough data.
	Active bool
	// Level is what the threshold is compared with: the CPU share for profile
	// rules, the rule's value for metric rules. Hysteresis compares it too.
	Level float64
	// Threshold the rule used, for the lifecycle's lower (resolve) level.
	Threshold float64
	// Finding is filled in whenever there is enough data to describe one.
	Finding Finding
}
