package fleet

import (
	"math"
	"sort"
)

// span is an amount over [a, b] (CPU seconds for CPU streams).
type span struct {
	a, b int64
	amt  float64
}

// spans turns a stream's points inside [from, to] into amounts per interval:
// differences of a cumulative counter (a decrease or a new start time is a
// reset: the counter restarted from zero), delta values over their own
// start..t, or a level held since the previous reading.
func (st *stream) spans(from, to int64, out []span) []span {
	pts := st.pts.live()
	// one point before from, so the first interval inside the range is whole
	i := pts.search(from)
	if i > 0 {
		i--
	}
	j := sort.Search(pts.len(), func(j int) bool { return pts.time(j) > to })
	pts = pts.rangeOf(i, j)
	for k := 1; k < pts.len(); k++ {
		p0, p1 := pts.at(k-1), pts.at(k)
		switch st.kind {
		case kindCumulative:
			switch {
			case p1.v < 0:
				// not a counter value; the interval is lost, not guessed
			case p1.start != 0 && p1.start > p0.t:
				// restarted after p0: p1 holds what accrued since its start
				out = append(out, span{p1.start, p1.t, p1.v})
			case p1.v < p0.v && p0.v-p1.v <= resetJitter*p0.v:
				// float noise in a summed counter, not a restart
				out = append(out, span{p0.t, p1.t, 0})
			case p1.v < p0.v:
				out = append(out, span{p0.t, p1.t, p1.v})
			default:
				out = append(out, span{p0.t, p1.t, p1.v - p0.v})
			}
		case kindDelta:
			a := p1.start
			if a == 0 || a < p0.t-(p1.t-p0.t) {
				a = p0.t // no start, or a start implausibly far back
			}
			if p1.v >= 0 {
				out = append(out, span{a, p1.t, p1.v})
			}
		case kindLevel:
			if p1.v >= 0 {
				out = append(out, span{p0.t, p1.t, p1.v * float64(p1.t-p0.t) / 1e9})
			}
		}
	}
	// a delta stream's first point carries its own interval
	if st.kind == kindDelta && pts.len() > 0 {
		if p := pts.at(0); p.start != 0 && p.t >= from && p.v >= 0 {
			out = append(out, span{p.start, p.t, p.v})
		}
	}
	return out
}

// spacing returns the median distance between a stream's points in range.
func (st *stream) spacings(from, to int64, out []float64) []float64 {
	pts := st.pts.between(from, to)
	for k := 1; k < pts.len(); k++ {
		out = append(out, float64(pts.time(k)-pts.time(k-1)))
	}
	return out
}

// series is a service's rate (cores) or level on a regular grid at the data's
// own resolution; buckets without enough coverage are left out.
type series struct {
	step    int64
	t       []int64   // bucket starts
	v       []float64 // cores, or the level
	streams []*stream // the streams summed, for evidence
}

func (s series) empty() bool { return len(s.v) == 0 }

// duration is the event time the series covers.
func (s series) duration() int64 { return int64(len(s.v)) * s.step }

const (
	resetJitter   = 1e-6 // a counter decrease this small (relative) is rounding
	minStep       = int64(1e9)
	maxBuckets    = 200000
	coverageShare = 0.9 // a bucket counts when one stream covers this much of it
)

// cpuSeries builds the service's CPU rate in cores over [from, to] from the
// most preferred source it reports there, summed over instances and modes.
func (svc *service) cpuSeries(from, to int64) series {
	best := -1
	for _, st := range svc.streams {
		if st.class.class != classCPU || st.pts.len() < 2 {
			continue
		}
		if best >= 0 && st.class.src >= best {
			continue
		}
		if st.pts.between(from, to).len() >= 2 {
			best = st.class.src
		}
	}
	if best < 0 {
		return series{}
	}
	var chosen []*stream
	for _, st := range svc.streams {
		if st.class.class == classCPU && st.class.src == best {
			chosen = append(chosen, st)
		}
	}
	return rateSeries(chosen, from, to)
}

