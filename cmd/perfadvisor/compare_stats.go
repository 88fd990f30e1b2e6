package main

import "math"

// z95 is the two-sided 95% quantile of the standard normal distribution.
const z95 = 1.959963984540054

// wilson is the Wilson score interval of a proportion p observed over n
// events. Unlike the normal approximation it stays inside [0, 1] and keeps
// a useful width at p = 0, which is where a fixed rule ends up.
func wilson(p, n, z float64) (lo, hi float64) {
	if !(n > 0) {
		return 0, 1
	}
	p = math.Min(1, math.Max(0, p))
	z2 := z * z
	denom := 1 + z2/n
	center := (p + z2/(2*n)) / denom
	half := z * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / denom
	return math.Max(0, center-half), math.Min(1, center+half)
}

// newcombe is the hybrid score interval of the difference p1 − p2 of two
// independent proportions (Newcombe 1998, method 10): each side's Wilson
// limits combined in quadrature. It keeps close to nominal coverage for
// small shares and small counts, where the Wald interval of a difference
// is too narrow.
func newcombe(p1, n1, p2, n2, z float64) (lo, hi float64) {
	l1, u1 := wilson(p1, n1, z)
	l2, u2 := wilson(p2, n2, z)
	d := p1 - p2
	lo = d - math.Sqrt(sq(p1-l1)+sq(u2-p2))
	hi = d + math.Sqrt(sq(u1-p1)+sq(p2-l2))
	return math.Max(-1, lo), math.Min(1, hi)
}

func sq(x float64) float64 { return x * x }

// rateChange is the relative change of a CPU rate, after/before − 1, with
// a 95% interval from the sample counts behind each side: sampled CPU is a
// Poisson count, so the log of the ratio of two rates has variance
// 1/n1 + 1/n2. The interval covers sampling noise only, not a change in
// load between the two captures.
func rateChange(rateBefore, nBefore, rateAfter, nAfter, z float64) (change, lo, hi float64, ok bool) {
	if !(rateBefore > 0) || !(rateAfter > 0) || !(nBefore > 0) || !(nAfter > 0) {
		return 0, 0, 0, false
	}
	ratio := rateAfter / rateBefore
	half := z * math.Sqrt(1/nBefore+1/nAfter)
	return ratio - 1, ratio*math.Exp(-half) - 1, ratio*math.Exp(half) - 1, true
}
