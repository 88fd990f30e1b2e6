package attribution

import (
	"math/bits"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// stackMemo is a walked stack: the rules it is charged to, its tags and
// where its evidence windows are.
type stackMemo struct {
	state   uint8 // 0 unseen, 1 ok, 2 invalid, 3 ok but truncated
	dialect framename.Dialect
	evN     uint8
	evOff   int32
	rules   uint64
	tags    uint64
	// dialects has a bit per dialect of any of its frames.
	dialects uint16
	// unnamedLeaf: the running code is a native frame nothing could name.
	unnamedLeaf bool
}

// evRef names the evidence window of one charged rule of a stack.
type evRef struct {
	rule int
	hash uint64
}

// stack computes a stack's rule mask: walk root→leaf once, tracking per rule
// (bit) whether an exclusion was seen, a root armed it, and a cut-off ended
// it. Idle frames (most) only feed the dialect. Charged rules hash their
// evidence window after the walk, from the frame that armed them.
func (m *message) stack(si int32) *stackMemo {
	if si < 0 || int(si) >= len(m.stacks) {
		return nil
	}
	sm := &m.stacks[si]
	if sm.state != 0 {
		if sm.state == 2 {
			return nil
		}
		return sm
	}
	sm.state = 2
	locs := m.stkTab.At(int(si)).LocationIndices()
	n := locs.Len()
	stop := 0
	truncated := false
	if n > m.a.opts.MaxStackDepth {
		stop = n - m.a.opts.MaxStackDepth
		truncated = true
	}
	dialect, ok := m.stackDialect(locs, stop)
	if !ok {
		return nil
	}
	// The rules: per bit, excluded / armed / cut (see effect).
	var excluded, armed, cut, tags uint64
	var dialects uint16 // bit 0 (Unknown) stands for frames of mixed or no dialect
	infos, classes := m.locInfo, m.classes
	skip := uint32(lkIdle) // no rule armed yet: idle locations change nothing
	// The root side of most stacks is idle: a loop with little live state
	// takes it before the general one.
	i := n - 1
	for ; i >= stop; i-- {
		li := locs.At(i)
		if uint(li) >= uint(len(infos)) {
			return nil
		}
		k := infos[uint(li)] // the check above, proved: no second one
		if k&lkIdle == 0 {
			break
		}
		dialects |= 1 << (k & lkDialect)
	}
	for ; i >= stop; i-- {
		li := locs.At(i)
		if uint(li) >= uint(len(infos)) {
			return nil
		}
		k := infos[uint(li)] // the check above, proved: no second one
		dialects |= 1 << (k & lkDialect)
		if k&skip != 0 {
			// Runs of skipped frames: an inner loop keeps the rule state out of registers.
			for i--; i >= stop; i-- {
				li = locs.At(i)
				if uint(li) >= uint(len(infos)) {
					return nil
				}
				k = infos[uint(li)]
				dialects |= 1 << (k & lkDialect)
				if k&skip == 0 {
					break
				}
			}
			if i < stop {
				break
			}
		}
		if k&lkOK == 0 {
			if _, ok := m.loc(li); !ok {
				return nil
			}
			infos, classes = m.locInfo, m.classes
			k = infos[li]
			dialects |= 1 << (k & lkDialect)
		}
		// The class index is in the location's info unless it outgrew the bits.
		cls := k >> lkClsShift
		if k&lkEffect == 0 {
			cls = m.locs[li].cls
		}
		e := &classes[cls]
		idle := ^(excluded | armed)
		cut |= armed & e.cut
		excluded |= idle & e.excl
		now := idle & e.arm
		armed |= now
		cut |= now & e.armCut
		tags |= e.tags
		for r := now; r != 0; r &= r - 1 {
			m.armLoc[bits.TrailingZeros64(r)&63] = int32(i) // r != 0: below 64
		}
		if armed != 0 {
			skip = lkPlain // below a root, cut-offs matter
		}
	}
	sm.rules = armed &^ cut
	if sm.rules != 0 {
		m.charge(sm, tags, locs, stop)
	}
	sm.dialect = dialect
	sm.dialects = dialects
	sm.unnamedLeaf = n > 0 && m.unnamed[locs.At(0)]
	sm.state = 1
	if truncated {
		sm.state = 3
	}
	return sm
}

// stackDialect is the root-most managed frame's dialect, else the root-most
// known one's: the root frame alone usually tells. !ok for an invalid location.
func (m *message) stackDialect(locs pcommon.Int32Slice, stop int) (framename.Dialect, bool) {
	dialect := framename.Unknown
	for i := locs.Len() - 1; i >= stop && (dialect == framename.Unknown || dialect == framename.Native || dialect == framename.Kernel); i-- {
		li := locs.At(i)
		if uint(li) < uint(len(m.locInfo)) {
			if k := m.locInfo[li]; k&lkOne != 0 {
				if d := framename.Dialect(k & lkDialect); d != framename.Unknown && (dialect == framename.Unknown || isManaged(d)) {
					dialect = d
				}
				continue
			}
		}
		lm, ok := m.loc(li)
		if !ok {
			return framename.Unknown, false
		}
		for j := lm.n - 1; j >= 0; j-- {
			if d := m.slab[lm.off+j].dialect; d != framename.Unknown && (dialect == framename.Unknown || isManaged(d)) {
				if dialect = d; d != framename.Native && d != framename.Kernel {
					break
				}
			}
		}
	}
	return dialect, true
}

// charge keeps what a charged stack needs: its tags (those of the rules it
// is charged to) and, per rule, the hash of its evidence window.
func (m *message) charge(sm *stackMemo, tags uint64, locs pcommon.Int32Slice, stop int) {
	for _, r := range m.a.rules {
		if tags == 0 {
			break
		}
		if sm.rules&r.bit == 0 {
			tags &^= r.tagMask
		}
	}
	sm.tags = tags
	sm.evOff = int32(len(m.evRefs))
	for r := sm.rules; r != 0; r &= r - 1 {
		b := bits.TrailingZeros64(r)
		i := int(m.armLoc[b])
		m.evRefs = append(m.evRefs, evRef{rule: b, hash: m.windowHash(locs, stop, i, m.armLine(locs.At(i), uint64(1)<<b))})
	}
	sm.evN = uint8(len(m.evRefs) - int(sm.evOff))
}

// armLine finds the line of location li that armed rule bit: the one
// where, from idle, the location's frames first arm it.
func (m *message) armLine(li int32, bit uint64) int {
	if m.locInfo[li]&lkOne != 0 {
		return 0
	}
	lm := &m.locs[li]
	var excluded uint64
	for j := lm.n - 1; j >= 0; j-- {
		e := &m.classes[m.slab[lm.off+j].cls]
		if e.arm&bit != 0 && excluded&bit == 0 {
			return int(j)
		}
		excluded |= e.excl
	}
	return 0
}

// windowHash hashes the evidence window of a rule armed at line j of
// location locs[i] of a walked stack: the two callers above it (0 when the
// stack has fewer), then that frame and up to evBelow frames below it. A
// walked stack's frames root→leaf are, for i from the root-most location down
// to stop, lines n-1 … 0 of location locs[i].
func (m *message) windowHash(locs pcommon.Int32Slice, stop, i, j int) uint64 {
	var p [2]uint64 // callers, nearest first
	np := 0
	lm := m.locs[locs.At(i)]
	for l := int32(j) + 1; l < lm.n && np < 2; l++ {
		p[np] = m.slab[lm.off+l].id()
		np++
	}
	for q := i + 1; q < locs.Len() && np < 2; q++ {
		li := locs.At(q)
		if m.locInfo[li]&lkOne != 0 {
			p[np] = m.locID[li]
			np++
			continue
		}
		c := m.locs[li]
		for l := int32(0); l < c.n && np < 2; l++ {
			p[np] = m.slab[c.off+l].id()
			np++
		}
	}
	h := mix(mix(fnvOffset, p[1]), p[0])
	left := evBelow + 1
	for l := int32(j); l >= 0 && left > 0; l-- {
		h = mix(h, m.slab[lm.off+l].id())
		left--
	}
	for q := i - 1; q >= stop && left > 0; q-- {
		li := locs.At(q)
		if m.locInfo[li]&lkOne != 0 {
			h = mix(h, m.locID[li])
			left--
			continue
		}
		c := m.locs[li]
		for l := c.n - 1; l >= 0 && left > 0; l-- {
			h = mix(h, m.slab[c.off+l].id())
			left--
		}
	}
	return h
}

// id is a frame's identity in evidence windows.
func (s *slot) id() uint64 { return uint64(uint32(s.fn)) | uint64(s.hint)<<32 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix folds v into an FNV-1a style hash, a word at a time.
func mix(h, v uint64) uint64 { return (h ^ v) * fnvPrime }

func isManaged(d framename.Dialect) bool {
	switch d {
	case framename.Go, framename.JVM, framename.Python, framename.Node, framename.DotNet:
		return true
	}
	return false
}
