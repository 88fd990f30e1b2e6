package attribution

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/svcname"
)

// Accumulate attributes every profile in pd to w. It never mutates pd.
// Invalid profiles are counted in w.DroppedProfiles and reported in the error;
// the rest of pd is still analysed.
func (a *Analyzer) Accumulate(pd pprofile.Profiles, w *Window) error {
	if w.Services == nil {
		w.Services = map[string]*ServiceStats{}
	}
	// Services first, and the analysis budget's decision for each: a
	// request whose services are all sampled out costs no more than this.
	names := make([]string, pd.ResourceProfiles().Len())
	var weights []serviceWeight
	walk := false
	for ri, rp := range pd.ResourceProfiles().All() {
		names[ri] = a.ServiceOf(pd.Dictionary(), rp)
		if !hasProfiles(rp) {
			continue
		}
		// Every service that sent a profile gets an entry, so that one
		// whose profiles cannot be judged is reported, not forgotten.
		ss := w.service(names[ri], a.opts.MaxServices)
		if ss == nil {
			walk = true // its profiles are counted as dropped below
			continue
		}
		var weight float64
		weights, weight = a.weightOf(weights, ss, w)
		walk = walk || weight > 0
	}
	if !walk {
		return nil
	}
	m := getMessage(a, pd.Dictionary())
	defer putMessage(m)
	m.notePIDs(pd.ResourceProfiles())
	var errs []error
	dropped := 0
	// A Go pprof CPU profile arrives as two profiles (samples/count and
	// cpu/nanoseconds) over the same samples: per service, count them once.
	withNanos := map[string]bool{}
	for ri, rp := range pd.ResourceProfiles().All() {
		name := names[ri]
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				if m.typeOf(p).kind(false) == kindCPUNanos {
					withNanos[name] = true
				}
			}
		}
	}
	for ri, rp := range pd.ResourceProfiles().All() {
		name := names[ri]
		for _, sp := range rp.ScopeProfiles().All() {
			for pi, p := range sp.Profiles().All() {
				ss := w.service(name, a.opts.MaxServices)
				if ss == nil {
					w.DroppedServices++
					continue
				}
				var weight float64
				weights, weight = a.weightOf(weights, ss, w)
				if weight == 0 {
					continue
				}
				ss.weight = weight
				t := m.typeOf(p)
				k := t.kind(withNanos[name])
				if k == kindSkip {
					if !withNanos[name] || t.kind(false) != kindCPUCount {
						ss.noteSkipped(t.String())
					}
					continue
				}
				var err error
				if k == kindContentions || k == kindDelay {
					err = m.contentions(p, ss, k == kindContentions)
				} else {
					err = m.cpu(p, k, t, ss, w)
				}
				if err != nil {
					w.DroppedProfiles++
					// A flood of bad profiles must not become a flood of text.
					if len(errs) < maxErrors {
						errs = append(errs, fmt.Errorf("service %q profile %d: %w", name, pi, err))
					}
					dropped++
				}
			}
		}
	}
	if dropped > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more invalid profiles", dropped-len(errs)))
	}
	return errors.Join(errs...)
}

const maxErrors = 8

// ServiceOf is the service a resource's profiles are attributed to: its
// attributes, else (eBPF processes without metadata) its main executable or
// pid, else the default service. Callers use it to tell which services a
// batch touches.
func (a *Analyzer) ServiceOf(dict pprofile.ProfilesDictionary, rp pprofile.ResourceProfiles) string {
	if name, ok := svcname.ResolveResource(dict, rp, a.opts.ServiceAttributes); ok {
		return name
	}
	return a.opts.DefaultService
}

func (w *Window) service(name string, max int) *ServiceStats {
	if ss, ok := w.Services[name]; ok {
		return ss
	}
	if len(w.Services) >= max {
		return nil
	}
	ss := &ServiceStats{Service: name, Rules: map[string]*RuleStats{}}
	w.Services[name] = ss
	return ss
}

func hasProfiles(rp pprofile.ResourceProfiles) bool {
	for _, sp := range rp.ScopeProfiles().All() {
		if sp.Profiles().Len() > 0 {
			return true
		}
	}
	return false
}
