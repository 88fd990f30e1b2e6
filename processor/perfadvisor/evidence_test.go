package perfadvisor

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

func stackEv(share float64, frames ...string) report.Evidence {
	return report.Evidence{Kind: "stack", Share: report.Float(share), Frames: frames}
}

func TestVisibleEvidence(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name       string
		ev         []report.Evidence
		max        int
		wantStacks int // evidence pieces kept
		wantFrames int // frames of the last piece kept
	}{
		{"all fits", []report.Evidence{stackEv(0.5, "a", "b"), stackEv(0.1, "c")}, 100, 2, 1},
		{"second stack cut", []report.Evidence{stackEv(0.5, long, long), stackEv(0.1, long, long, long)}, 100, 2, 1},
		{"third never shown", []report.Evidence{stackEv(0.5, long, long), stackEv(0.2, long), stackEv(0.1, long)}, 90, 2, 0},
		{"first stack cut", []report.Evidence{stackEv(0.5, long, long, long, long), stackEv(0.1, "c")}, 50, 1, 2},
		{"exactly at the limit", []report.Evidence{{Kind: "series", Series: "s"}, stackEv(0.1, "c")}, 1, 1, 0},
		{"series and description", []report.Evidence{{Kind: "series", Series: "gc", Value: report.Float(2)}, {Kind: "metadata", Description: "block profiling on"}}, 1024, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := visibleEvidence(tt.ev, tt.max)
			assert.Equal(t, evidenceString(tt.ev, tt.max), evidenceString(got, tt.max))
			require.Len(t, got, tt.wantStacks)
			assert.Len(t, got[len(got)-1].Frames, tt.wantFrames)
			assert.Equal(t, len(got), cap(got), "no spare room kept")
		})
	}
}

// TestVisibleEvidenceRendersTheSame: on random evidence and limits, the cut
// evidence renders exactly as the full one, and keeps at most one frame
// past the limit.
func TestVisibleEvidenceRendersTheSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	word := func() string { return strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(60)) + "é" }
	for range 2000 {
		var ev []report.Evidence
		for range rng.IntN(6) {
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
		got := visibleEvidence(ev, max)
		require.Equal(t, evidenceString(ev, max), evidenceString(got, max), "%v at %d", ev, max)
		frameBytes := 0
		for _, e := range got {
			for _, f := range e.Frames {
				frameBytes += len(f)
			}
		}
		assert.LessOrEqual(t, frameBytes, max+61+len("é"), fmt.Sprint(got))
	}
}
