package pprofconv

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// stackSet finds a stack's index in the dictionary by a hash of its
// location indices: open addressing over one uint64 per slot, each hit
// checked against the dictionary's own entry. A map keyed by encoded
// strings cost an allocation and a string hash per distinct stack, and kept
// every stack twice (a 1M-sample profile has ~900k distinct stacks).
type stackSet struct {
	tab pprofile.StackSlice
	// slots hold the hash's high 32 bits (which also pick the slot, so a
	// resize needs no stack) over index+1; 0 is an empty slot.
	slots []uint64
	n     int
}

func newStackSet(tab pprofile.StackSlice) *stackSet {
	s := &stackSet{tab: tab}
	s.reserve(tab.Len())
	// Index what the table holds; the first of equal stacks wins, as a
	// lookup would find it.
	for i, st := range tab.All() {
		locs := st.LocationIndices().AsRaw()
		tag := hashInt32s(locs)
		if _, found := s.find(tag, locs); !found {
			s.insert(tag, int32(i))
		}
	}
	return s
}

// reserve makes room for n more entries, the table at most half full.
func (s *stackSet) reserve(n int) {
	if n > 1 {
		s.tab.EnsureCapacity(s.tab.Len() + n)
	}
	size := 64
	for size < 2*(s.n+n) {
		size <<= 1
	}
	if size <= len(s.slots) {
		return
	}
	old := s.slots
	s.slots, s.n = make([]uint64, size), 0
	for _, e := range old {
		if e != 0 {
			s.insert(uint32(e>>32), int32(uint32(e)-1))
		}
	}
}

// intern returns the index of the stack holding locs, appending it first
// if the table has none.
func (s *stackSet) intern(locs []int32) int32 {
	tag := hashInt32s(locs)
	if i, found := s.find(tag, locs); found {
		return i
	}
	i := int32(s.tab.Len())
	s.tab.AppendEmpty().LocationIndices().FromRaw(locs)
	s.reserve(1)
	s.insert(tag, i)
	return i
}

func (s *stackSet) find(tag uint32, locs []int32) (int32, bool) {
	mask := uint64(len(s.slots) - 1)
	for p := uint64(tag) & mask; ; p = (p + 1) & mask {
		e := s.slots[p]
		if e == 0 {
			return 0, false
		}
		if uint32(e>>32) == tag {
			if i := int32(uint32(e) - 1); equalInt32s(s.tab.At(int(i)).LocationIndices(), locs) {
				return i, true
			}
		}
	}
}

func (s *stackSet) insert(tag uint32, i int32) {
	mask := uint64(len(s.slots) - 1)
	p := uint64(tag) & mask
	for s.slots[p] != 0 {
		p = (p + 1) & mask
	}
	s.slots[p] = uint64(tag)<<32 | uint64(uint32(i)+1)
	s.n++
}

// equalInt32s compares a pdata slice to v without copying it.
func equalInt32s(a pcommon.Int32Slice, v []int32) bool {
	if a.Len() != len(v) {
		return false
	}
	for j, x := range v {
		if a.At(j) != x {
			return false
		}
	}
	return true
}

// hashInt32s mixes v into 32 bits (the high half of a 64-bit mix).
func hashInt32s(v []int32) uint32 {
	h := uint64(len(v))*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	for _, x := range v {
		h = (h ^ uint64(uint32(x))) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	return uint32(h >> 32)
}
