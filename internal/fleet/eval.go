package fleet

import (
	"math"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// maxReplaySteps bounds the sliding evaluation of a long replay.
const maxReplaySteps = 240

// Replay judges the whole input (CLI): a finding per (rule, service) raised at
// any point, with value computed over the whole input (docs/design.md §4).
//
// "At any point" is a sliding live evaluation over the input's event time
// (Window for the outlier, LongWindow for spikes, GrowthWindow for growth)
// plus one judgement of the whole input, which alone judges the baseline
// (it must hold over most of the input); the reported finding is always the
// whole-input one when the whole input has enough data.
func (s *Store) Replay() []report.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	lo, hi := s.bounds()
	if hi <= lo {
		return []report.Finding{}
	}
	whole := map[ruleKey]verdict{}
	raised := map[ruleKey]verdict{}
	note := func(vs []verdict, all map[ruleKey]verdict) {
		for _, v := range finiteOnly(vs) {
			k := ruleKey{v.rule, v.service}
			if all != nil {
				all[k] = v
			}
			if v.active {
				if old, ok := raised[k]; !ok || v.level > old.level {
					raised[k] = v
				}
			}
		}
	}
	cpu := s.cpuAll(lo, hi)
	note(s.judgeOutlier(cpu), whole)
	note(s.judgeBaseline(cpu), whole)
	note(s.judgeSpikes(cpu, lo), whole)
	note(s.judgeGrowth(lo, hi), whole)
	note(s.judgeCrossSignals(lo, hi), whole)

	s.slide(lo, hi, int64(s.cfg.Window), func(a, b int64) {
		note(s.judgeOutlier(s.cpuAll(a, b)), nil)
	})
	// the baseline is judged on the whole input only: it must hold over most of it
	s.slide(lo, hi, int64(s.cfg.LongWindow), func(a, b int64) {
		note(s.judgeSpikes(s.cpuAll(a-int64(spikeHistoryPad), b), a), nil)
	})
	s.slide(lo, hi, int64(s.cfg.GrowthWindow), func(a, b int64) {
		note(s.judgeGrowth(a, b), nil)
	})

	out := make([]report.Finding, 0, len(raised))
	for k, v := range raised {
		if w, ok := whole[k]; ok {
			v = w // the value over the whole input (docs/design.md §4)
		}
		out = append(out, v.finding)
	}
	report.Sort(out)
	return out
}

// finiteOnly drops readings that absurd input (values near the float range)
// turned into Inf or NaN: they must not reach JSON or the lifecycle.
func finiteOnly(vs []verdict) []verdict {
	out := vs[:0]
	for _, v := range vs {
		f := v.finding
		if !finite(v.level) || f.ExpectedCPUReduction != nil && !finite(*f.ExpectedCPUReduction) || f.Value != nil && !finite(*f.Value) {
			continue
		}
		for i := range f.Evidence {
			if e := &f.Evidence[i]; e.Value != nil && !finite(*e.Value) {
				e.Value = nil
			}
		}
		out = append(out, v)
	}
	return out
}

// spikeHistoryPad is history read before a live range so its first
// intervals have a rolling median (20 intervals at up to 60 s).
const spikeHistoryPad = 20 * time.Minute

// slide calls f on trailing windows of width w ending every w/2 across
// [lo, hi], when the input is longer than one window.
func (s *Store) slide(lo, hi, w int64, f func(a, b int64)) {
	if w <= 0 || hi-lo <= w {
		return
	}
	step := max(w/2, (hi-lo)/maxReplaySteps)
	for end := lo + w; end < hi+step; end += step {
		e := min(end, hi)
		f(e-w, e)
	}
}

// trim drops the intervals before a (history read for the spike rule).
func trim(cpu map[string]series, a int64) map[string]series {
	out := make(map[string]series, len(cpu))
	for name, sr := range cpu {
		i := 0
		for i < len(sr.t) && sr.t[i] < a {
			i++
		}
		sr.t, sr.v = sr.t[i:], sr.v[i:]
		if !sr.empty() {
			out[name] = sr
		}
	}
	return out
}

// bounds returns the earliest and newest event time held.
func (s *Store) bounds() (lo, hi int64) {
	lo, hi = math.MaxInt64, math.MinInt64
	for _, svc := range s.services {
		for _, st := range svc.streams {
			l := st.pts.live()
			if l.len() == 0 {
				continue
			}
			lo = min(lo, l.time(0))
			hi = max(hi, l.time(l.len()-1))
		}
	}
	return lo, hi
}

