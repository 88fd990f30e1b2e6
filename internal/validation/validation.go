// Package validation measures what a deploy did: it compares a version of a
// service with the one before once each has been seen for enough windows
// (a sequential deploy), and the two side by side while both run (a rolling
// or canary deploy: same windows, same load). Per rule it reports the
// realized CPU reduction with its 95% interval against the reduction the
// finding predicted, and for the service the change of CPU per request (or
// of cores where no request metrics exist). State is bounded: a few versions
// per service, a capped number of services, counted when dropped.
package validation

import (
	"sort"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/stats"
)

// Verdicts of one rule across a change.
const (
	VerdictFixed     = "fixed"     // the finding was raised before and not after, the share fell significantly
	VerdictImproved  = "improved"  // the share fell significantly
	VerdictUnchanged = "unchanged" // no significant change
	VerdictRegressed = "regressed" // the share rose significantly
	VerdictNew       = "new"       // no CPU before, a significant share after
)

// Comparison modes.
const (
	ModeSequential = "sequential"   // the new version after the old one
	ModeSideBySide = "side_by_side" // both in the same windows
)

// Normalisations of the service's CPU change.
const (
	NormalizedByRequests = "requests"
	NormalizedByNone     = "none"
)

// Config bounds the tracker. Zero fields take the defaults.
type Config struct {
	// MinWindows each version needs before it is compared (and the shared
	// windows a side-by-side comparison needs).
	MinWindows int
	// MaxVersions kept per service; the oldest is dropped.
	MaxVersions int
	// MaxServices tracked; more are dropped and counted.
	MaxServices int
	// MinShareChange: a rule's share must move at least this much (absolute)
	// to be improved or regressed: with millions of samples a 0.1% drift is
	// significant and meaningless.
	MinShareChange float64
	// MinCPUChange: the relative CPU change that counts as a regression.
	MinCPUChange float64
}

// Defaults.
const (
	DefaultMinWindows     = 5
	DefaultMaxVersions    = 4
	DefaultMaxServices    = 1000
	DefaultMinShareChange = 0.01
	DefaultMinCPUChange   = 0.05
	maxWindowFigures      = 256 // per-window CPU figures kept per version
)

func (c Config) withDefaults() Config {
	if c.MinWindows <= 0 {
		c.MinWindows = DefaultMinWindows
	}
	if c.MaxVersions < 2 {
		c.MaxVersions = DefaultMaxVersions
	}
	if c.MaxServices <= 0 {
		c.MaxServices = DefaultMaxServices
	}
	if c.MinShareChange <= 0 {
		c.MinShareChange = DefaultMinShareChange
	}
	if c.MinCPUChange <= 0 {
		c.MinCPUChange = DefaultMinCPUChange
	}
	return c
}

// RuleReading is a rule's attributed CPU in one window of one version.
type RuleReading struct {
	CPU    float64 // nanoseconds
	Events float64 // sampled CPU events
}

// Reading is one version of one service in one closed window.
type Reading struct {
	Service, Version string
	Start, End       time.Time
	CPU              float64 // the version's CPU in the window, nanoseconds
	Events           float64 // its sampled CPU events
	Rules            map[string]RuleReading
	// Active: the expected reduction of every rule raised for the service at
	// this window (what the finding predicted before a change).
	Active map[string]float64
	// Requests served in the window; 0 when no request metrics exist.
	Requests float64
}

// RuleResult is one rule across a change.
type RuleResult struct {
	Rule          string
	Before, After float64 // shares of the version's CPU
	// Realized is Before − After (the drop; negative for a rise), with its 95% interval.
	Realized, Low, High float64
	// Expected is what the finding predicted before the change (0: no finding).
	Expected float64
	Verdict  string
	// Rise: both versions' share intervals apart, the after one above: a
	// regression deploy_cpu_regression raises.
	Rise bool
}

// Result is one comparison of two versions of a service.
type Result struct {
	Service, Before, After string
	Mode                   string
	At                     time.Time // end of the window that completed the comparison
	Rules                  []RuleResult
	// CPUChange is the after/before − 1 of CPU per request (NormalizedBy
	// "requests") or of cores ("none"), with its 95% interval; CPUKnown
	// false when there were too few windows to say.
	CPUChange, CPULow, CPUHigh float64
	CPUKnown                   bool
	NormalizedBy               string
	// CPURise: the CPU change's interval lies above MinCPUChange.
	CPURise bool
}

