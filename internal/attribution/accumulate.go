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
	m := getMessage(a, pd.Dictionary())
	defer putMessage(m)
	m.notePIDs(pd.ResourceProfiles())
	var errs []error
	dropped := 0
	// A Go pprof CPU profile arrives as two profiles (samples/count and
	// cpu/nanoseconds) over the same samples: per service, count them once.
	withNanos := map[string]bool{}
	names := make([]string, pd.ResourceProfiles().Len())
	for ri, rp := range pd.ResourceProfiles().All() {
		name := a.ServiceOf(pd.Dictionary(), rp)
		names[ri] = name
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				if m.typeOf(p).kind(false) == kindCPUNanos {
					withNanos[name] = true
				}
			}
		}
	}
	// weights: each service's weight in this request (0: sampled out), decided once.
	var weights []serviceWeight
	for ri, rp := range pd.ResourceProfiles().All() {
		name := names[ri]
		for _, sp := range rp.ScopeProfiles().All() {
			for pi, p := range sp.Profiles().All() {
				// Every service that sent a profile gets an entry, so that one
				// whose profiles cannot be judged is reported, not forgotten.
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
