package attribution

import (
	"math/bits"
	"sort"
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// candidate is one evidence stack of a (service, rule): frames root→leaf,
// trimmed, with the CPU it carried.
type candidate struct {
	frames      []string
	cpu         float64
	rootDialect framename.Dialect
}

// flushEvidence keeps, per rule, the heaviest stacks of the profile just
// read, merged by their trimmed frames into a bounded candidate set.
func (m *message) flushEvidence(ss *ServiceStats) {
	if len(m.touched) == 0 {
		return
	}
	K := m.a.opts.MaxEvidenceStacks
	// Order once by CPU; each rule then takes its first K stacks.
	sort.Slice(m.touched, func(i, j int) bool {
		a, b := m.touched[i], m.touched[j]
		if m.stackCPU[a] != m.stackCPU[b] {
			return m.stackCPU[a] > m.stackCPU[b]
		}
		return a < b
	})
	var taken [64]int
	var full uint64 // rules that have K stacks already
	all := uint64(0)
	for _, r := range m.a.rules {
		all |= r.bit
	}
	for _, si := range m.touched {
		rules := m.stacks[si].rules &^ full
		for r := rules; r != 0; r &= r - 1 {
			ri := bits.TrailingZeros64(r)
			m.addCandidate(ss, ri, si)
			taken[ri]++
			if taken[ri] >= K {
				full |= 1 << uint(ri)
			}
		}
		if full&all == all {
			break
		}
	}
}

func (m *message) addCandidate(ss *ServiceStats, ri int, si int32) {
	id := m.a.rules[ri].rule.ID
	if ss.candidates == nil {
		ss.candidates = map[string]map[string]*candidate{}
	}
	cs := ss.candidates[id]
	if cs == nil {
		cs = map[string]*candidate{}
		ss.candidates[id] = cs
	}
	frames, d := m.evidenceFrames(si, m.a.rules[ri].bit)
	key := strings.Join(frames, "\x00")
	if c, ok := cs[key]; ok {
		c.cpu += m.stackCPU[si]
		return
	}
	cs[key] = &candidate{frames: frames, cpu: m.stackCPU[si], rootDialect: d}
	if K := m.a.opts.MaxEvidenceStacks; len(cs) > 8*K {
		trimCandidates(cs, 4*K)
	}
}

func trimCandidates(cs map[string]*candidate, keep int) {
	type kv struct {
		k string
		c *candidate
	}
	all := make([]kv, 0, len(cs))
	for k, c := range cs {
		all = append(all, kv{k, c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].c.cpu != all[j].c.cpu {
			return all[i].c.cpu > all[j].c.cpu
		}
		return all[i].k < all[j].k
	})
	for _, e := range all[keep:] {
		delete(cs, e.k)
	}
}

// evidenceFrames renders a stack root→leaf from two callers above the frame
// that armed the rule, eliding the middle of long stacks.
func (m *message) evidenceFrames(si int32, bit uint64) ([]string, framename.Dialect) {
	locs := m.stkTab.At(int(si)).LocationIndices()
	n := locs.Len()
	stop := 0
	if n > m.a.opts.MaxStackDepth {
		stop = n - m.a.opts.MaxStackDepth
	}
	var all []*fnClass
	for i := n - 1; i >= stop; i-- {
		lm, ok := m.loc(locs.At(i))
		if !ok {
			return nil, framename.Unknown
		}
		for j := lm.off + lm.n - 1; j >= lm.off; j-- {
			all = append(all, m.slab[j])
		}
	}
	if len(all) == 0 {
		return nil, framename.Unknown
	}
	var excluded, armed uint64
	arm := 0
	for i, c := range all {
		excluded |= c.excl &^ armed
		if armed&bit == 0 && c.root&bit != 0 && excluded&bit == 0 {
			armed |= bit
			arm = i
		}
	}
	start := arm - 2
	if start < 0 {
		start = 0
	}
	frames := make([]string, 0, len(all)-start)
	for _, c := range all[start:] {
		frames = append(frames, display(c.frame))
	}
	if max := m.a.opts.MaxEvidenceFrames; len(frames) > max {
		head := max * 2 / 3
		tail := max - head - 1
		frames = append(append(frames[:head:head], "…"), frames[len(frames)-tail:]...)
	}
	return frames, all[arm].frame.Dialect
}

func display(f framename.Frame) string {
	name := f.Name
	if name == "" {
		name = "[unknown]"
	}
	if f.Dialect == framename.Python && f.File != "" {
		return name + " (" + f.File + ")"
	}
	return name
}
