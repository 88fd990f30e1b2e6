package attribution

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/framename"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/internal/stats"
)

// Evaluate returns one Signal per enabled profile rule with attributed CPU in s
// (Level = CPU share, Active = share ≥ threshold with ≥ MinSamples).
// profiler_overhead also gets a Signal when only metadata facts support it.
func (a *Analyzer) Evaluate(s *ServiceStats) []report.Signal {
	if s == nil {
		return nil
	}
	runtime := s.dominantRuntime()
	s.Runtime = runtime
	var out []report.Signal
	for _, r := range a.rules {
		rule := r.rule
		rs := s.Rules[rule.ID]
		facts := a.metadataFacts(s, rule.MetadataEvidence)
		if (rs == nil || rs.CPUValue <= 0) && len(facts) == 0 {
			continue
		}
		if s.CPUValue <= 0 && len(facts) == 0 {
			continue
		}
		var share, ruleCPU, ruleEvents float64
		if rs != nil {
			ruleCPU, ruleEvents = rs.CPUValue, rs.events
		}
		if s.CPUValue > 0 {
			share = clamp01(ruleCPU / s.CPUValue)
		}
		enough := s.CPUSamples >= a.opts.MinSamples
		active := enough && share >= rule.Threshold
		if rule.RaiseOnMetadata && len(facts) > 0 {
			active = true
		}
		sev := report.Severity(rule.SeverityFor(share))
		if !(enough && share >= rule.Threshold) && active {
			sev = report.SeverityInfo // raised by metadata alone
		}
		lo, hi := stats.Wilson(ruleEvents, s.events)
		f := report.Finding{
			Rule:                 rule.ID,
			Service:              s.Service,
			CPURatio:             report.Float(round4(share)),
			CPURatioInterval:     []float64{round4(lo), round4(hi)},
			Severity:             sev,
			ExpectedCPUReduction: report.Float(round4(rule.ExpectedReduction.Expected(share))),
			Runtime:              runtime,
			Samples:              int64(ruleEvents + 0.5),
		}
		// Advice for the runtime of the code at fault (librdkafka under a Go
		// service), else for the service's runtime, else the default.
		ev, rootRuntime := a.stackEvidence(s, rule.ID)
		f.Recommendation = rule.Recommendations[rootRuntime]
		if f.Recommendation == "" {
			f.Recommendation = rule.Recommendation(runtime)
		}
		ev = append(ev, tagEvidence(rule, rs, s.CPUValue)...)
		ev = append(ev, facts...)
		if !enough {
			ev = append(ev, report.Evidence{Kind: "metadata",
				Description: fmt.Sprintf("only %d CPU samples for this service (minimum %d): share not judged", s.CPUSamples, a.opts.MinSamples)})
		}
		f.Evidence = ev
		out = append(out, report.Signal{
			Rule:      rule.ID,
			Service:   s.Service,
			Active:    active,
			Level:     share,
			Threshold: rule.Threshold,
			Finding:   f,
		})
	}
	return out
}

// dominantRuntime is the stack dialect with the most CPU.
func (s *ServiceStats) dominantRuntime() string {
	best, bestV := framename.Unknown, 0.0
	for d, v := range s.byDialect {
		if v > bestV {
			best, bestV = framename.Dialect(d), v
		}
	}
	switch best {
	case framename.Kernel, framename.Unknown, framename.Other:
		if bestV > 0 {
			return framename.Native.String()
		}
		if s.Runtime != "" {
			return s.Runtime
		}
		return ""
	}
	return best.String()
}

// stackEvidence returns the top stacks and the dialect of the heaviest
// stack's root frame (whose advice fits best: librdkafka under a Go service).
func (a *Analyzer) stackEvidence(s *ServiceStats, id string) ([]report.Evidence, string) {
	cs := s.candidatesOf(id)
	if len(cs) == 0 || s.CPUValue <= 0 {
		return nil, ""
	}
	list := make([]*candidate, 0, len(cs))
	for i := range cs {
		list = append(list, &cs[i])
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].cpu != list[j].cpu {
			return list[i].cpu > list[j].cpu
		}
		return strings.Join(list[i].frames, ";") < strings.Join(list[j].frames, ";")
	})
	if len(list) > a.opts.MaxEvidenceStacks {
		list = list[:a.opts.MaxEvidenceStacks]
	}
	out := make([]report.Evidence, 0, len(list))
	for _, c := range list {
		out = append(out, report.Evidence{
			Kind:   "stack",
			Share:  report.Float(round4(c.cpu / s.CPUValue)),
			Frames: append([]string(nil), c.frames...),
		})
	}
	rt := ""
	if d := list[0].rootDialect; d != framename.Unknown {
		rt = d.String()
		if d == framename.Kernel {
			rt = framename.Native.String()
		}
	}
	return out, rt
}

