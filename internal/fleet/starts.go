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
	one int64 // every point's start, while wide is nil
	// wide holds the other forms, behind a pointer so a stream in the
	// common form spends 16 bytes on its column.
	wide *wideStarts
}

type wideStarts struct {
	keys []uint8 // per point: index into dict
	dict []int64
	all  []int64 // per point
}

func (s *starts) get(i int) int64 {
	switch w := s.wide; {
	case w == nil:
		return s.one
	case w.all != nil:
		return w.all[i]
	default:
		return w.dict[w.keys[i]]
	}
}

// widen moves the column of n points to a form that can hold v.
func (s *starts) widen(v int64, n int) {
	switch w := s.wide; {
	case w == nil:
		if v != s.one {
			s.wide = &wideStarts{keys: make([]uint8, n, n+1), dict: []int64{s.one, v}} // all key 0
		}
	case w.all != nil:
	case !slices.Contains(w.dict, v):
		if len(w.dict) < maxStartKeys {
			w.dict = append(w.dict, v)
			return
		}
		w.all = make([]int64, n, n+1)
		for i, k := range w.keys {
			w.all[i] = w.dict[k]
		}
		w.keys, w.dict = nil, nil
	}
}

func (w *wideStarts) key(v int64) uint8 { return uint8(slices.Index(w.dict, v)) }

// set makes v the start of point i of n.
func (s *starts) set(i int, v int64, n int) {
	s.widen(v, n)
	switch w := s.wide; {
	case w == nil:
	case w.all != nil:
		w.all[i] = v
	default:
		w.keys[i] = w.key(v)
	}
}

// insert adds v as the start of a new point i, n points held before.
func (s *starts) insert(i int, v int64, n int) {
	s.widen(v, n)
	switch w := s.wide; {
	case w == nil:
	case w.all != nil:
		w.all = insertAt(w.all, i, v)
	default:
		w.keys = insertAt(w.keys, i, w.key(v))
	}
}

// drop forgets the first n points, and goes back to one value when the
// points left all have one start (the points of before a restart aged out).
func (s *starts) drop(n int) {
	switch w := s.wide; {
	case w == nil:
	case w.all != nil:
		w.all = append(w.all[:0], w.all[n:]...)
		if len(w.all) > 0 && allEqual(w.all) {
			*s = starts{one: w.all[0]}
		}
	default:
		w.keys = append(w.keys[:0], w.keys[n:]...)
		if len(w.keys) > 0 && allEqual(w.keys) {
			*s = starts{one: w.dict[w.keys[0]]}
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
