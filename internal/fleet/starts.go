package fleet

import "slices"

// maxStartKeys is how many distinct start times the keyed form holds (a
// byte per point); past it the column keeps a start per point.
const maxStartKeys = 256

// starts is the start-time column of a points buffer, in the smallest of
// three forms that holds it exactly: one value for every point (a
// cumulative counter between restarts: no bytes a point), a dictionary and
// a key byte per point (a few restarts), or a value per point (delta
// streams, whose start moves with every point).
type starts struct {
	one  int64   // every point's start, while keys and all are nil
	keys []uint8 // per point: index into dict
	dict []int64
	all  []int64 // per point
}

func (s *starts) get(i int) int64 {
	switch {
	case s.all != nil:
		return s.all[i]
	case s.keys != nil:
		return s.dict[s.keys[i]]
	}
	return s.one
}

// widen moves the column of n points to a form that can hold v.
func (s *starts) widen(v int64, n int) {
	switch {
	case s.all != nil:
	case s.keys == nil:
		if v != s.one {
			s.keys = make([]uint8, n, n+1) // all key 0
			s.dict = []int64{s.one, v}
		}
	case !slices.Contains(s.dict, v):
		if len(s.dict) < maxStartKeys {
			s.dict = append(s.dict, v)
			return
		}
		s.all = make([]int64, n, n+1)
		for i, k := range s.keys {
			s.all[i] = s.dict[k]
		}
		s.keys, s.dict = nil, nil
	}
}

func (s *starts) key(v int64) uint8 { return uint8(slices.Index(s.dict, v)) }

// set makes v the start of point i of n.
func (s *starts) set(i int, v int64, n int) {
	s.widen(v, n)
	switch {
	case s.all != nil:
		s.all[i] = v
	case s.keys != nil:
		s.keys[i] = s.key(v)
	}
}

// insert adds v as the start of a new point i, n points held before.
func (s *starts) insert(i int, v int64, n int) {
	s.widen(v, n)
	switch {
	case s.all != nil:
		s.all = insertAt(s.all, i, v)
	case s.keys != nil:
		s.keys = insertAt(s.keys, i, s.key(v))
	}
}

// drop forgets the first n points, and goes back to one value when the
// points left all have one start (the points of before a restart aged out).
func (s *starts) drop(n int) {
	switch {
	case s.all != nil:
		s.all = append(s.all[:0], s.all[n:]...)
		if len(s.all) > 0 && allEqual(s.all) {
			*s = starts{one: s.all[0]}
		}
	case s.keys != nil:
		s.keys = append(s.keys[:0], s.keys[n:]...)
		if len(s.keys) > 0 && allEqual(s.keys) {
			*s = starts{one: s.dict[s.keys[0]]}
		}
	}
}

func allEqual[T comparable](xs []T) bool {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return false
		}
	}
	return true
}
