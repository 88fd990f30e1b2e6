package fleet

import "sort"

// point is one datapoint on event time (unix nanoseconds).
type point struct {
	t     int64
	start int64 // 0 when the producer sent none
	v     float64
}

// points is a bounded, time-sorted buffer: a ring by event time. When full,
// the oldest point makes room; a point older than everything held is refused.
//
// A series is kept for the long window (an hour: 360 points at a 10 s
// scrape), so it is stored by column: times and values, and the start times
// in a starts column that is empty while they are all one value (a
// cumulative counter between restarts), which makes 16 bytes a point instead
// of 24. Reads go through ptView and give back exactly the points added.
type points struct {
	t   []int64
	v   []float64
	st  starts
	off int // [off:] of every column is live; the prefix is reclaimed in batches
	max int
}

// ptView is a run of live points [i, j) of a buffer, read in place. It is
// valid until the buffer next changes.
type ptView struct {
	p    *points
	i, j int
}

func (w ptView) len() int { return w.j - w.i }

// time is the event time of the view's k-th point.
func (w ptView) time(k int) int64 { return w.p.t[w.i+k] }

// at is the view's k-th point.
func (w ptView) at(k int) point {
	i := w.i + k
	return point{t: w.p.t[i], start: w.p.st.get(i), v: w.p.v[i]}
}

// search is the first k with time(k) >= t (len() when none).
func (w ptView) search(t int64) int {
	return sort.Search(w.len(), func(k int) bool { return w.time(k) >= t })
}

func (p *points) live() ptView { return ptView{p, p.off, len(p.t)} }

func (p *points) len() int { return len(p.t) - p.off }

// add inserts pt in time order. A duplicate timestamp replaces the stored
// value (a re-sent batch). It returns false when pt was refused by the cap.
func (p *points) add(pt point) bool {
	l := p.live()
	n := l.len()
	switch {
	case n == 0 || pt.t > l.time(n-1):
		p.insert(len(p.t), pt)
	case pt.t == l.time(n-1):
		p.set(p.off+n-1, pt)
		return true
	default:
		i := l.search(pt.t)
		if l.time(i) == pt.t {
			p.set(p.off+i, pt)
			return true
		}
		if i == 0 && n >= p.max {
			return false // older than all we keep, and no room
		}
		p.insert(p.off+i, pt)
	}
	if p.len() > p.max {
		p.off++
		if p.off >= p.max/2+1 {
			p.compact()
		}
	}
	return true
}

func (p *points) set(i int, pt point) {
	p.t[i], p.v[i] = pt.t, pt.v
	p.st.set(i, pt.start, len(p.t))
}

func (p *points) insert(i int, pt point) {
	if len(p.t) == p.off {
		p.st = starts{one: pt.start} // nothing live: start the column afresh
	}
	p.t = insertAt(p.t, i, pt.t)
	p.v = insertAt(p.v, i, pt.v)
	p.st.insert(i, pt.start, len(p.t)-1)
}

// compact moves the live points to the front of every column.
func (p *points) compact() {
	p.t = append(p.t[:0], p.t[p.off:]...)
	p.v = append(p.v[:0], p.v[p.off:]...)
	p.st.drop(p.off)
	p.off = 0
}

// holds reports whether a point at t is stored (a new one would replace it).
func (p *points) holds(t int64) bool {
	l := p.live()
	i := l.search(t)
	return i < l.len() && l.time(i) == t
}

// dropBefore forgets points older than t (event-time retention).
func (p *points) dropBefore(t int64) {
	p.off += p.live().search(t)
	if p.off > 0 && p.off >= len(p.t)/2 {
		p.compact()
	}
}

// dropBeforeKeepOne forgets points older than t but the newest of them: a
// read from t on still finds the point before its start.
func (p *points) dropBeforeKeepOne(t int64) {
	if i := p.live().search(t); i > 1 {
		p.off += i - 1
		if p.off >= len(p.t)/2 {
			p.compact()
		}
	}
}

// between returns the live points with from <= t <= to.
func (p *points) between(from, to int64) ptView {
	l := p.live()
	i := l.search(from)
	j := sort.Search(l.len(), func(j int) bool { return l.time(j) > to })
	return ptView{p, p.off + i, p.off + j}
}

// rangeOf is the view's points [a, b).
func (w ptView) rangeOf(a, b int) ptView { return ptView{w.p, w.i + a, w.i + b} }

func insertAt[T any](s []T, i int, x T) []T {
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = x
	return s
}
