package pprofconv

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// stackSet finds a stack's index in the dictionary by a hash of its
// location indices: open addressing over uint64 keys, each hit checked
// against the dictionary's own entry. A map keyed by encoded strings cost
// an allocation and a string hash per distinct stack, and kept every stack
// twice (a 1M-sample profile has ~900k distinct stacks).
type stackSet struct {
	tab   pprofile.StackSlice
	hash  []uint64 // 0: empty slot
	index []int32
	n     int
}

func newStackSet(tab pprofile.StackSlice) *stackSet {
	s := &stackSet{tab: tab}
	s.grow(tab.Len())
	// Index what the table holds; the first of equal stacks wins, as a
	// lookup would find it.
	for i, st := range tab.All() {
		locs := st.LocationIndices().AsRaw()
		h := hashInt32s(locs)
		if _, found := s.find(h, locs); !found {
			s.insert(h, int32(i))
		}
	}
	return s
}

// grow makes room for n entries at most half full, keeping those held.
func (s *stackSet) grow(n int) {
	size := 64
	for size < 2*n {
		size <<= 1
	}
	if size <= len(s.hash) {
		return
	}
	oldHash, oldIndex := s.hash, s.index
	s.hash, s.index, s.n = make([]uint64, size), make([]int32, size), 0
	for p, h := range oldHash {
		if h != 0 {
			s.insert(h, oldIndex[p])
		}
	}
}

// intern returns the index of the stack holding locs, appending it first
// if the table has none.
func (s *stackSet) intern(locs []int32) int32 {
	h := hashInt32s(locs)
	if i, found := s.find(h, locs); found {
		return i
	}
	i := int32(s.tab.Len())
	s.tab.AppendEmpty().LocationIndices().FromRaw(locs)
	s.grow(s.n + 1)
	s.insert(h, i)
	return i
}

func (s *stackSet) find(h uint64, locs []int32) (int32, bool) {
	mask := uint64(len(s.hash) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		switch s.hash[p] {
		case 0:
			return 0, false
		case h:
			if i := s.index[p]; equalInt32s(s.tab.At(int(i)).LocationIndices(), locs) {
				return i, true
			}
		}
	}
}

func (s *stackSet) insert(h uint64, i int32) {
	mask := uint64(len(s.hash) - 1)
	p := h & mask
	for s.hash[p] != 0 {
		p = (p + 1) & mask
	}
	s.hash[p], s.index[p] = h, i
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

// hashInt32s mixes v into a nonzero key (0 marks an empty slot).
func hashInt32s(v []int32) uint64 {
	h := uint64(len(v))*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	for _, x := range v {
		h = (h ^ uint64(uint32(x))) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	if h == 0 {
		h = 1
	}
	return h
}