// rateSeries sums the streams' amounts per grid bucket and divides by the
// bucket length: a rate per second (cores for CPU seconds).
func rateSeries(streams []*stream, from, to int64) series {
	sort.Slice(streams, func(i, j int) bool { return streams[i].desc < streams[j].desc })
	var gaps []float64
	for _, st := range streams {
		gaps = st.spacings(from, to, gaps)
	}
	if len(gaps) == 0 {
		return series{}
	}
	step := int64(median(gaps))
	if step < minStep {
		step = minStep
	}
	perStream := make([][]span, len(streams))
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i, st := range streams {
		perStream[i] = st.spans(from, to, nil)
		for _, sp := range perStream[i] {
			lo = min(lo, sp.a)
			hi = max(hi, sp.b)
		}
	}
	lo = max(lo, from)
	hi = min(hi, to)
	if hi <= lo {
		return series{}
	}
	if (hi-lo)/step > maxBuckets {
		step = (hi - lo) / maxBuckets
	}
	nb := int((hi - lo) / step)
	if nb == 0 {
		return series{}
	}
	amt := make([]float64, nb)
	cov := make([]float64, nb)
	tmp := make([]float64, nb)
	for _, sps := range perStream {
		clear(tmp)
		for _, sp := range sps {
			d := sp.b - sp.a
			if d <= 0 {
				continue
			}
			rate := sp.amt / float64(d)
			a, b := max(sp.a, lo), min(sp.b, lo+int64(nb)*step)
			for a < b {
				k := int((a - lo) / step)
				end := min(b, lo+int64(k+1)*step)
				amt[k] += rate * float64(end-a)
				tmp[k] += float64(end - a)
				a = end
			}
		}
		for k := range cov {
			cov[k] = max(cov[k], tmp[k])
		}
	}
	out := series{step: step, streams: streams}
	for k := 0; k < nb; k++ {
		if cov[k] < coverageShare*float64(step) {
			continue
		}
		out.t = append(out.t, lo+int64(k)*step)
		out.v = append(out.v, amt[k]/(float64(step)/1e9))
	}
	return out
}

// levelSeries sums the streams' levels per grid bucket (each stream's mean in
// the bucket, its last value carried over a short gap).
func levelSeries(streams []*stream, from, to int64) series {
	sort.Slice(streams, func(i, j int) bool { return streams[i].desc < streams[j].desc })
	var gaps []float64
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, st := range streams {
		gaps = st.spacings(from, to, gaps)
		if pts := st.pts.between(from, to); pts.len() > 0 {
			lo = min(lo, pts.time(0))
			hi = max(hi, pts.time(pts.len()-1))
		}
	}
	if len(gaps) == 0 || hi <= lo {
		return series{}
	}
	step := max(int64(median(gaps)), minStep)
	if (hi-lo)/step > maxBuckets {
		step = (hi - lo) / maxBuckets
	}
	nb := int((hi-lo)/step) + 1
	sum := make([]float64, nb)
	seen := make([]bool, nb)
	val := make([]float64, nb)
	cnt := make([]int, nb)
	for _, st := range streams {
		clear(val)
		clear(cnt)
		pts := st.pts.between(from, to)
		for n := range pts.len() {
			p := pts.at(n)
			k := int((p.t - lo) / step)
			val[k] += p.v
			cnt[k]++
		}
		last, lastK := 0.0, -1
		for k := 0; k < nb; k++ {
			switch {
			case cnt[k] > 0:
				last, lastK = val[k]/float64(cnt[k]), k
			case lastK >= 0 && k-lastK <= 3:
			default:
				continue
			}
			sum[k] += last
			seen[k] = true
		}
	}
	out := series{step: step, streams: streams}
	for k := 0; k < nb; k++ {
		if seen[k] {
			out.t = append(out.t, lo+int64(k)*step)
			out.v = append(out.v, sum[k])
		}
	}
	return out
}

// streamsOf returns the service's streams of one class (and aux kind).
func (svc *service) streamsOf(c class, aux auxKind) []*stream {
	var out []*stream
	for _, st := range svc.streams {
		if st.class.class == c && (c != classAux || st.aux == aux) {
			out = append(out, st)
		}
	}
	return out
}
