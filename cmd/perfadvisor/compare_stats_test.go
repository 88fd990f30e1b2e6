package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWilson(t *testing.T) {
	// Expected limits computed by hand from the closed form
	// (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n).
	tests := []struct {
		name   string
		x, n   float64
		lo, hi float64
	}{
		{"zero of ten", 0, 10, 0, 0.2775},
		{"81 of 263", 81, 263, 0.2553, 0.3662},
		{"all of one", 1, 1, 0.2065, 1},
		{"no events", 0, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := 0.0
			if tt.n > 0 {
				p = tt.x / tt.n
			}
			lo, hi := wilson(p, tt.n, z95)
			assert.InDelta(t, tt.lo, lo, 5e-5)
			assert.InDelta(t, tt.hi, hi, 5e-5)
		})
	}
}

func TestNewcombe(t *testing.T) {
	// Newcombe (1998), Statistics in Medicine 17:873, table II, method 10,
	// and two limits at the edges computed by hand.
	tests := []struct {
		name           string
		x1, n1, x2, n2 float64
		lo, hi         float64
	}{
		{"56/70 − 48/80", 56, 70, 48, 80, 0.0524, 0.3339},
		{"9/10 − 3/10", 9, 10, 3, 10, 0.1705, 0.8090},
		{"6/7 − 2/7", 6, 7, 2, 7, 0.0582, 0.8062},
		{"5/56 − 0/29", 5, 56, 0, 29, -0.0381, 0.1926},
		{"0/10 − 0/20", 0, 10, 0, 20, -0.1611, 0.2775},
		{"10/10 − 0/20", 10, 10, 0, 20, 0.6791, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := newcombe(tt.x1/tt.n1, tt.n1, tt.x2/tt.n2, tt.n2, z95)
			assert.InDelta(t, tt.lo, lo, 5e-5)
			assert.InDelta(t, tt.hi, hi, 5e-5)
			d := tt.x1/tt.n1 - tt.x2/tt.n2
			assert.True(t, lo <= d && d <= hi, "%v not in [%v, %v]", d, lo, hi)
		})
	}
}

func TestRateChange(t *testing.T) {
	tests := []struct {
		name           string
		r1, n1, r2, n2 float64
		wantOK         bool
		change, lo, hi float64
	}{
		// ratio 2, half-width 1.96·sqrt(1/100 + 1/200) = 0.24004
		{"doubled", 1, 100, 2, 200, true, 1, 2*math.Exp(-0.240044) - 1, 2*math.Exp(0.240044) - 1},
		{"same", 0.5, 400, 0.5, 400, true, 0, math.Exp(-0.138590) - 1, math.Exp(0.138590) - 1},
		{"no samples before", 0, 0, 1, 10, false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, lo, hi, ok := rateChange(tt.r1, tt.n1, tt.r2, tt.n2, z95)
			assert.Equal(t, tt.wantOK, ok)
			assert.InDelta(t, tt.change, c, 1e-9)
			assert.InDelta(t, tt.lo, lo, 1e-5)
			assert.InDelta(t, tt.hi, hi, 1e-5)
		})
	}
}