// Regressed reports whether the change made the service worse: a rule's
// share or the CPU (per request) rose with the intervals apart.
func (r Result) Regressed() bool {
	if r.CPURise {
		return true
	}
	for _, rr := range r.Rules {
		if rr.Rise {
			return true
		}
	}
	return false
}

// Tracker holds the versions of every service. Not safe for concurrent use:
// the processor calls it under its lock.
type Tracker struct {
	cfg      Config
	services map[string]*service
	dropped  int64
}

type service struct {
	versions []*side            // oldest first
	compared map[[2]string]bool // sequential pairs already compared
	pairs    map[[2]string]*pair
}

// side is what one version, or one version's share of shared windows, adds up to.
type side struct {
	version string
	windows int
	cpu     float64
	events  float64
	rules   map[string]RuleReading
	active  map[string]float64 // newest expected reduction per raised rule
	figures []float64          // per-window CPU per request, or cores, of windows it ran alone
	perReq  bool               // every such window had requests
	last    time.Time
}

// pair accumulates the windows two versions shared.
type pair struct {
	a, b *side
	done bool
}

// New returns an empty Tracker.
func New(cfg Config) *Tracker {
	return &Tracker{cfg: cfg.withDefaults(), services: map[string]*service{}}
}

// Dropped counts versions and services refused or evicted by the caps.
func (t *Tracker) Dropped() int64 { return t.dropped }

// Add records one closed window's readings and returns the comparisons it
// completed.
func (t *Tracker) Add(readings []Reading) []Result {
	byService := map[string][]Reading{}
	var names []string
	for _, r := range readings {
		if r.Version == "" || !(r.Events > 0) {
			continue
		}
		if _, ok := byService[r.Service]; !ok {
			names = append(names, r.Service)
		}
		byService[r.Service] = append(byService[r.Service], r)
	}
	sort.Strings(names)
	var out []Result
	for _, name := range names {
		svc := t.service(name)
		if svc == nil {
			continue
		}
		rs := byService[name]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Version < rs[j].Version })
		// In a window two versions share, each one's CPU depends on how many
		// pods run it: only its shares count, not its CPU figure.
		shared := len(rs) > 1
		for _, r := range rs {
			t.version(svc, r.Version).add(r, shared)
		}
		out = append(out, t.sequential(name, svc)...)
		out = append(out, t.sideBySide(name, svc, rs)...)
	}
	return out
}

func (t *Tracker) service(name string) *service {
	if s, ok := t.services[name]; ok {
		return s
	}
	if len(t.services) >= t.cfg.MaxServices {
		t.dropped++
		return nil
	}
	s := &service{compared: map[[2]string]bool{}, pairs: map[[2]string]*pair{}}
	t.services[name] = s
	return s
}

func (t *Tracker) version(svc *service, v string) *side {
	for _, s := range svc.versions {
		if s.version == v {
			return s
		}
	}
	if len(svc.versions) >= t.cfg.MaxVersions {
		old := svc.versions[0].version
		svc.versions = svc.versions[1:]
		for k := range svc.pairs {
			if k[0] == old || k[1] == old {
				delete(svc.pairs, k)
			}
		}
		t.dropped++
	}
	s := newSide(v)
	svc.versions = append(svc.versions, s)
	return s
}

func newSide(v string) *side {
	return &side{version: v, rules: map[string]RuleReading{}, active: map[string]float64{}, perReq: true}
}

func (s *side) add(r Reading, shared bool) {
	s.windows++
	s.cpu += r.CPU
	s.events += r.Events
	for id, rr := range r.Rules {
		cur := s.rules[id]
		cur.CPU += rr.CPU
		cur.Events += rr.Events
		s.rules[id] = cur
	}
	for id, e := range r.Active {
		s.active[id] = e
	}
	s.last = r.End
	if shared {
		return
	}
	if r.Requests > 0 {
		s.addFigure(r.CPU / 1e9 / r.Requests)
		return
	}
	s.perReq = false
	if span := r.End.Sub(r.Start).Seconds(); span > 0 {
		s.addFigure(r.CPU / 1e9 / span)
	}
}

