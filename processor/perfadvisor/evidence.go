package perfadvisor

import (
	"fmt"
	"slices"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// A finding's evidence is only ever written out as evidenceString, cut at
// limits.max_evidence_length; the tracker keeps a signal's finding until it
// resolves. So before a signal reaches the tracker its evidence is cut to
// what that string shows: stacks past the limit are dropped, the stack that
// crosses it keeps its frames up to the crossing one. What is dropped never
// reached a log record, so the events are byte for byte the same.

// visibleEvidence returns the part of ev that evidenceString(ev, max) shows,
// in fresh slices (the full evidence can be freed). The rendering of the
// result is a prefix of ev's, and either all of it or longer than max, so
// both cut to the same string.
func visibleEvidence(ev []report.Evidence, max int) []report.Evidence {
	n := 0 // length of the rendering so far, as evidenceString writes it
	out := make([]report.Evidence, 0, len(ev))
	for i, e := range ev {
		if n >= max {
			break // evidenceString stops here too
		}
		if i > 0 {
			n += len(pieceSep)
		}
		if e.Share != nil {
			n += len(fmt.Sprintf(shareFormat, 100**e.Share))
		}
		if len(e.Frames) == 0 {
			n += len(pieceText(e))
			out = append(out, e)
			continue
		}
		k := 0
		for k < len(e.Frames) && n <= max {
			if k > 0 {
				n += len(frameSep)
			}
			n += len(e.Frames[k])
			k++
		}
		e.Frames = slices.Clone(e.Frames[:k])
		out = append(out, e)
		if k < len(e.Frames) {
			break
		}
	}
	return slices.Clip(out)
}

// visibleSignals cuts every signal's evidence to what its events can show.
func visibleSignals(signals []report.Signal, max int) {
	for i := range signals {
		if ev := signals[i].Finding.Evidence; len(ev) > 0 {
			signals[i].Finding.Evidence = visibleEvidence(ev, max)
		}
	}
}
