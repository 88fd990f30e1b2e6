package fleet

import (
	"math"
	"sort"
)

// median of xs (a copy is sorted; xs is left alone). NaN when empty.
func median(xs []float64) float64 {
	return quantile(xs, 0.5)
}

// quantile with linear interpolation between closest ranks (numpy's default),
// the definition the fixtures' truths use for the 10th percentile.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return quantileSorted(s, q)
}

func quantileSorted(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	if lo == hi {
		return s[lo]
	}
	frac := pos - float64(lo)
	return s[lo] + (s[hi]-s[lo])*frac
}

// mad is the median absolute deviation from the median (unscaled).
func mad(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	m := median(xs)
	d := make([]float64, len(xs))
	for i, x := range xs {
		d[i] = math.Abs(x - m)
	}
	return median(d)
}

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

// linearFit returns the least-squares slope (y per unit x), intercept and the
// coefficient of determination R² (1 for a perfect line, 0 for no linear trend).
func linearFit(xs, ys []float64) (slope, intercept, r2 float64, ok bool) {
	n := float64(len(xs))
	if len(xs) < 2 || len(xs) != len(ys) {
		return 0, 0, 0, false
	}
	mx, my := mean(xs), mean(ys)
	var sxx, sxy, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 || n < 2 {
		return 0, 0, 0, false
	}
	slope = sxy / sxx
	intercept = my - slope*mx
	if syy == 0 {
		return slope, intercept, 0, true
	}
	r2 = (sxy * sxy) / (sxx * syy)
	return slope, intercept, r2, true
}

// finite reports whether v is a usable number (user data may carry NaN/Inf).
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// smallMedian is median for the rolling window (at most len(buf) values),
// sorted in place in buf: no allocation per interval.
func smallMedian(buf []float64, xs []float64) float64 {
	n := copy(buf, xs)
	s := buf[:n]
	for i := 1; i < n; i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return quantileSorted(s, 0.5)
}

func minOf(xs []float64) float64 {
	m := math.Inf(1)
	for _, x := range xs {
		m = math.Min(m, x)
	}
	return m
}
