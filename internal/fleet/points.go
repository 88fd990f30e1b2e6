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
type points struct {
	pts []point
	off int // pts[off:] are live; the prefix is reclaimed in batches
	max int
}

func (p *points) live() []point { return p.pts[p.off:] }

func (p *points) len() int { return len(p.pts) - p.off }

// add inserts pt in time order. A duplicate timestamp replaces the stored
// value (a re-sent batch). It returns false when pt was refused by the cap.
func (p *points) add(pt point) bool {
	l := p.live()
	n := len(l)
	switch {
	case n == 0 || pt.t > l[n-1].t:
		p.pts = append(p.pts, pt)
	case pt.t == l[n-1].t:
		l[n-1] = pt
		return true
	default:
		i := sort.Search(n, func(i int) bool { return l[i].t >= pt.t })
		if l[i].t == pt.t {
			l[i] = pt
			return true
		}
		if i == 0 && n >= p.max {
			return false // older than all we keep, and no room
		}
		p.pts = append(p.pts, point{})
		l = p.live()
		copy(l[i+1:], l[i:])
		l[i] = pt
	}
	if p.len() > p.max {
		p.off++
		if p.off >= p.max/2+1 {
			p.pts = append(p.pts[:0], p.pts[p.off:]...)
			p.off = 0
		}
	}
	return true
}

// holds reports whether a point at t is stored (a new one would replace it).
func (p *points) holds(t int64) bool {
	l := p.live()
	i := sort.Search(len(l), func(i int) bool { return l[i].t >= t })
	return i < len(l) && l[i].t == t
}

// dropBefore forgets points older than t (event-time retention).
func (p *points) dropBefore(t int64) {
	l := p.live()
	i := sort.Search(len(l), func(i int) bool { return l[i].t >= t })
	p.off += i
	if p.off > 0 && p.off >= len(p.pts)/2 {
		p.pts = append(p.pts[:0], p.pts[p.off:]...)
		p.off = 0
	}
}

// between returns the live points with from <= t <= to.
func (p *points) between(from, to int64) []point {
	l := p.live()
	i := sort.Search(len(l), func(i int) bool { return l[i].t >= from })
	j := sort.Search(len(l), func(j int) bool { return l[j].t > to })
	return l[i:j]
}
