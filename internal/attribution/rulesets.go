package attribution

import (
	"math/bits"
	"sort"
)

// maxOverlaps bounds the distinct rule combinations a service keeps; seven
// built-in rules have 120 combinations of two or more, few of which occur.
const maxOverlaps = 256

// RuleSet is the CPU of a service's samples attributed to exactly these rules.
type RuleSet struct {
	Rules  []string
	CPU    float64 // nanoseconds
	Events float64
}

// RuleSets partitions the service's attributed CPU by the set of rules each
// sample counted for, so a saving can count a sample once however many
// rules it is attributed to. Sorted by the rules' names.
func (a *Analyzer) RuleSets(st *ServiceStats) []RuleSet {
	if st == nil {
		return nil
	}
	alone := map[string]*RuleSet{}
	for id, rs := range st.Rules {
		alone[id] = &RuleSet{Rules: []string{id}, CPU: rs.CPUValue, Events: rs.events}
	}
	var out []RuleSet
	for _, o := range st.overlaps {
		set := RuleSet{CPU: o.cpu, Events: o.events}
		for m := o.mask; m != 0; m &= m - 1 {
			b := bits.TrailingZeros64(m)
			if b >= len(a.rules) {
				continue
			}
			id := a.rules[b].rule.ID
			set.Rules = append(set.Rules, id)
			if s := alone[id]; s != nil {
				s.CPU -= o.cpu
				s.Events -= o.events
			}
		}
		sort.Strings(set.Rules)
		out = append(out, set)
	}
	for _, s := range alone {
		if s.CPU > 0 {
			out = append(out, *s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return lessNames(out[i].Rules, out[j].Rules) })
	return out
}

func lessNames(a, b []string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
