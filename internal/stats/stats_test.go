package stats

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f", what, got, want)
	}
}

// Published limits: Newcombe (1998), "Two-sided confidence intervals for the
// single proportion" (81/263) and "Interval estimation for the difference
// between independent proportions", method 10 (56/70 − 48/80).
func TestWilson(t *testing.T) {
	tests := []struct {
		name         string
		k, n, lo, hi float64
	}{
		{"Newcombe 81/263", 81, 263, 0.2553, 0.3662},
		{"zero successes", 0, 10, 0, 0.2775},
		{"all of one", 1, 1, 0.2065, 1},
		{"all successes", 10, 10, 0.7225, 1},
		{"no trials", 0, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := Wilson(tt.k, tt.n)
			near(t, "lo", lo, tt.lo, 5e-4)
			near(t, "hi", hi, tt.hi, 5e-4)
		})
	}
}

func TestDrop(t *testing.T) {
	tests := []struct {
		name           string
		k1, n1, k2, n2 float64
		d, lo, hi      float64
	}{
		{"Newcombe 56/70 - 48/80", 56, 70, 48, 80, 0.2, 0.0524, 0.3339},
		{"Newcombe 9/10 - 3/10", 9, 10, 3, 10, 0.6, 0.1705, 0.8090},
		{"Newcombe 6/7 - 2/7", 6, 7, 2, 7, 4.0 / 7, 0.0582, 0.8062},
		{"Newcombe 5/56 - 0/29", 5, 56, 0, 29, 5.0 / 56, -0.0381, 0.1926},
		{"0/10 - 0/20 (by hand)", 0, 10, 0, 20, 0, -0.1611, 0.2775},
		{"10/10 - 0/20, clamped to 1", 10, 10, 0, 20, 1, 0.6791, 1},
		{"a problem fixed: 300/1000 - 0/1000 (by hand)", 300, 1000, 0, 1000, 0.3, 0.2721, 0.3291},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, lo, hi := Drop(tt.k1, tt.n1, tt.k2, tt.n2)
			near(t, "d", d, tt.d, 1e-9)
			near(t, "lo", lo, tt.lo, 5e-4)
			near(t, "hi", hi, tt.hi, 5e-4)
		})
	}
}

func TestChange(t *testing.T) {
	tests := []struct {
		name          string
		before, after []float64
		ok            bool
		change        float64
		rise          bool // the interval lies above 0
		fall          bool // the interval lies below 0
	}{
		{"no change", []float64{1, 1.1, 0.9, 1, 1}, []float64{1, 0.9, 1.1, 1, 1}, true, 0, false, false},
		{"a clear 50% rise", []float64{1, 1.05, 0.95, 1, 1}, []float64{1.5, 1.55, 1.45, 1.5, 1.5}, true, 0.5, true, false},
		{"a clear 30% drop", []float64{1, 1.05, 0.95, 1, 1}, []float64{0.7, 0.72, 0.68, 0.7, 0.7}, true, -0.3, false, true},
		{"noise hides an 8% rise", []float64{1, 2, 0.5, 1.5, 0.5}, []float64{1.2, 2, 0.6, 1.5, 0.65}, true, 5.95/5.5 - 1, false, false},
		{"one window is not enough", []float64{1}, []float64{2, 2}, false, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, lo, hi, ok := Change(tt.before, tt.after)
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			near(t, "change", c, tt.change, 1e-9)
			if lo > c || hi < c {
				t.Errorf("interval [%.3f, %.3f] does not hold %.3f", lo, hi, c)
			}
			if (lo > 0) != tt.rise || (hi < 0) != tt.fall {
				t.Errorf("interval [%.3f, %.3f]: rise %v fall %v", lo, hi, tt.rise, tt.fall)
			}
		})
	}
}

func TestApart(t *testing.T) {
	if !Apart(0.1, 0.2, 0.25, 0.3) || Apart(0.1, 0.2, 0.15, 0.3) || Apart(0.25, 0.3, 0.1, 0.2) {
		t.Fatal("Apart: only a second interval wholly above the first is apart")
	}
}

func TestRateChange(t *testing.T) {
	tests := []struct {
		name           string
		r1, n1, r2, n2 float64
		ok             bool
		change, lo, hi float64
	}{
		// ratio 2, half-width 1.96·sqrt(1/100 + 1/200) = 0.24004
		{"doubled", 1, 100, 2, 200, true, 1, 2*math.Exp(-0.240044) - 1, 2*math.Exp(0.240044) - 1},
		{"same", 0.5, 400, 0.5, 400, true, 0, math.Exp(-0.138590) - 1, math.Exp(0.138590) - 1},
		{"no samples before", 0, 0, 1, 10, false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, lo, hi, ok := RateChange(tt.r1, tt.n1, tt.r2, tt.n2)
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			near(t, "change", c, tt.change, 1e-9)
			near(t, "lo", lo, tt.lo, 1e-5)
			near(t, "hi", hi, tt.hi, 1e-5)
		})
	}
}
