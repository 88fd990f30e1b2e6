package main

import (
	"fmt"
	"math"
	"sort"
)

// spread is the median and range of a set of figures.
type spread struct {
	median, min, max float64
	n                int
}

func spreadOf(xs []float64) spread {
	if len(xs) == 0 {
		return spread{median: math.NaN(), min: math.NaN(), max: math.NaN()}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{median: m, min: s[0], max: s[len(s)-1], n: len(s)}
}

func (s spread) format(unit string) string {
	return fmt.Sprintf("%.3f%s (min %.3f, max %.3f, n=%d)", s.median, unit, s.min, s.max, s.n)
}

// slope is the least-squares slope of y over x; NaN with fewer than two
// distinct x.
func slope(x, y []float64) float64 {
	n := float64(len(x))
	if len(x) != len(y) || len(x) < 2 {
		return math.NaN()
	}
	var sx, sy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
	}
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if sxx == 0 {
		return math.NaN()
	}
	return sxy / sxx
}

// mean is the arithmetic mean; NaN for no values.
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

const mib = 1 << 20

func mb(bytes int64) float64 { return float64(bytes) / mib }
