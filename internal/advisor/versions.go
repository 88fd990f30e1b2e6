package advisor

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/svcname"
	"github.com/perfadvisor/perfadvisor/internal/validation"
)

// VersionOf is a resource's version: the first present of the config's
// version_attributes ("" when none is).
func (a *Advisor) VersionOf(res pcommon.Map) string {
	for _, k := range a.cfg.VersionAttributes {
		if v, ok := res.Get(k); ok {
			if s := v.AsString(); s != "" {
				return svcname.Bound(s) // a label value, from whoever sends data
			}
		}
	}
	return ""
}

// Versions is what each (service, version) added to one window, for the
// validation of deploys. Safe for concurrent use.
type Versions struct {
	mu   sync.Mutex
	byKV map[[2]string]*validation.Reading
	// Bounds (0: none): versions per service and (service, version) pairs
	// in all. A window's readings live until it closes, so a flood of
	// version labels must stop here, not at the tracker.
	perService, pairs int
	count             map[string]int // versions per service, when bounded
	dropped           int64          // batches of a version over a bound
}

// NewVersions returns an empty, unbounded set (the CLI's whole input).
func NewVersions() *Versions { return &Versions{byKV: map[[2]string]*validation.Reading{}} }

// NewBoundedVersions returns an empty set that keeps at most perService
// versions of a service and pairs (service, version) pairs; the batches of
// the others are still analysed, their version readings dropped and counted.
func NewBoundedVersions(perService, pairs int) *Versions {
	v := NewVersions()
	v.perService, v.pairs, v.count = perService, pairs, map[string]int{}
	return v
}

// TakeDropped returns the batches refused since the last call.
func (v *Versions) TakeDropped() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := v.dropped
	v.dropped = 0
	return n
}

// admit says whether the pair k may get a reading. Caller holds v.mu.
func (v *Versions) admit(k [2]string) bool {
	if v.count == nil {
		return true
	}
	if (v.perService > 0 && v.count[k[0]] >= v.perService) || (v.pairs > 0 && len(v.byKV) >= v.pairs) {
		v.dropped++
		return false
	}
	v.count[k[0]]++
	return true
}

// Readings returns the readings (without window times, requests or active
// findings: the caller knows those).
func (v *Versions) Readings() []validation.Reading {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]validation.Reading, 0, len(v.byKV))
	for _, r := range v.byKV {
		out = append(out, *r)
	}
	return out
}

// snapshot is one service's totals before a batch.
type snapshot struct {
	cpu    float64
	events int64
	rules  map[string]validation.RuleReading
}

func snapshotOf(st *attribution.ServiceStats) snapshot {
	s := snapshot{rules: map[string]validation.RuleReading{}}
	if st == nil {
		return s
	}
	s.cpu, s.events = st.CPUValue, st.CPUSamples
	for id, rs := range st.Rules {
		s.rules[id] = validation.RuleReading{CPU: rs.CPUValue, Events: float64(rs.Samples)}
	}
	return s
}

// AccumulateVersion attributes pd, all of one version, into w and adds what
// it contributed per service to into. The services it touches are read
// before and after, so the analysis itself runs once.
func (a *Advisor) AccumulateVersion(pd pprofile.Profiles, w *attribution.Window, version string, into *Versions) error {
	if version == "" || into == nil {
		return a.Accumulate(pd, w)
	}
	before := map[string]snapshot{}
	for _, rp := range pd.ResourceProfiles().All() {
		name := a.analyzer.ServiceOf(pd.Dictionary(), rp)
		if _, ok := before[name]; !ok {
			before[name] = snapshotOf(w.Services[name])
		}
	}
	err := a.Accumulate(pd, w)
	into.mu.Lock()
	defer into.mu.Unlock()
	for name, b := range before {
		st := w.Services[name]
		if st == nil {
			continue // over max_services: counted by the analyzer
		}
		after := snapshotOf(st)
		k := [2]string{name, version}
		r := into.byKV[k]
		if r == nil {
			if !into.admit(k) {
				continue
			}
			r = &validation.Reading{Service: name, Version: version, Rules: map[string]validation.RuleReading{}}
			into.byKV[k] = r
		}
		r.CPU += after.cpu - b.cpu
		r.Events += float64(after.events - b.events)
		for id, ar := range after.rules {
			br := b.rules[id]
			cur := r.Rules[id]
			cur.CPU += ar.CPU - br.CPU
			cur.Events += ar.Events - br.Events
			r.Rules[id] = cur
		}
	}
	return err
}
