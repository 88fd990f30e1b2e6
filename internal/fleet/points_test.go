package fleet

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refPoints is the row-wise buffer the columns replaced: the reference
// behaviour (the same ring, replacement and refusal rules).
type refPoints struct {
	pts []point
	max int
}

func (r *refPoints) add(pt point) bool {
	n := len(r.pts)
	i := sort.Search(n, func(i int) bool { return r.pts[i].t >= pt.t })
	if i < n && r.pts[i].t == pt.t {
		r.pts[i] = pt
		return true
	}
	if i == 0 && n > 0 && n >= r.max {
		return false
	}
	r.pts = append(r.pts, point{})
	copy(r.pts[i+1:], r.pts[i:])
	r.pts[i] = pt
	if len(r.pts) > r.max {
		r.pts = r.pts[1:]
	}
	return true
}

func (r *refPoints) dropBefore(t int64) {
	i := sort.Search(len(r.pts), func(i int) bool { return r.pts[i].t >= t })
	r.pts = r.pts[i:]
}

func readAll(v ptView) []point {
	out := []point{}
	for k := range v.len() {
		out = append(out, v.at(k))
	}
	return out
}

// TestPointsRoundTrip drives the columns and the reference with the same
// random adds (in order, late, re-sent) and retention, with start times of
// each kind of stream, and compares every point read back.
func TestPointsRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		start func(rng *rand.Rand, t int64) int64
		form  string // the starts form at the end
	}{
		{"no start", func(*rand.Rand, int64) int64 { return 0 }, "one"},
		{"cumulative, one start", func(*rand.Rand, int64) int64 { return 7 }, "one"},
		{"cumulative, restarts", func(rng *rand.Rand, t int64) int64 { return t / 5000 * 5000 }, "keys"},
		{"delta: start moves every point", func(rng *rand.Rand, t int64) int64 { return t - 10 }, "all"},
		{"mixed", func(rng *rand.Rand, t int64) int64 {
			if rng.IntN(4) == 0 {
				return t - 1
			}
			return 3
		}, "all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(13, 7))
			const max = 600
			p, ref := points{max: max}, refPoints{max: max}
			now := int64(1000)
			for step := range 20000 {
				ts := now
				switch rng.IntN(10) {
				case 0:
					ts = now - rng.Int64N(2000) // late
				case 1:
					if l := p.live(); l.len() > 0 {
						ts = l.time(rng.IntN(l.len())) // re-sent
					}
				default:
					now += 10
				}
				pt := point{t: ts, start: tt.start(rng, ts), v: rng.Float64()}
				require.Equal(t, ref.add(pt), p.add(pt), "add %d", step)
				if step%997 == 0 {
					cut := now - int64(rng.IntN(3000))
					ref.dropBefore(cut)
					p.dropBefore(cut)
				}
				if step%101 == 0 {
					require.Equal(t, append([]point{}, ref.pts...), readAll(p.live()), "step %d", step)
				}
			}
			assert.Equal(t, append([]point{}, ref.pts...), readAll(p.live()))
			assert.Equal(t, tt.form, p.st.form())
			assert.LessOrEqual(t, len(p.t), max+max/2+1, "bounded columns")
			assert.Equal(t, len(p.t), len(p.v))
		})
	}
}

func (s *starts) form() string {
	switch {
	case s.wide == nil:
		return "one"
	case s.wide.all != nil:
		return "all"
	}
	return "keys"
}

func TestStartsForms(t *testing.T) {
	p := points{max: 8}
	for i := range 8 {
		p.add(point{t: int64(10 + i), start: 1, v: 1})
	}
	assert.Equal(t, "one", p.st.form(), "one start: no bytes a point")
	p.add(point{t: 20, start: 19, v: 1}) // a restart
	assert.Equal(t, "keys", p.st.form())
	for i := range 16 {
		p.add(point{t: int64(21 + i), start: 19, v: 1})
	}
	assert.Equal(t, "one", p.st.form(), "the points before the restart aged out (at the next compaction)")
	assert.Equal(t, int64(19), p.live().at(0).start)

	var s starts
	for i := range maxStartKeys + 1 {
		s.insert(i, int64(i), i)
	}
	assert.Equal(t, "all", s.form(), "past maxStartKeys distinct starts")
	for i := range maxStartKeys + 1 {
		assert.Equal(t, int64(i), s.get(i))
	}
}

func TestPointsBytesPerPoint(t *testing.T) {
	// A cumulative series over an hour at a 10 s scrape: 16 B a point (the
	// rows were 24), plus the columns' append slack.
	p := points{max: DefaultMaxPointsPerSeries}
	for i := range 360 {
		p.add(point{t: int64(i) * 10e9, start: 1, v: float64(i)})
	}
	assert.Nil(t, p.st.wide, "times and values only")
	assert.Equal(t, cap(p.t), cap(p.v))
}
