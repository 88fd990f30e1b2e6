package perfadvisor

import (
	"runtime"
	"sync"
	"weak"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// A finding's evidence is only ever written out as evidenceString, cut at
// limits.max_evidence_length, and the tracker keeps a signal's finding until
// it resolves. So before a signal reaches the tracker its evidence becomes
// that string, as one piece of text: the event is byte for byte the same
// (evidenceString gives a lone text piece back as it is), the window's
// candidate frames are freed, and a finding holds at most the limit.
// Services that run the same code raise the same stacks: one copy of each
// text is shared, held weakly so it goes with the last finding that shows it.

// evidenceKindText marks evidence already rendered to its event text.
const evidenceKindText = "text"

// sharedTexts interns rendered evidence, process-wide.
var sharedTexts = evidenceTexts{m: map[string]weak.Pointer[[1]report.Evidence]{}}

type evidenceTexts struct {
	mu sync.Mutex // cleanups run on their own goroutine
	m  map[string]weak.Pointer[[1]report.Evidence]
}

// shared is the one-piece evidence of text, the same backing array for every
// caller while any holds it. Callers must not write to it.
func (t *evidenceTexts) shared(text string) []report.Evidence {
	t.mu.Lock()
	defer t.mu.Unlock()
	if wp, ok := t.m[text]; ok {
		if p := wp.Value(); p != nil {
			return p[:]
		}
	}
	arr := &[1]report.Evidence{{Kind: evidenceKindText, Description: text}}
	wp := weak.Make(arr)
	t.m[text] = wp
	runtime.AddCleanup(arr, func(text string) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.m[text] == wp {
			delete(t.m, text)
		}
	}, text)
	return arr[:]
}

// renderSignals replaces every signal's evidence with its event text.
func renderSignals(signals []report.Signal, max int) {
	for i := range signals {
		if ev := signals[i].Finding.Evidence; len(ev) > 0 {
			signals[i].Finding.Evidence = sharedTexts.shared(evidenceString(ev, max))
		}
	}
}