// Evaluate returns the metric rules' signals as of event time now (live
// collector): the outlier over the trailing Window, the floor and bursts over
// LongWindow, goroutine growth over GrowthWindow. A signal is Active when its
// level reaches the threshold and its gates pass; once raised, the gates
// (fleet size, burst count, persistence, fit) hold at lower keep levels, so
// a finding does not flap on their edges. Services with no data for longer
// than every window are forgotten.
func (s *Store) Evaluate(now time.Time) []report.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now.UnixNano()
	s.forget(t)
	var vs []verdict
	win := int64(s.cfg.Window)
	long := int64(s.cfg.LongWindow)
	// one build of every service's series serves all CPU rules
	c := s.cpuAll(t-max(long+int64(spikeHistoryPad), win), t)
	vs = append(vs, s.judgeOutlier(trim(c, t-win))...)
	vs = append(vs, s.judgeSpikes(c, t-long)...)
	vs = append(vs, s.judgeBaseline(trim(c, t-long))...)
	vs = append(vs, s.judgeGrowth(t-int64(s.cfg.GrowthWindow), t)...)
	vs = append(vs, s.judgeCrossSignals(t-long, t)...)

	out := make([]report.Signal, 0, len(vs))
	seen := map[ruleKey]bool{}
	for _, v := range finiteOnly(vs) {
		k := ruleKey{v.rule, v.service}
		seen[k] = true
		active := v.active
		if s.raised[k] && v.keep && v.level >= v.threshold {
			active = true // hysteresis on the gates; the level's own is the lifecycle's
		}
		s.raised[k] = active
		out = append(out, report.Signal{Rule: v.rule, Service: v.service, Active: active,
			Level: v.level, Threshold: v.threshold, Finding: v.finding})
	}
	for k := range s.raised {
		if !seen[k] {
			delete(s.raised, k)
		}
	}
	return out
}

// forget drops services whose newest point is older than every window, so a
// long-running collector's state follows the live fleet.
func (s *Store) forget(now int64) {
	horizon := max(s.cfg.Window, s.cfg.LongWindow+spikeHistoryPad, s.cfg.GrowthWindow)
	cut := now - int64(2*horizon)
	// Live CPU reads (Evaluate, then Usage at the same or a later time) start
	// at now-horizon at the earliest and use one point before their start,
	// so older CPU points are never read again; cross-signal streams stay
	// (Evidence reads all that is held). A stream empties exactly as before.
	cpuCut := now - int64(horizon)
	for name, t := range s.profiled {
		if t < cut {
			delete(s.profiled, name)
		}
	}
	for name, svc := range s.services {
		for h, st := range svc.streams {
			before := st.pts.len()
			st.pts.dropBefore(cut)
			if st.class.class == classCPU && !s.keepOldCPU {
				st.pts.dropBeforeKeepOne(cpuCut)
			}
			s.points -= int64(before - st.pts.len())
			if st.pts.len() == 0 {
				delete(svc.streams, h)
			}
		}
		if svc.latest < cut || len(svc.streams) == 0 {
			delete(s.services, name)
		}
	}
}

// Usage returns every tracked service's CPU as of event time now: mean cores
// over the trailing Window and that over the median of all services' cores.
func (s *Store) Usage(now time.Time) []ServiceUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := now.UnixNano()
	cpu := s.cpuAll(t-int64(s.cfg.Window), t)
	var all []float64
	out := make([]ServiceUsage, 0, len(cpu))
	for _, name := range sortedNames(cpu) {
		m := mean(cpu[name].v)
		if !finite(m) {
			continue
		}
		all = append(all, m)
		out = append(out, ServiceUsage{Service: name, Cores: m})
	}
	med := median(all)
	for i := range out {
		if med > 0 {
			out[i].FleetMedianRatio = out[i].Cores / med
		}
	}
	return out
}

// MeanCores is each service's mean CPU, in cores, over all the data held
// (the CLI's whole input).
func (s *Store) MeanCores() map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	lo, hi := s.bounds()
	out := map[string]float64{}
	if hi <= lo {
		return out
	}
	for name, sr := range s.cpuAll(lo, hi) {
		if m := mean(sr.v); finite(m) && !sr.empty() {
			out[name] = m
		}
	}
	return out
}
