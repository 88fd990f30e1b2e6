package attribution

import (
	"fmt"
	"sync"
)

// The analysis budget (docs/performance.md, "Analysis budget"): a service
// that sends more profiles in a window than the statistics need gets only a
// random fraction of them walked, each walked one weighted by the inverse
// of that fraction (a Horvitz–Thompson estimate), so shares stay unbiased and
// CPU seconds stay estimates of the whole, while the engine's cost per
// window stays bounded whatever the traffic.
//
// The fraction comes from the previous judged window (profiles seen there
// over the budget), so the walked profiles are spread evenly over a window
// rather than being its first ones. Within a window, a service with no
// history that reaches its budget, or one with history that reaches twice
// it (traffic grew), is thinned further, halving for each further half
// budget walked.
// A request's profiles of one service count as one (a Go CPU profile comes
// as two over the same samples).

// budget is the Analyzer's memory of the last judged window.
type budget struct {
	perWindow int64 // profiles walked per service and window; 0: all
	mu        sync.RWMutex
	seen      map[string]int64 // profiles per service in the last judged window
}

// admit decides whether this request's profiles of ss are walked and
// returns their weight (0: sampled out).
func (a *Analyzer) admit(ss *ServiceStats) float64 {
	b := &a.budget
	ss.Profiles++
	if b.perWindow <= 0 {
		ss.Walked++
		return 1
	}
	k, guard := 1.0, b.perWindow
	b.mu.RLock()
	if n, ok := b.seen[ss.Service]; ok {
		guard = 2 * b.perWindow // the fraction is known: only a surge is thinned further
		if n > b.perWindow {
			k = float64(n) / float64(b.perWindow)
		}
	}
	b.mu.RUnlock()
	if ss.Walked >= guard {
		// Halve for each further half budget walked.
		k *= float64(uint64(1) << min(1+2*(ss.Walked-guard)/b.perWindow, 32))
	}
	if k <= 1 {
		ss.Walked++
		ss.weights++
		return 1
	}
	// A hash of (service, arrival number) is the uniform draw: the same
	// input gives the same advice, and the draw is independent of what the
	// profiles hold.
	if u := unitHash(ss.Service, ss.Profiles); u >= 1/k {
		ss.SampledOut++
		return 0
	}
	ss.Walked++
	ss.weights += k
	return k
}

// CPUScale corrects the weighted CPU of a thinned service to its request
// count: the weights of the walked requests sum to about the requests seen,
// and dividing by that sum (a Hájek estimate) takes the luck of how many
// were drawn out of the CPU seconds. Shares are ratios and need no
// correction. 1 when every request was walked.
func (s *ServiceStats) CPUScale() float64 {
	if s.SampledOut == 0 || s.weights <= 0 {
		return 1
	}
	return float64(s.Profiles) / s.weights
}

// NoteJudged remembers how many profiles each service of w sent, for the
// fractions of the next window. Windows judged later replace it.
func (a *Analyzer) NoteJudged(w *Window) {
	if a.budget.perWindow <= 0 {
		return
	}
	seen := make(map[string]int64, len(w.Services))
	for name, ss := range w.Services {
		seen[name] = ss.Profiles
	}
	a.budget.mu.Lock()
	a.budget.seen = seen
	a.budget.mu.Unlock()
}

// budgetNote qualifies a service whose shares come from a fraction of its profiles.
func (s *ServiceStats) budgetNote(perWindow int64) string {
	if s.SampledOut == 0 {
		return ""
	}
	return fmt.Sprintf("shares estimated from %d of %d profiles (analysis budget: %d profiles per window), CPU seconds scaled to all of them",
		s.Walked, s.Profiles, perWindow)
}

// serviceWeight is one service's admission in the request being accumulated.
type serviceWeight struct {
	ss     *ServiceStats
	weight float64
}

// weightOf is ss's weight in this request, admitting it on first sight.
// A request names few services: a slice beats a map.
func (a *Analyzer) weightOf(ws []serviceWeight, ss *ServiceStats, w *Window) ([]serviceWeight, float64) {
	for _, x := range ws {
		if x.ss == ss {
			return ws, x.weight
		}
	}
	weight := a.admit(ss)
	if weight == 0 {
		w.SampledOut++
	}
	return append(ws, serviceWeight{ss, weight}), weight
}

// unitHash maps (s, n) to [0, 1): FNV-1a over s, then n mixed in with the
// splitmix64 finaliser, whose output bits are close to independent.
func unitHash(s string, n int64) float64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	h ^= uint64(n)
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return float64(h>>11) / (1 << 53)
}
