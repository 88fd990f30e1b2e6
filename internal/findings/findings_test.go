package findings

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// step is one evaluation: at t0+at, the signal of (svc, regex) is level
// (active when level ≥ 0.10), or absent when absent is set.
type step struct {
	at     time.Duration
	level  float64
	absent bool
	// want after the step
	state  State
	change ChangeKind // 0: no change
}

func sig(level float64) report.Signal {
	return report.Signal{
		Rule: "regex_compile_hot_path", Service: "svc", Level: level, Threshold: 0.10, Active: level >= 0.10,
		Finding: report.Finding{Rule: "regex_compile_hot_path", Service: "svc", CPURatio: report.Float(level), Severity: report.SeverityWarning},
	}
}

func TestLifecycle(t *testing.T) {
	key := Key{Service: "svc", Rule: "regex_compile_hot_path"}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{
			name: "for=0 raises at the first active evaluation",
			cfg:  Config{HysteresisRatio: 0.8},
			steps: []step{
				{at: 0, level: 0.2, state: StateFiring, change: Raised},
				{at: time.Minute, level: 0.2, state: StateFiring},
			},
		},
		{
			name: "pending until the signal held for `for`",
			cfg:  Config{For: 2 * time.Minute, HysteresisRatio: 0.8},
			steps: []step{
				{at: 0, level: 0.2, state: StatePending},
				{at: time.Minute, level: 0.2, state: StatePending},
				{at: 2 * time.Minute, level: 0.2, state: StateFiring, change: Raised},
			},
		},
		{
			name: "pending falls back to inactive when the signal drops",
			cfg:  Config{For: 2 * time.Minute, HysteresisRatio: 0.8},
			steps: []step{
				{at: 0, level: 0.2, state: StatePending},
				{at: time.Minute, level: 0.05, state: StateInactive},
				{at: 2 * time.Minute, level: 0.2, state: StatePending},
				{at: 3 * time.Minute, level: 0.2, state: StatePending},
				{at: 4 * time.Minute, level: 0.2, state: StateFiring, change: Raised},
			},
		},
		{
			name: "hysteresis band keeps a firing finding raised",
			cfg:  Config{HysteresisRatio: 0.8},
			steps: []step{
				{at: 0, level: 0.2, state: StateFiring, change: Raised},
				{at: time.Minute, level: 0.09, state: StateFiring},      // below 0.10, above 0.08
				{at: 2 * time.Minute, level: 0.081, state: StateFiring}, // just above the lower level
				{at: 3 * time.Minute, level: 0.07, state: StateResolved, change: Resolved},
			},
		},
		{
			name: "keep_firing_for delays resolution and restarts when the level recovers",
			cfg:  Config{KeepFiringFor: 2 * time.Minute, HysteresisRatio: 0.8},
			steps: []step{
				{at: 0, level: 0.2, state: StateFiring, change: Raised},
				{at: time.Minute, level: 0.01, state: StateFiring},
				{at: 2 * time.Minute, level: 0.09, state: StateFiring}, // back in the band: clock reset
				{at: 3 * time.Minute, level: 0.01, state: StateFiring},
				{at: 4 * time.Minute, level: 0.01, state: StateFiring},
				{at: 5 * time.Minute, level: 0.01, state: StateResolved, change: Resolved},
			},
		},
		{
			name: "absence in a covered evaluation reads as level 0",
			cfg:  Config{HysteresisRatio: 0.8},
			steps: []step{
				{at: 0, level: 0.2, state: StateFiring, change: Raised},
				{at: time.Minute, absent: true, state: StateResolved, change: Resolved},
			},
		},
		{
			name: "resolved finding can be raised again",
			cfg:  Config{HysteresisRatio: 0.8},
			steps: []step{
				{at: 0, level: 0.2, state: StateFiring, change: Raised},
				{at: time.Minute, level: 0, state: StateResolved, change: Resolved},
				{at: 2 * time.Minute, level: 0.3, state: StateFiring, change: Raised},
			},
		},
		{
			name: "an evaluation older than the last one is ignored",
			cfg:  Config{HysteresisRatio: 0.8},
			steps: []step{
				{at: 10 * time.Minute, level: 0.2, state: StateFiring, change: Raised},
				{at: time.Minute, level: 0, state: StateFiring},
			},
		},
		{
			name: "ratio 0 means resolve at the threshold",
			cfg:  Config{},
			steps: []step{
				{at: 0, level: 0.2, state: StateFiring, change: Raised},
				{at: time.Minute, level: 0.099, state: StateResolved, change: Resolved},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(tt.cfg)
			for i, s := range tt.steps {
				var sigs []report.Signal
				if !s.absent {
					sigs = []report.Signal{sig(s.level)}
				}
				at := t0.Add(s.at)
				changes := tr.Update(at, Scope{Source: "profiles"}, sigs)
				a, _ := tr.Get(key)
				assert.Equalf(t, s.state, a.State, "step %d: state", i)
				if s.change == 0 {
					assert.Emptyf(t, changes, "step %d: changes", i)
					continue
				}
				require.Lenf(t, changes, 1, "step %d: changes", i)
				assert.Equal(t, s.change, changes[0].Kind)
				assert.Equal(t, at, changes[0].At)
				assert.Equal(t, key, changes[0].Alert.Key)
			}
		})
	}
}

