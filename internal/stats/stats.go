// Package stats holds the interval estimates the advisor reports: shares of
// CPU samples (binomial proportions) and their differences, and changes of a
// per-window figure between two versions of a service.
package stats

import "math"

// z95 is the two-sided 95% normal quantile.
const z95 = 1.959963984540054

// Wilson is the 95% Wilson score interval of k successes in n trials
// (k sampled CPU events of a rule among n of the service). It stays inside
// [0, 1] and is honest for small k, where the normal approximation is not.
func Wilson(k, n float64) (lo, hi float64) {
	if !(n > 0) {
		return 0, 1
	}
	p := clamp01(k / n)
	z2 := z95 * z95
	den := 1 + z2/n
	center := (p + z2/(2*n)) / den
	half := z95 * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / den
	return clamp01(center - half), clamp01(center + half)
}

// Drop is p1 − p2 for k1 of n1 and k2 of n2 with its 95% interval by
// Newcombe's hybrid score method (two Wilson intervals combined), which
// keeps its coverage when one share is near 0 (a fixed problem).
func Drop(k1, n1, k2, n2 float64) (d, lo, hi float64) {
	p1, p2 := share(k1, n1), share(k2, n2)
	l1, u1 := Wilson(k1, n1)
	l2, u2 := Wilson(k2, n2)
	d = p1 - p2
	lo = math.Max(-1, d-math.Sqrt(sq(p1-l1)+sq(u2-p2)))
	hi = math.Min(1, d+math.Sqrt(sq(u1-p1)+sq(p2-l2)))
	return d, lo, hi
}

// RateChange is after/before − 1 of two CPU rates with a 95% interval from
// the sample counts behind each: sampled CPU is a Poisson count, so the log
// of the ratio has variance 1/n1 + 1/n2. It covers sampling noise only, not
// a change of load between two captures. ok is false without both rates.
func RateChange(rateBefore, nBefore, rateAfter, nAfter float64) (change, lo, hi float64, ok bool) {
	if !(rateBefore > 0) || !(rateAfter > 0) || !(nBefore > 0) || !(nAfter > 0) {
		return 0, 0, 0, false
	}
	ratio := rateAfter / rateBefore
	half := z95 * math.Sqrt(1/nBefore+1/nAfter)
	return ratio - 1, ratio*math.Exp(-half) - 1, ratio*math.Exp(half) - 1, true
}

// Change is mean(after)/mean(before) − 1 of per-window figures (CPU seconds
// per request, or cores), with a 95% interval from Welch's t on the log
// ratio (delta method); ok is false when either side has fewer than two
// windows or a non-positive mean.
func Change(before, after []float64) (change, lo, hi float64, ok bool) {
	mb, vb, nb := meanVar(before)
	ma, va, na := meanVar(after)
	if nb < 2 || na < 2 || !(mb > 0) || !(ma > 0) {
		return 0, 0, 0, false
	}
	// variance of the log of each mean
	sb, sa := vb/(nb*mb*mb), va/(na*ma*ma)
	se := math.Sqrt(sb + sa)
	df := nb + na - 2
	if den := sq(sb)/(nb-1) + sq(sa)/(na-1); den > 0 {
		df = sq(sb+sa) / den
	}
	r := math.Log(ma / mb)
	t := tQuantile975(df)
	return math.Exp(r) - 1, math.Exp(r-t*se) - 1, math.Exp(r+t*se) - 1, true
}

// Apart reports whether two intervals do not overlap and the second lies
// above the first: a rise that both sides' uncertainty cannot explain.
func Apart(lo1, hi1, lo2, hi2 float64) bool { return lo2 > hi1 && lo1 <= hi1 && lo2 <= hi2 }

func meanVar(xs []float64) (mean, variance, n float64) {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		n++
		mean += x
	}
	if n == 0 {
		return 0, 0, 0
	}
	mean /= n
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		variance += sq(x - mean)
	}
	if n > 1 {
		variance /= n - 1
	}
	return mean, variance, n
}

// t975 are Student's t 0.975 quantiles for 1..30 degrees of freedom.
var t975 = []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// tQuantile975 is the 0.975 quantile of Student's t; fractional degrees of
// freedom (Welch) round down, which errs wide.
func tQuantile975(df float64) float64 {
	i := int(math.Floor(df))
	switch {
	case i < 1:
		return t975[0]
	case i <= len(t975):
		return t975[i-1]
	}
	return z95
}

func share(k, n float64) float64 {
	if !(n > 0) {
		return 0
	}
	return clamp01(k / n)
}

func clamp01(v float64) float64 {
	switch {
	case math.IsNaN(v) || v < 0:
		return 0
	case v > 1:
		return 1
	}
	return v
}

func sq(x float64) float64 { return x * x }
