package validation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// reading is one minute of a version at 100 Hz: events CPU samples of 10 ms,
// regex of them in regexp compilation.
func reading(service, version string, minute int, events, regex float64, requests float64, active map[string]float64) Reading {
	return Reading{
		Service: service, Version: version,
		Start: t0.Add(time.Duration(minute) * time.Minute), End: t0.Add(time.Duration(minute+1) * time.Minute),
		CPU: events * 1e7, Events: events,
		Rules:    map[string]RuleReading{"regex_compile_hot_path": {CPU: regex * 1e7, Events: regex}},
		Active:   active,
		Requests: requests,
	}
}

// feed sends windows of v1 then of v2 and returns every result.
func feed(tr *Tracker, windows int, v1, v2 func(minute int) []Reading) []Result {
	var out []Result
	for m := range windows {
		out = append(out, tr.Add(v1(m))...)
	}
	for m := windows; m < 2*windows; m++ {
		out = append(out, tr.Add(v2(m))...)
	}
	return out
}

func TestSequentialComparisons(t *testing.T) {
	raised := map[string]float64{"regex_compile_hot_path": 0.27}
	tests := []struct {
		name       string
		v1, v2     func(m int) []Reading
		verdict    string
		realized   float64
		expected   float64
		regressed  bool
		normalized string
		cpuChange  float64
	}{
		{"the fix removes regex compilation",
			func(m int) []Reading { return []Reading{reading("checkout", "v1", m, 6000, 1800, 3000, raised)} },
			func(m int) []Reading { return []Reading{reading("checkout", "v2", m, 4200, 0, 3000, nil)} },
			VerdictFixed, 0.3, 0.27, false, NormalizedByRequests, -0.3},
		{"a change that compiles more",
			func(m int) []Reading { return []Reading{reading("checkout", "v1", m, 6000, 300, 3000, nil)} },
			func(m int) []Reading { return []Reading{reading("checkout", "v2", m, 7000, 1400, 3000, raised)} },
			VerdictRegressed, -0.15, 0, true, NormalizedByRequests, 7.0/6 - 1},
		{"nothing changed, no request metrics",
			func(m int) []Reading {
				return []Reading{reading("checkout", "v1", m, 6000, 600+float64(m%2)*10, 0, nil)}
			},
			func(m int) []Reading { return []Reading{reading("checkout", "v2", m, 6000, 605, 0, nil)} },
			VerdictUnchanged, 0, 0, false, NormalizedByNone, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(Config{})
			res := feed(tr, DefaultMinWindows, tt.v1, tt.v2)
			require.Len(t, res, 1, "one comparison once both versions have min_windows windows")
			r := res[0]
			assert.Equal(t, ModeSequential, r.Mode)
			assert.Equal(t, "v1", r.Before)
			assert.Equal(t, "v2", r.After)
			require.Len(t, r.Rules, 1)
			rr := r.Rules[0]
			assert.Equal(t, tt.verdict, rr.Verdict)
			assert.InDelta(t, tt.realized, rr.Realized, 0.005)
			assert.LessOrEqual(t, rr.Low, rr.Realized)
			assert.GreaterOrEqual(t, rr.High, rr.Realized)
			assert.InDelta(t, tt.expected, rr.Expected, 1e-9)
			assert.Equal(t, tt.regressed, r.Regressed())
			assert.Equal(t, tt.normalized, r.NormalizedBy)
			require.True(t, r.CPUKnown)
			assert.InDelta(t, tt.cpuChange, r.CPUChange, 0.01)
		})
	}
}

func TestNoComparisonBeforeMinWindows(t *testing.T) {
	tr := New(Config{MinWindows: 5})
	v := func(version string) func(int) []Reading {
		return func(m int) []Reading { return []Reading{reading("svc", version, m, 1000, 100, 0, nil)} }
	}
	assert.Empty(t, feed(tr, 4, v("v1"), v("v2")))
	assert.Len(t, tr.Add(v("v2")(9)), 0, "v1 had only 4 windows")
}

func TestSideBySide(t *testing.T) {
	tr := New(Config{})
	var res []Result
	for m := range DefaultMinWindows {
		res = append(res, tr.Add([]Reading{
			reading("cart", "v1", m, 3000, 900, 1500, map[string]float64{"regex_compile_hot_path": 0.27}),
			reading("cart", "v2", m, 2100, 0, 1500, nil),
		})...)
	}
	require.NotEmpty(t, res)
	var side *Result
	for i := range res {
		if res[i].Mode == ModeSideBySide {
			side = &res[i]
		}
	}
	require.NotNil(t, side, "a rolling deploy gives a side-by-side comparison: %+v", res)
	assert.Equal(t, "v1", side.Before)
	assert.Equal(t, "v2", side.After)
	assert.Equal(t, VerdictFixed, side.Rules[0].Verdict)
	assert.InDelta(t, 0.3, side.Rules[0].Realized, 0.005)
}

func TestSideBySideWithoutRequestsSaysNothingOfCPU(t *testing.T) {
	tr := New(Config{})
	var res []Result
	for m := range DefaultMinWindows {
		res = append(res, tr.Add([]Reading{
			reading("cart", "v1", m, 9000, 900, 0, nil), // nine pods on v1
			reading("cart", "v2", m, 1000, 100, 0, nil), // one canary pod
		})...)
	}
	for _, r := range res {
		if r.Mode == ModeSideBySide {
			assert.False(t, r.CPUKnown, "cores per version count pods, not cost")
			return
		}
	}
	t.Fatal("no side-by-side comparison")
}

func TestStateIsBounded(t *testing.T) {
	tr := New(Config{MaxVersions: 2, MaxServices: 2})
	for i, v := range []string{"v1", "v2", "v3", "v4"} {
		tr.Add([]Reading{reading("svc", v, i, 1000, 100, 0, nil)})
	}
	assert.Len(t, tr.services["svc"].versions, 2)
	assert.Equal(t, int64(2), tr.Dropped(), "two versions evicted")
	tr.Add([]Reading{reading("a", "v1", 0, 1000, 1, 0, nil), reading("b", "v1", 0, 1000, 1, 0, nil)})
	assert.Len(t, tr.services, 2)
	assert.Equal(t, int64(3), tr.Dropped(), "a third service is refused")
}

func TestReadingsWithoutVersionOrSamplesAreIgnored(t *testing.T) {
	tr := New(Config{})
	tr.Add([]Reading{reading("svc", "", 0, 1000, 1, 0, nil), reading("svc", "v1", 0, 0, 0, 0, nil)})
	assert.Empty(t, tr.services)
}