func (s *side) addFigure(v float64) {
	if len(s.figures) == maxWindowFigures {
		copy(s.figures, s.figures[1:])
		s.figures = s.figures[:len(s.figures)-1]
	}
	s.figures = append(s.figures, v)
}

// sequential compares the newest version with the one before it once both
// have MinWindows windows.
func (t *Tracker) sequential(name string, svc *service) []Result {
	n := len(svc.versions)
	if n < 2 {
		return nil
	}
	before, after := svc.versions[n-2], svc.versions[n-1]
	key := [2]string{before.version, after.version}
	if svc.compared[key] || before.windows < t.cfg.MinWindows || after.windows < t.cfg.MinWindows {
		return nil
	}
	svc.compared[key] = true
	return []Result{t.compare(name, ModeSequential, before, after, after.last)}
}

// sideBySide accumulates the windows in which two versions both ran and
// compares them once they shared MinWindows windows.
func (t *Tracker) sideBySide(name string, svc *service, rs []Reading) []Result {
	if len(rs) < 2 {
		return nil
	}
	order := map[string]int{}
	for i, s := range svc.versions {
		order[s.version] = i
	}
	var out []Result
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			a, b := rs[i], rs[j]
			if order[a.Version] > order[b.Version] {
				a, b = b, a // older version first
			}
			key := [2]string{a.Version, b.Version}
			p := svc.pairs[key]
			if p == nil {
				p = &pair{a: newSide(a.Version), b: newSide(b.Version)}
				svc.pairs[key] = p
			}
			p.a.add(a, true)
			p.b.add(b, true)
			if !p.done && p.a.windows >= t.cfg.MinWindows {
				p.done = true
				out = append(out, t.compare(name, ModeSideBySide, p.a, p.b, b.End))
			}
		}
	}
	return out
}

func (t *Tracker) compare(name, mode string, before, after *side, at time.Time) Result {
	res := Result{Service: name, Before: before.version, After: after.version, Mode: mode, At: at}
	ids := map[string]bool{}
	for id := range before.rules {
		ids[id] = true
	}
	for id := range after.rules {
		ids[id] = true
	}
	for id := range ids {
		b, a := before.rules[id], after.rules[id]
		d, lo, hi := stats.Drop(b.Events, before.events, a.Events, after.events)
		bl, bh := stats.Wilson(b.Events, before.events)
		al, ah := stats.Wilson(a.Events, after.events)
		rr := RuleResult{Rule: id, Realized: d, Low: lo, High: hi,
			Before: ratio(b.CPU, before.cpu), After: ratio(a.CPU, after.cpu),
			Expected: before.active[id],
			Rise:     stats.Apart(bl, bh, al, ah) && -d >= t.cfg.MinShareChange}
		_, beforeRaised := before.active[id]
		_, afterRaised := after.active[id]
		switch {
		case hi < 0 && -d >= t.cfg.MinShareChange && b.Events == 0:
			rr.Verdict = VerdictNew
		case hi < 0 && -d >= t.cfg.MinShareChange:
			rr.Verdict = VerdictRegressed
		case lo > 0 && d >= t.cfg.MinShareChange && beforeRaised && !afterRaised:
			rr.Verdict = VerdictFixed
		case lo > 0 && d >= t.cfg.MinShareChange:
			rr.Verdict = VerdictImproved
		default:
			rr.Verdict = VerdictUnchanged
		}
		res.Rules = append(res.Rules, rr)
	}
	sort.Slice(res.Rules, func(i, j int) bool { return res.Rules[i].Rule < res.Rules[j].Rule })
	res.NormalizedBy = NormalizedByNone
	res.CPUChange, res.CPULow, res.CPUHigh, res.CPUKnown = stats.Change(before.figures, after.figures)
	if res.CPUKnown && before.perReq && after.perReq {
		res.NormalizedBy = NormalizedByRequests
	}
	res.CPURise = res.CPUKnown && res.CPULow > 0 && res.CPUChange >= t.cfg.MinCPUChange
	return res
}

func ratio(a, b float64) float64 {
	if !(b > 0) {
		return 0
	}
	return a / b
}
