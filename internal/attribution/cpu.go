package attribution

import (
	"fmt"
	"math/bits"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// profAcc is one profile's contribution, merged only if the profile is valid.
type profAcc struct {
	cpu, events float64
	unnamed     float64 // CPU of samples whose leaf is an unnamed native frame
	rules       [64]float64
	ruleEvents  [64]float64
	tags        [64]float64
	byDialect   [framename.Other + 1]float64
	truncated   int64
	minT, maxT  uint64
	dialects    uint16
	// overlaps: samples attributed to several rules at once, by rule mask
	// (a few masks per profile: a linear search beats a map).
	overlaps []overlap
}

// overlap is the CPU of samples attributed to exactly the rules of mask.
type overlap struct {
	mask        uint64
	cpu, events float64
}

func addOverlap(list []overlap, mask uint64, cpu, events float64) []overlap {
	for i := range list {
		if list[i].mask == mask {
			list[i].cpu += cpu
			list[i].events += events
			return list
		}
	}
	return append(list, overlap{mask, cpu, events})
}

// cpu attributes one CPU profile.
func (m *message) cpu(p pprofile.Profile, k kind, t profileType, ss *ServiceStats, w *Window) error {
	period := float64(p.Period())
	// A period the producer states in CPU nanoseconds (an SDK may leave the
	// period type empty), within what samplers really use.
	declared := ((cpuName(t.period) || t.period == "") && (t.periodUnit == "nanoseconds" || t.periodUnit == "") || t.name == "process_cpu") &&
		plausiblePeriod(period)
	if !declared {
		period = 0
	}
	if k == kindCPUNanos && period == 0 {
		// JFR conversions write 1e9, pyroscope-dotnet 1: the sample count
		// comes from the values themselves.
		period = estimatePeriod(p.Samples())
	}
	if k == kindCPUCount && period == 0 && t.period == "" {
		period = sdkPeriod
	}
	var acc profAcc
	defer m.resetStackCPU()
	samples := p.Samples()
	if !m.resolved && samples.Len() > 0 {
		// Resolve every location up front, in table order: a dictionary holds
		// what its profiles reference, and a sequential pass costs less than
		// resolving in stack order. An invalid location stays a counted drop
		// for the stacks that reference it, as before.
		m.resolved = true
		for li := range m.locs {
			m.loc(int32(li))
		}
	}
	for i := 0; i < samples.Len(); i++ {
		s := samples.At(i)
		var sum int64
		vals := s.Values()
		for j := 0; j < vals.Len(); j++ {
			v := vals.At(j)
			if v < 0 {
				return fmt.Errorf("sample %d: negative value %d", i, v)
			}
			sum += v
			if sum < 0 {
				return fmt.Errorf("sample %d: value overflow", i)
			}
		}
		ts := s.TimestampsUnixNano()
		var weight, events float64
		switch {
		case vals.Len() == 0:
			// eBPF: one event per timestamp, each worth one period of CPU.
			events = float64(ts.Len())
			weight = events * periodOr(period)
		case k == kindCPUNanos:
			weight = float64(sum)
			if period > 0 {
				events = weight / period
			} else {
				events = 1
			}
		default:
			events = float64(sum)
			weight = events * periodOr(period)
		}
		if weight == 0 {
			continue
		}
		// Under the analysis budget a walked profile stands for the unwalked
		// (budget.go); its events stay the samples really read.
		weight *= ss.weight
		for j := 0; j < ts.Len(); j++ {
			t := ts.At(j)
			if acc.minT == 0 || t < acc.minT {
				acc.minT = t
			}
			if t > acc.maxT {
				acc.maxT = t
			}
		}
		sm := m.stack(s.StackIndex())
		if sm == nil {
			return fmt.Errorf("sample %d: invalid stack index %d or a location, function or string it references", i, s.StackIndex())
		}
		if sm.state == 3 {
			acc.truncated++
		}
		acc.cpu += weight
		acc.events += events
		if sm.unnamedLeaf {
			acc.unnamed += weight
		}
		acc.byDialect[sm.dialect] += weight
		acc.dialects |= sm.dialects
		if sm.rules == 0 {
			continue
		}
		for r := sm.rules; r != 0; r &= r - 1 {
			b := bits.TrailingZeros64(r)
			acc.rules[b] += weight
			acc.ruleEvents[b] += events
		}
		if sm.rules&(sm.rules-1) != 0 {
			acc.overlaps = addOverlap(acc.overlaps, sm.rules, weight, events)
		}
		for t := sm.tags; t != 0; t &= t - 1 {
			acc.tags[bits.TrailingZeros64(t)] += weight
		}
		si := s.StackIndex()
		if m.stackCPU[si] == 0 {
			m.touched = append(m.touched, si)
		}
		m.stackCPU[si] += weight
	}

	// Valid: merge into the service.
	ss.CPUValue += acc.cpu
	ss.events += acc.events
	ss.unnamedCPU += acc.unnamed
	ss.CPUSamples = int64(ss.events + 0.5)
	for d, v := range acc.byDialect {
		ss.byDialect[d] += v
	}
	ss.Runtime = ss.dominantRuntime()
	ss.dialects |= acc.dialects
	w.TruncatedStacks += acc.truncated
	for i, r := range m.a.rules {
		if acc.rules[i] == 0 {
			continue
		}
		rs := ss.Rules[r.rule.ID]
		if rs == nil {
			rs = &RuleStats{}
			ss.Rules[r.rule.ID] = rs
		}
		rs.CPUValue += acc.rules[i]
		rs.events += acc.ruleEvents[i]
		rs.Samples = int64(rs.events + 0.5)
	}
	for _, o := range acc.overlaps {
		if len(ss.overlaps) < maxOverlaps || slices.ContainsFunc(ss.overlaps, func(x overlap) bool { return x.mask == o.mask }) {
			ss.overlaps = addOverlap(ss.overlaps, o.mask, o.cpu, o.events)
		}
	}
	for ti, t := range m.a.tags {
		if acc.tags[ti] == 0 {
			continue
		}
		rs := ss.Rules[m.a.rules[t.rule].rule.ID]
		if rs.Tags == nil {
			rs.Tags = map[string]float64{}
		}
		rs.Tags[t.name] += acc.tags[ti]
	}
	m.flushEvidence(ss)
	if declared {
		if hz := 1e9 / period; hz > ss.SamplingHz {
			ss.SamplingHz = hz
		}
	}
	m.span(p, ss, acc.minT, acc.maxT)
	return nil
}

func (m *message) resetStackCPU() {
	for _, si := range m.touched {
		m.stackCPU[si] = 0
	}
	m.touched = m.touched[:0]
}

// Sampling periods outside 10 kHz … 5 Hz are not what a CPU sampler uses:
// a producer's placeholder (1 ns, 1 s) rather than a rate.
const (
	minPeriod = 1e5
	maxPeriod = 2e8
	// sdkPeriod is the Pyroscope SDKs' default rate (100 Hz), for count
	// profiles that state no period.
	sdkPeriod = 1e7
)

func plausiblePeriod(p float64) bool { return p >= minPeriod && p <= maxPeriod }

// estimatePeriod infers the sampling period of a cpu/nanoseconds profile
// from its values: each is a whole number of periods, so their greatest
// common divisor is the period (or a multiple of it when every sample holds
// several). Values with no common period (measured CPU time) give the SDKs'
// default rate; a divisor above the plausible range is capped there.
func estimatePeriod(samples pprofile.SampleSlice) float64 {
	var g uint64
	for i := 0; i < samples.Len(); i++ {
		var sum uint64
		for _, v := range samples.At(i).Values().All() {
			if v > 0 {
				sum += uint64(v)
			}
		}
		if sum == 0 {
			continue
		}
		g = gcd(g, sum)
		if g < minPeriod {
			return sdkPeriod
		}
	}
	switch {
	case g == 0:
		return 0 // no values: events are timestamps, at the default period
	case float64(g) > maxPeriod:
		return maxPeriod
	}
	return float64(g)
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// periodOr: without a CPU period an event is worth the eBPF profiler's default 50 ms (20 Hz).
func periodOr(p float64) float64 {
	if p > 0 {
		return p
	}
	return 5e7
}

func (m *message) span(p pprofile.Profile, ss *ServiceStats, minT, maxT uint64) {
	start, end := uint64(p.Time()), uint64(p.Time())+p.DurationNano()
	if start == 0 || minT != 0 && minT < start {
		start = minT
	}
	if maxT > end {
		end = maxT
	}
	if start == 0 {
		return
	}
	st, en := time.Unix(0, int64(start)).UTC(), time.Unix(0, int64(end)).UTC()
	if ss.Start.IsZero() || st.Before(ss.Start) {
		ss.Start = st
	}
	if en.After(ss.End) {
		ss.End = en
	}
}
