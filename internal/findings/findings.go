// Package findings holds the finding lifecycle: a per (service, rule) state
// machine with Prometheus alerting semantics (inactive → pending → firing →
// resolved), evaluated at an event time handed in, never the wall clock.
package findings

import (
	"math"
	"sort"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// State of one (service, rule) pair.
type State int

const (
	// StateInactive: no signal at or above the threshold (untracked pairs are inactive).
	StateInactive State = iota
	// StatePending: the signal is active but has not held for `for` yet.
	StatePending
	// StateFiring: the finding is raised.
	StateFiring
	// StateResolved: the finding was raised and has since resolved; kept for a while.
	StateResolved
)

func (s State) String() string {
	switch s {
	case StatePending:
		return "pending"
	case StateFiring:
		return "firing"
	case StateResolved:
		return "resolved"
	default:
		return "inactive"
	}
}

// Config of a Tracker.
type Config struct {
	// For is how long a signal must stay active before the finding fires.
	For time.Duration
	// KeepFiringFor keeps a finding firing this long after its level fell below the resolve level.
	KeepFiringFor time.Duration
	// HysteresisRatio: a firing finding resolves only below threshold × ratio (1 when 0).
	HysteresisRatio float64
	// MaxKeys caps the tracked (service, rule) pairs; new pairs beyond it are dropped and counted.
	MaxKeys int
	// ResolvedRetention is how long a resolved pair is remembered (15m when 0, as Prometheus).
	ResolvedRetention time.Duration
}

// Key names one finding.
type Key struct {
	Service string
	Rule    string
}

// Alert is the tracked state of one Key.
type Alert struct {
	Key
	// Source groups keys judged together (e.g. "profiles", "metrics") for absence handling.
	Source     string
	State      State
	ActiveAt   time.Time // when the signal became active (pending began)
	FiredAt    time.Time
	ResolvedAt time.Time
	// KeepFiringSince is when a firing finding's level first fell below the resolve level.
	KeepFiringSince time.Time
	// LastSignal is the event time of the newest signal for this key.
	LastSignal time.Time
	// LastEval is the event time of the newest evaluation that covered this key.
	LastEval  time.Time
	Level     float64
	Threshold float64
	// Finding is the description from the newest signal that carried one.
	Finding report.Finding
	// Severity is fixed when the finding fires, so a raised finding keeps one
	// identity (one alert series) while its share moves.
	Severity report.Severity
}

// ChangeKind says which way a finding changed.
type ChangeKind int

const (
	Raised ChangeKind = iota + 1
	Resolved
)

func (k ChangeKind) String() string {
	if k == Raised {
		return "raised"
	}
	return "resolved"
}

// Change is one state change, to be written as a log event.
type Change struct {
	Kind  ChangeKind
	At    time.Time
	Alert Alert // a copy, as of the change
}

// Scope says which tracked keys an evaluation covers: a covered key with no
// signal is read as level 0 (the rule found nothing), an uncovered one is left alone.
type Scope struct {
	Source string
	// Services covered; nil means every service of Source.
	Services map[string]bool
	// StaleAfter: keys of Source with no signal for this long are covered too (0: never).
	StaleAfter time.Duration
}

// Tracker runs the lifecycle of every key. Not safe for concurrent use: the
// caller serialises updates (the processor holds its engine lock).
type Tracker struct {
	cfg     Config
	alerts  map[Key]*Alert
	dropped int64
	invalid int64
}

// New returns an empty Tracker.
func New(cfg Config) *Tracker {
	if cfg.HysteresisRatio <= 0 || cfg.HysteresisRatio > 1 {
		cfg.HysteresisRatio = 1
	}
	if cfg.ResolvedRetention <= 0 {
		cfg.ResolvedRetention = 15 * time.Minute
	}
	return &Tracker{cfg: cfg, alerts: map[Key]*Alert{}}
}

// Dropped counts new keys refused because MaxKeys was reached.
func (t *Tracker) Dropped() int64 { return t.dropped }

// Invalid counts signals skipped for a NaN or infinite level.
func (t *Tracker) Invalid() int64 { return t.invalid }

// Len is the number of tracked keys.
func (t *Tracker) Len() int { return len(t.alerts) }

// Get returns a copy of a key's state.
func (t *Tracker) Get(k Key) (Alert, bool) {
	a, ok := t.alerts[k]
	if !ok {
		return Alert{Key: k}, false
	}
	return *a, true
}

// Firing returns the firing alerts ordered by service, then rule.
func (t *Tracker) Firing() []Alert {
	var out []Alert
	for _, a := range t.alerts {
		if a.State == StateFiring {
			out = append(out, *a)
		}
	}
	sortAlerts(out)
	return out
}

// Update applies the signals of one evaluation at event time at and returns
// the state changes, ordered by service, then rule. A key's evaluations must
// move forward in time: an evaluation older than the key's last is ignored
// for that key (a replay of old data cannot rewind a live finding).
func (t *Tracker) Update(at time.Time, scope Scope, signals []report.Signal) []Change {
	var changes []Change
	seen := make(map[Key]bool, len(signals))
	for i := range signals {
		s := &signals[i]
		k := Key{Service: s.Service, Rule: s.Rule}
		seen[k] = true
		if math.IsNaN(s.Level) || math.IsInf(s.Level, 0) {
			t.invalid++ // a non-finite level cannot be compared: skip it, and do not read it as absence
			continue
		}
		a, ok := t.alerts[k]
		if !ok {
			if !s.Active {
				continue // nothing to remember about an inactive, untracked key
			}
			if !t.makeRoom(at) {
				t.dropped++
				continue
			}
			a = &Alert{Key: k, Source: scope.Source}
			t.alerts[k] = a
		}
		if !a.LastEval.IsZero() && at.Before(a.LastEval) {
			continue
		}
		a.LastSignal = at
		if c, ok := t.step(a, at, s.Active, s.Level, s.Threshold, &s.Finding); ok {
			changes = append(changes, c)
		}
	}
	for k, a := range t.alerts {
		if seen[k] || a.Source != scope.Source || !t.covers(scope, a, at) {
			continue
		}
		if !a.LastEval.IsZero() && at.Before(a.LastEval) {
			continue
		}
		if c, ok := t.step(a, at, false, 0, a.Threshold, nil); ok {
			changes = append(changes, c)
		}
	}
	t.expire(at)
	sort.Slice(changes, func(i, j int) bool { return less(changes[i].Alert.Key, changes[j].Alert.Key) })
	return changes
}

func (t *Tracker) covers(scope Scope, a *Alert, at time.Time) bool {
	if scope.Services == nil || scope.Services[a.Service] {
		return true
	}
	return scope.StaleAfter > 0 && at.Sub(a.LastSignal) >= scope.StaleAfter
}

// step is the state machine of one key at one evaluation.
func (t *Tracker) step(a *Alert, at time.Time, active bool, level, threshold float64, f *report.Finding) (Change, bool) {
	a.LastEval = at
	a.Level = level
	if threshold > 0 {
		a.Threshold = threshold
	}
	if f != nil && f.Rule != "" {
		a.Finding = *f
	}
	switch a.State {
	case StateInactive, StateResolved:
		if !active {
			return Change{}, false
		}
		a.State, a.ActiveAt = StatePending, at
		a.FiredAt, a.ResolvedAt, a.KeepFiringSince = time.Time{}, time.Time{}, time.Time{}
		if t.cfg.For <= 0 {
			return t.fire(a, at), true
		}
	case StatePending:
		if !active {
			a.State, a.ActiveAt = StateInactive, time.Time{}
			return Change{}, false
		}
		if at.Sub(a.ActiveAt) >= t.cfg.For {
			return t.fire(a, at), true
		}
	case StateFiring:
		// Hold while active or inside the hysteresis band; resolve only below it.
		if active || level >= a.Threshold*t.cfg.HysteresisRatio {
			a.KeepFiringSince = time.Time{}
			return Change{}, false
		}
		if a.KeepFiringSince.IsZero() {
			a.KeepFiringSince = at
		}
		if at.Sub(a.KeepFiringSince) >= t.cfg.KeepFiringFor {
			a.State, a.ResolvedAt = StateResolved, at
			return Change{Kind: Resolved, At: at, Alert: *a}, true
		}
	}
	return Change{}, false
}

func (t *Tracker) fire(a *Alert, at time.Time) Change {
	a.State, a.FiredAt = StateFiring, at
	a.Severity = a.Finding.Severity
	if a.Severity == "" {
		a.Severity = report.SeverityWarning
	}
	return Change{Kind: Raised, At: at, Alert: *a}
}

// makeRoom reports whether a new key fits, forgetting inactive and resolved keys first.
func (t *Tracker) makeRoom(at time.Time) bool {
	if t.cfg.MaxKeys <= 0 || len(t.alerts) < t.cfg.MaxKeys {
		return true
	}
	for k, a := range t.alerts {
		if a.State == StateInactive || a.State == StateResolved {
			delete(t.alerts, k)
			return true
		}
	}
	return false
}

// expire forgets inactive keys and resolved keys past their retention.
func (t *Tracker) expire(at time.Time) {
	for k, a := range t.alerts {
		switch {
		case a.State == StateInactive:
			delete(t.alerts, k)
		case a.State == StateResolved && at.Sub(a.ResolvedAt) >= t.cfg.ResolvedRetention:
			delete(t.alerts, k)
		}
	}
}

func less(a, b Key) bool {
	if a.Service != b.Service {
		return a.Service < b.Service
	}
	return a.Rule < b.Rule
}

func sortAlerts(as []Alert) {
	sort.Slice(as, func(i, j int) bool { return less(as[i].Key, as[j].Key) })
}
