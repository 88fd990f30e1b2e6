package attribution

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A regex compiled per request also allocates: the samples under both
// regexp.Compile and the allocator count for both rules, and RuleSets
// keeps them apart from each rule's own samples, so a saving can count
// them once.
func TestRuleSetsPartitionAttributedCPU(t *testing.T) {
	b := newBuilder().add(ebpf("checkout",
		ev(30, ebpfGo("main.handler"), ebpfGo("regexp.Compile"), ebpfGo("regexp/syntax.Parse")),
		ev(20, ebpfGo("main.handler"), ebpfGo("regexp.Compile"), ebpfGo("regexp/syntax.(*parser).push"), ebpfGo("runtime.mallocgc")),
		ev(10, ebpfGo("main.handler"), ebpfGo("encoding/json.Marshal"), ebpfGo("runtime.mallocgc")),
		ev(40, ebpfGo("main.handler"), ebpfGo("main.work")),
	))
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	w := NewWindow()
	require.NoError(t, a.Accumulate(b.pd, w))
	st := w.Services["checkout"]
	require.NotNil(t, st)
	sets := a.RuleSets(st)
	got := map[string]float64{}
	var sum float64
	for _, s := range sets {
		key := ""
		for i, r := range s.Rules {
			if i > 0 {
				key += "+"
			}
			key += r
		}
		got[key] = s.CPU / st.CPUValue
		sum += s.Events
	}
	assert.InDelta(t, 0.30, got[rRegex], 1e-9, "regex alone")
	assert.InDelta(t, 0.20, got[rAlloc+"+"+rRegex], 1e-9, "regex and alloc: the shared samples")
	assert.InDelta(t, 0.10, got[rAlloc], 1e-9, "alloc alone")
	assert.Len(t, got, 3)
	assert.InDelta(t, 60, sum, 1e-9, "every attributed sample in exactly one set")
	// The rules' own shares still count the shared samples for each.
	assert.InDelta(t, 0.50, st.Rules[rRegex].CPUValue/st.CPUValue, 1e-9)
	assert.InDelta(t, 0.30, st.Rules[rAlloc].CPUValue/st.CPUValue, 1e-9)
}