// tagEvidence splits the rule's CPU by its tags (full vs resumed handshakes).
func tagEvidence(rule catalog.Rule, rs *RuleStats, total float64) []report.Evidence {
	if rs == nil || len(rs.Tags) == 0 || total <= 0 || rs.CPUValue <= 0 {
		return nil
	}
	var out []report.Evidence
	seen := map[string]bool{}
	tagged := 0.0
	for _, sig := range rule.Signatures {
		for _, t := range sig.Tags {
			if seen[t.Name] {
				continue
			}
			seen[t.Name] = true
			v := rs.Tags[t.Name]
			tagged += v
			desc := t.Description
			if desc == "" {
				desc = t.Name
			}
			out = append(out, report.Evidence{
				Kind:        "metadata",
				Description: fmt.Sprintf("%s: %.1f%% of the rule's CPU", desc, 100*v/rs.CPUValue),
				Share:       report.Float(round4(v / total)),
				Series:      "tag:" + t.Name,
				Value:       report.Float(round4(v / rs.CPUValue)),
			})
		}
	}
	if tagged > 0 && len(out) > 1 {
		// The kinds' split among tagged samples: steps both kinds share
		// (key exchange) cannot be told apart per sample.
		parts := make([]string, 0, len(out))
		for _, e := range out {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", strings.TrimPrefix(e.Series, "tag:"), 100**e.Value*rs.CPUValue/tagged))
		}
		out = append(out, report.Evidence{Kind: "metadata", Series: "tag:split",
			Description: "split of the tagged CPU: " + strings.Join(parts, ", ")})
	}
	if rest := rs.CPUValue - tagged; rest > 0 {
		out = append(out, report.Evidence{
			Kind:        "metadata",
			Description: fmt.Sprintf("not classified by tags (shared steps): %.1f%% of the rule's CPU", 100*rest/rs.CPUValue),
			Share:       report.Float(round4(rest / total)),
			Series:      "tag:other",
			Value:       report.Float(round4(rest / rs.CPUValue)),
		})
	}
	return out
}

// metadataFacts reads the facts a rule cites (catalog metadata_evidence):
// block/mutex profiling on, the CPU sampling rate.
func (a *Analyzer) metadataFacts(s *ServiceStats, cited []string) []report.Evidence {
	if len(cited) == 0 {
		return nil
	}
	var out []report.Evidence
	if s.BlockProfile && slices.Contains(cited, catalog.FactBlockProfile) {
		out = append(out, report.Evidence{Kind: "metadata",
			Description: fmt.Sprintf("block profiling is enabled (%d contention events recorded); every channel/select/sync operation pays for it: runtime.SetBlockProfileRate(0) unless debugging", s.BlockEvents),
			Series:      "block_profile", Value: report.Float(float64(s.BlockEvents))})
	}
	if s.MutexProfile && slices.Contains(cited, catalog.FactMutexProfile) {
		out = append(out, report.Evidence{Kind: "metadata",
			Description: fmt.Sprintf("mutex profiling is enabled (%d contention events recorded): runtime.SetMutexProfileFraction(0) unless debugging", s.MutexEvents),
			Series:      "mutex_profile", Value: report.Float(float64(s.MutexEvents))})
	}
	// 10% slack: the eBPF profiler's 20 Hz is the guide's 19 Hz in spirit.
	if s.SamplingHz > a.opts.MaxSamplingHz*1.1 && slices.Contains(cited, catalog.FactCPUSamplingRate) {
		out = append(out, report.Evidence{Kind: "metadata",
			Description: fmt.Sprintf("CPU profile sampled at %.0f Hz, above the %.0f Hz continuous-profiling ceiling", s.SamplingHz, a.opts.MaxSamplingHz),
			Series:      "cpu_sampling_hz", Value: report.Float(round4(s.SamplingHz))})
	}
	return out
}

func clamp01(v float64) float64 {
	switch {
	case math.IsNaN(v) || v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
