package attribution

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
)

// budgetRun feeds n requests of one service, alternating the fixtures (a
// mixed stream: replicas doing different work), through windows of an
// analyzer with the given budget, and returns the last window.
func budgetRun(t *testing.T, perWindow int64, windows, n int, inputs []pprofile.Profiles) (*Analyzer, *Window) {
	t.Helper()
	cat, err := catalog.Default()
	require.NoError(t, err)
	a, err := New(cat, Options{DefaultService: "mixed", ProfilesPerWindow: perWindow})
	require.NoError(t, err)
	var w *Window
	for range windows {
		w = NewWindow()
		for i := range n {
			require.NoError(t, a.Accumulate(inputs[i%len(inputs)], w))
		}
		a.NoteJudged(w)
	}
	return a, w
}

func TestAnalysisBudget(t *testing.T) {
	var inputs []pprofile.Profiles
	for _, c := range []string{"regex-a", "tls-a", "clean-python", "db-a"} {
		inputs = append(inputs, loadProfiles(t, filepath.Join(fixturesDir, c, "cpu.pb.gz")))
	}
	const n = 800
	_, full := budgetRun(t, 0, 1, n, inputs)
	fs := full.Services["mixed"]
	require.NotNil(t, fs)
	assert.EqualValues(t, n, fs.Walked)
	assert.Zero(t, fs.SampledOut)

	tests := []struct {
		name          string
		perWindow     int64
		windows       int
		walkedAtMost  int64
		walkedAtLeast int64
	}{
		// First window: no history; full rate up to twice the budget, then
		// halving per further budget: 2b + b·log2(n/2b) at most.
		{"first window thins itself", 40, 1, 40 * 6, 80},
		// Later windows: a fraction of budget/n from the window before.
		{"steady window walks about the budget", 80, 2, 2 * 80, 80 / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, w := budgetRun(t, tt.perWindow, tt.windows, n, inputs)
			ss := w.Services["mixed"]
			require.NotNil(t, ss)
			assert.EqualValues(t, n, ss.Profiles)
			assert.Equal(t, ss.Profiles, ss.Walked+ss.SampledOut)
			assert.Equal(t, ss.SampledOut, w.SampledOut)
			assert.LessOrEqual(t, ss.Walked, tt.walkedAtMost)
			assert.GreaterOrEqual(t, ss.Walked, tt.walkedAtLeast)
			// Events are the samples really read; CPU is weighted to all.
			assert.Less(t, ss.CPUSamples, fs.CPUSamples)
			assert.InEpsilon(t, fs.CPUValue, ss.CPUValue*ss.CPUScale(), 0.1, "weighted CPU estimates the whole")
			for id, frs := range fs.Rules {
				rs := ss.Rules[id]
				require.NotNil(t, rs, id)
				assert.InDelta(t, frs.CPUValue/fs.CPUValue, rs.CPUValue/ss.CPUValue, 0.05, "share of %s", id)
			}
			for id, frs := range fs.Rules {
				t.Logf("%s: share %.4f walking %d of %d, %.4f walking all", id, ss.Rules[id].CPUValue/ss.CPUValue, ss.Walked, ss.Profiles, frs.CPUValue/fs.CPUValue)
			}
			t.Logf("CPU %.1f s estimated (%.1f s before the count correction), %.1f s in all", ss.CPUValue*ss.CPUScale()/1e9, ss.CPUValue/1e9, fs.CPUValue/1e9)
			cov := a.Coverage(ss)
			assert.True(t, cov.Judged)
			assert.Contains(t, cov.Note, "shares estimated from")
		})
	}

	// The same input gives the same advice: the draw is a hash, not a clock.
	_, w1 := budgetRun(t, 40, 2, n, inputs)
	_, w2 := budgetRun(t, 40, 2, n, inputs)
	assert.Equal(t, w1.Services["mixed"].Walked, w2.Services["mixed"].Walked)
	assert.Equal(t, w1.Services["mixed"].CPUValue, w2.Services["mixed"].CPUValue)
}

func TestUnitHashIsUniform(t *testing.T) {
	var buckets [10]int
	const n = 100_000
	for i := range int64(n) {
		buckets[int(unitHash("svc", i)*10)]++
	}
	for i, c := range buckets {
		assert.InDelta(t, n/10, c, n/10*0.05, "bucket %d", i)
	}
}
