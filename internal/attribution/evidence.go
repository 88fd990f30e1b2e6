package attribution

import (
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

// evidence windows: callers kept above the frame that armed a rule, and
// frames kept below it. Stacks that agree on this window are one piece of
// evidence (GC or handshake work fans out into many leaves).
const (
	evAbove = 2
	evBelow = 5
)

type agg struct {
	rule   int
	cpu    float64
	rep    int32 // heaviest member stack
	repCPU float64
}

// flushEvidence folds the charged stacks of the profile just read into, per
// rule, the heaviest evidence windows, merged into a bounded candidate set.
func (m *message) flushEvidence(ss *ServiceStats) {
	if len(m.touched) == 0 {
		return
	}
	m.aggs = m.aggs[:0]
	refs := 0
	for _, si := range m.touched {
		refs += int(m.stacks[si].evN)
	}
	m.aggTab.reset(refs) // at most half full: probing always ends
	for _, si := range m.touched {
		sm := &m.stacks[si]
		w := m.stackCPU[si]
		for _, ref := range m.evRefs[sm.evOff : sm.evOff+int32(sm.evN)] {
			slot := m.aggTab.find(mix(ref.hash, uint64(ref.rule)))
			if *slot < 0 {
				*slot = int32(len(m.aggs))
				m.aggs = append(m.aggs, agg{rule: ref.rule, rep: si})
			}
			g := &m.aggs[*slot]
			g.cpu += w
			if w > g.repCPU || w == g.repCPU && si < g.rep {
				g.rep, g.repCPU = si, w
			}
		}
	}
	sort.Slice(m.aggs, func(i, j int) bool {
		a, b := &m.aggs[i], &m.aggs[j]
		switch {
		case a.rule != b.rule:
			return a.rule < b.rule
		case a.cpu != b.cpu:
			return a.cpu > b.cpu
		}
		return a.rep < b.rep
	})
	K := m.a.opts.MaxEvidenceStacks
	for i := 0; i < len(m.aggs); {
		j := i
		for j < len(m.aggs) && m.aggs[j].rule == m.aggs[i].rule {
			if j-i < K {
				m.addCandidate(ss, m.aggs[j].rule, m.aggs[j].rep, m.aggs[j].cpu)
			}
			j++
		}
		i = j
	}
}

// hashTable maps window hashes to aggregate indices: open addressing with
// linear probing, reused between profiles (a Go map costs more per stack).
type hashTable struct {
	keys []uint64
	vals []int32
	mask uint64
}

func (t *hashTable) reset(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(t.keys) < size {
		t.keys, t.vals = make([]uint64, size), make([]int32, size)
	}
	t.keys, t.vals = t.keys[:size], t.vals[:size]
	clear(t.keys)
	t.mask = uint64(size - 1)
}

// find returns the value slot of k, -1 when k is new (0 is the empty key).
func (t *hashTable) find(k uint64) *int32 {
	if k == 0 {
		k = 1
	}
	for i := k & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			return &t.vals[i]
		case 0:
			t.keys[i] = k
			t.vals[i] = -1
			return &t.vals[i]
		}
	}
}

// rootToLeaf lists a stack's frames root first (within the depth cap).
func (m *message) rootToLeaf(si int32, buf []slot) []slot {
	locs := m.stkTab.At(int(si)).LocationIndices()
	n := locs.Len()
	stop := 0
	if n > m.a.opts.MaxStackDepth {
		stop = n - m.a.opts.MaxStackDepth
	}
	for i := n - 1; i >= stop; i-- {
		lm := &m.locs[locs.At(i)] // validated when the stack was classified
		for j := lm.off + lm.n - 1; j >= lm.off; j-- {
			buf = append(buf, m.slab[j])
		}
	}
	return buf
}

// armAt replays the exclusion/root logic to find the frame that armed a rule.
func armAt(frames []slot, bit uint64) int {
	var excluded uint64
	for i := range frames {
		c := &frames[i]
		excluded |= c.excl
		if c.root&bit != 0 && excluded&bit == 0 {
			return i
		}
	}
	return 0
}

func (m *message) addCandidate(ss *ServiceStats, ri int, si int32, cpu float64) {
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
		c.cpu += cpu
		return
	}
	cs[key] = &candidate{frames: frames, cpu: cpu, rootDialect: d}
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

// evidenceFrames renders a stack's evidence window root→leaf: two callers
// above the frame that armed the rule, five frames below it, then the leaf.
func (m *message) evidenceFrames(si int32, bit uint64) ([]string, framename.Dialect) {
	all := m.rootToLeaf(si, nil)
	if len(all) == 0 {
		return nil, framename.Unknown
	}
	at := armAt(all, bit)
	from, to := max(at-evAbove, 0), min(at+evBelow+1, len(all))
	frames := make([]string, 0, to-from+2)
	for _, c := range all[from:to] {
		frames = append(frames, m.display(c))
	}
	switch {
	case to == len(all)-1:
		frames = append(frames, m.display(all[to]))
	case to < len(all)-1:
		frames = append(frames, "…", m.display(all[len(all)-1]))
	}
	return frames, all[at].dialect
}

func (m *message) display(s slot) string {
	c, ok := m.class(s.fn, s.hint)
	if !ok {
		return "[invalid]"
	}
	return display(c.frame)
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
