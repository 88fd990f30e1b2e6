package attribution

import (
	"cmp"
	"hash/maphash"
	"slices"
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
	hash        uint64 // of the frames joined by NUL, to skip most comparisons
}

// ruleCandidates is one rule's evidence candidates in a ServiceStats.
type ruleCandidates struct {
	rule string
	list []candidate
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
	K := m.a.opts.MaxEvidenceStacks
	if K > maxSelect {
		slices.SortFunc(m.aggs, func(a, b agg) int {
			switch {
			case a.rule != b.rule:
				return cmp.Compare(a.rule, b.rule)
			case heavier(&a, &b):
				return -1
			case heavier(&b, &a):
				return 1
			}
			return 0
		})
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
		return
	}
	// Only the K heaviest windows of each rule become candidates: select them
	// (a rule's windows have distinct representatives, so the order is total)
	// instead of sorting every window.
	m.top = resize(m.top, len(m.a.rules)*K)
	var n [64]int
	for i := range m.aggs {
		g := &m.aggs[i]
		top := m.top[g.rule*K : g.rule*K+K]
		c := n[g.rule]
		if c == K {
			if !heavier(g, &top[K-1]) {
				continue
			}
			c--
		} else {
			n[g.rule]++
		}
		for c > 0 && heavier(g, &top[c-1]) {
			top[c] = top[c-1]
			c--
		}
		top[c] = *g
	}
	for r := range m.a.rules {
		for _, g := range m.top[r*K : r*K+n[r]] {
			m.addCandidate(ss, g.rule, g.rep, g.cpu)
		}
	}
}

// maxSelect: up to this many evidence stacks per rule, flushEvidence selects
// them by insertion; beyond, it sorts.
const maxSelect = 16

// heavier orders a rule's evidence windows: more CPU first, then the lower
// representative stack.
func heavier(a, b *agg) bool {
	return a.cpu > b.cpu || a.cpu == b.cpu && a.rep < b.rep
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
func (m *message) armAt(frames []slot, bit uint64) int {
	var excluded uint64
	for i := range frames {
		e := &m.classes[frames[i].cls]
		if e.arm&bit != 0 && excluded&bit == 0 {
			return i
		}
		excluded |= e.excl
	}
	return 0
}

func (m *message) addCandidate(ss *ServiceStats, ri int, si int32, cpu float64) {
	id := m.a.rules[ri].rule.ID
	rc := ss.ruleCandidates(id)
	frames, d := m.evidenceFrames(si, m.a.rules[ri].bit)
	kb := m.keyBuf[:0]
	for i, f := range frames {
		if i > 0 {
			kb = append(kb, 0)
		}
		kb = append(kb, f...)
	}
	m.keyBuf = kb
	h := maphash.Bytes(candidateSeed, kb)
	for i := range rc.list {
		if c := &rc.list[i]; c.hash == h && sameKey(c.frames, kb) {
			c.cpu += cpu
			return
		}
	}
	rc.list = append(rc.list, candidate{frames: slices.Clone(frames), cpu: cpu, rootDialect: d, hash: h})
	if K := m.a.opts.MaxEvidenceStacks; len(rc.list) > 8*K {
		rc.list = trimCandidates(rc.list, 4*K)
	}
}

// candidateSeed hashes evidence keys; the hash only speeds up the equality test.
var candidateSeed = maphash.MakeSeed()

// ruleCandidates is the candidate list of rule id in ss, created on first use.
// A service has candidates for a few rules, each a few dozen at most: slices
// cost far less per service than maps keyed by rule and by joined frames.
func (ss *ServiceStats) ruleCandidates(id string) *ruleCandidates {
	for i := range ss.candidates {
		if ss.candidates[i].rule == id {
			return &ss.candidates[i]
		}
	}
	ss.candidates = append(ss.candidates, ruleCandidates{rule: id})
	return &ss.candidates[len(ss.candidates)-1]
}

// candidatesOf is rule id's candidates in s, nil when none.
func (s *ServiceStats) candidatesOf(id string) []candidate {
	for i := range s.candidates {
		if s.candidates[i].rule == id {
			return s.candidates[i].list
		}
	}
	return nil
}

// sameKey says whether key is frames joined by NUL (a candidate's identity).
func sameKey(frames []string, key []byte) bool {
	for i, f := range frames {
		if i > 0 {
			if len(key) == 0 || key[0] != 0 {
				return false
			}
			key = key[1:]
		}
		if len(key) < len(f) || string(key[:len(f)]) != f {
			return false
		}
		key = key[len(f):]
	}
	return len(key) == 0
}

// trimCandidates keeps the keep heaviest candidates, ties broken by key.
func trimCandidates(cs []candidate, keep int) []candidate {
	keys := make(map[*candidate]string, len(cs)) // rare: only when a rule overflows
	key := func(c *candidate) string {
		k, ok := keys[c]
		if !ok {
			k = strings.Join(c.frames, "\x00")
			keys[c] = k
		}
		return k
	}
	ptrs := make([]*candidate, len(cs))
	for i := range cs {
		ptrs[i] = &cs[i]
	}
	sort.Slice(ptrs, func(i, j int) bool {
		if ptrs[i].cpu != ptrs[j].cpu {
			return ptrs[i].cpu > ptrs[j].cpu
		}
		return key(ptrs[i]) < key(ptrs[j])
	})
	out := make([]candidate, 0, keep)
	for _, c := range ptrs[:keep] {
		out = append(out, *c)
	}
	return out
}

// evidenceFrames renders a stack's evidence window root→leaf: two callers
// above the frame that armed the rule, five frames below it, then the leaf.
// The slice is the message's buffer: valid until the next call.
func (m *message) evidenceFrames(si int32, bit uint64) ([]string, framename.Dialect) {
	all := m.rootToLeaf(si, m.rtl[:0])
	m.rtl = all
	if len(all) == 0 {
		return nil, framename.Unknown
	}
	at := m.armAt(all, bit)
	from, to := max(at-evAbove, 0), min(at+evBelow+1, len(all))
	frames := m.frameBuf[:0]
	defer func() { m.frameBuf = frames[:0] }()
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