func TestScope(t *testing.T) {
	tests := []struct {
		name      string
		scope     Scope
		at        time.Duration
		wantState State
	}{
		{name: "other source leaves the key alone", scope: Scope{Source: "metrics"}, at: time.Minute, wantState: StateFiring},
		{name: "other service leaves the key alone", scope: Scope{Source: "profiles", Services: map[string]bool{"b": true}}, at: time.Minute, wantState: StateFiring},
		{name: "listed service covers the key", scope: Scope{Source: "profiles", Services: map[string]bool{"svc": true}}, at: time.Minute, wantState: StateResolved},
		{name: "stale key is covered", scope: Scope{Source: "profiles", Services: map[string]bool{"b": true}, StaleAfter: 3 * time.Minute}, at: 3 * time.Minute, wantState: StateResolved},
		{name: "fresh key is not stale yet", scope: Scope{Source: "profiles", Services: map[string]bool{"b": true}, StaleAfter: 3 * time.Minute}, at: 2 * time.Minute, wantState: StateFiring},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(Config{})
			require.Len(t, tr.Update(t0, Scope{Source: "profiles"}, []report.Signal{sig(0.5)}), 1)
			tr.Update(t0.Add(tt.at), tt.scope, nil)
			a, _ := tr.Get(Key{Service: "svc", Rule: "regex_compile_hot_path"})
			assert.Equal(t, tt.wantState, a.State)
		})
	}
}

func TestMaxKeys(t *testing.T) {
	tr := New(Config{MaxKeys: 2})
	var sigs []report.Signal
	for _, svc := range []string{"a", "b", "c", "d"} {
		s := sig(0.5)
		s.Service = svc
		sigs = append(sigs, s)
	}
	changes := tr.Update(t0, Scope{Source: "profiles"}, sigs)
	assert.Len(t, changes, 2)
	assert.Equal(t, 2, tr.Len())
	assert.EqualValues(t, 2, tr.Dropped())
	assert.Len(t, tr.Firing(), 2)
}

func TestMaxKeysForgetsResolvedFirst(t *testing.T) {
	tr := New(Config{MaxKeys: 1})
	a := sig(0.5)
	a.Service = "a"
	tr.Update(t0, Scope{Source: "profiles"}, []report.Signal{a})
	tr.Update(t0.Add(time.Minute), Scope{Source: "profiles"}, nil) // a resolves
	b := sig(0.5)
	b.Service = "b"
	changes := tr.Update(t0.Add(2*time.Minute), Scope{Source: "profiles", Services: map[string]bool{"b": true}}, []report.Signal{b})
	require.Len(t, changes, 1)
	assert.Equal(t, "b", changes[0].Alert.Service)
	assert.Zero(t, tr.Dropped())
}

func TestResolvedRetention(t *testing.T) {
	tr := New(Config{ResolvedRetention: 5 * time.Minute})
	tr.Update(t0, Scope{Source: "profiles"}, []report.Signal{sig(0.5)})
	tr.Update(t0.Add(time.Minute), Scope{Source: "profiles"}, nil)
	assert.Equal(t, 1, tr.Len())
	tr.Update(t0.Add(6*time.Minute), Scope{Source: "profiles"}, nil)
	assert.Equal(t, 0, tr.Len())
}

func TestInactiveUntrackedSignalIsNotKept(t *testing.T) {
	tr := New(Config{})
	assert.Empty(t, tr.Update(t0, Scope{Source: "profiles"}, []report.Signal{sig(0.01)}))
	assert.Equal(t, 0, tr.Len())
}

func TestFindingFollowsNewestSignal(t *testing.T) {
	tr := New(Config{})
	tr.Update(t0, Scope{Source: "profiles"}, []report.Signal{sig(0.2)})
	tr.Update(t0.Add(time.Minute), Scope{Source: "profiles"}, []report.Signal{sig(0.4)})
	f := tr.Firing()
	require.Len(t, f, 1)
	assert.InDelta(t, 0.4, *f[0].Finding.CPURatio, 1e-9)
	assert.InDelta(t, 0.4, f[0].Level, 1e-9)
	assert.Equal(t, t0, f[0].FiredAt)
}

func TestNonFiniteLevelIsSkipped(t *testing.T) {
	tests := []struct {
		name  string
		level float64
	}{
		{"NaN", math.NaN()},
		{"+Inf", math.Inf(1)},
		{"-Inf", math.Inf(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(Config{})
			tr.Update(t0, Scope{Source: "profiles"}, []report.Signal{sig(0.5)})
			bad := sig(0.5)
			bad.Level = tt.level
			assert.Empty(t, tr.Update(t0.Add(time.Minute), Scope{Source: "profiles", Services: map[string]bool{"svc": true}}, []report.Signal{bad}))
			a, _ := tr.Get(Key{Service: "svc", Rule: "regex_compile_hot_path"})
			assert.Equal(t, StateFiring, a.State)
			assert.EqualValues(t, 1, tr.Invalid())
		})
	}
}

func TestSeverityFixedWhileFiring(t *testing.T) {
	tr := New(Config{})
	tr.Update(t0, Scope{Source: "profiles"}, []report.Signal{sig(0.2)})
	critical := sig(0.6)
	critical.Finding.Severity = report.SeverityCritical
	tr.Update(t0.Add(time.Minute), Scope{Source: "profiles"}, []report.Signal{critical})
	f := tr.Firing()
	require.Len(t, f, 1)
	assert.Equal(t, report.SeverityWarning, f[0].Severity, "the identity of a raised finding does not change")
	assert.Equal(t, report.SeverityCritical, f[0].Finding.Severity, "the description follows the newest signal")
}
