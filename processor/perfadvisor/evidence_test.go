package perfadvisor

import (
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

func stackEv(share float64, frames ...string) report.Evidence {
	return report.Evidence{Kind: "stack", Share: report.Float(share), Frames: frames}
}

func TestRenderSignals(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name string
		ev   []report.Evidence
		max  int
	}{
		{"all fits", []report.Evidence{stackEv(0.5, "a", "b"), stackEv(0.1, "c")}, 100},
		{"cut in the second stack", []report.Evidence{stackEv(0.5, long, long), stackEv(0.1, long, long, long)}, 100},
		{"cut at a rune", []report.Evidence{stackEv(0.5, strings.Repeat("é", 30))}, 20},
		{"shorter than the ellipsis", []report.Evidence{stackEv(0.5, long)}, 2},
		{"series and description", []report.Evidence{{Kind: "series", Series: "gc", Value: report.Float(2)}, {Kind: "metadata", Description: "block profiling on"}}, 1024},
		{"none", nil, 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := []report.Signal{{Finding: report.Finding{Evidence: tt.ev}}}
			renderSignals(sigs, tt.max)
			got := sigs[0].Finding.Evidence
			assert.Equal(t, evidenceString(tt.ev, tt.max), evidenceString(got, tt.max), "the event text is the same")
			if len(tt.ev) == 0 {
				assert.Empty(t, got)
				return
			}
			require.Len(t, got, 1)
			assert.LessOrEqual(t, len(got[0].Description), tt.max, "a finding holds at most the limit")
		})
	}
}

// TestRenderedEvidenceReadsTheSame: on random evidence and limits, the text
// piece renders exactly as the evidence it replaced.
func TestRenderedEvidenceReadsTheSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	word := func() string { return strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(60)) + "é" }
	for range 2000 {
		var ev []report.Evidence
		for range 1 + rng.IntN(6) {
			switch rng.IntN(4) {
			case 0:
				ev = append(ev, report.Evidence{Kind: "series", Series: word(), Value: report.Float(rng.Float64() * 1e6)})
			case 1:
				ev = append(ev, report.Evidence{Kind: "metadata", Description: word()})
			default:
				var frames []string
				for range rng.IntN(9) {
					frames = append(frames, word())
				}
				e := report.Evidence{Kind: "stack", Frames: frames}
				if rng.IntN(3) > 0 {
					e.Share = report.Float(rng.Float64())
				}
				ev = append(ev, e)
			}
		}
		max := 1 + rng.IntN(400)
		got := sharedTexts.shared(evidenceString(ev, max))
		require.Equal(t, evidenceString(ev, max), evidenceString(got, max), "%v at %d", ev, max)
	}
}

func TestEvidenceTextsAreShared(t *testing.T) {
	ev := []report.Evidence{stackEv(0.5, "main.handler", "regexp.MustCompile")}
	a := []report.Signal{{Finding: report.Finding{Evidence: ev}}}
	b := []report.Signal{{Finding: report.Finding{Evidence: ev}}}
	renderSignals(a, 1024)
	renderSignals(b, 1024)
	assert.Same(t, &a[0].Finding.Evidence[0], &b[0].Finding.Evidence[0], "one copy for two services")

	// Once no finding holds a text, it leaves the table.
	sharedTexts.shared("a text no finding keeps")
	for range 100 { // cleanups run on their own goroutine after a collection
		runtime.GC()
		runtime.Gosched()
		sharedTexts.mu.Lock()
		_, held := sharedTexts.m["a text no finding keeps"]
		sharedTexts.mu.Unlock()
		if !held {
			break
		}
	}
	sharedTexts.mu.Lock()
	defer sharedTexts.mu.Unlock()
	assert.NotContains(t, sharedTexts.m, "a text no finding keeps")
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
}
