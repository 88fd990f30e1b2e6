package attribution

import (
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// profileNameAttr mirrors pprofconv.ProfileNameAttr (the Pyroscope __name__).
const profileNameAttr = "pyroscope.profile.name"

// profile kinds by sample type.
type kind uint8

const (
	kindSkip        kind = iota
	kindCPUNanos         // cpu/nanoseconds: value is CPU time
	kindCPUCount         // samples/count with a CPU period: value × period
	kindContentions      // block or mutex: contentions/count
	kindDelay            // block or mutex: delay/nanoseconds (same events, other unit)
)

// kindOf tells CPU profiles from evidence-only and unrelated ones.
func (m *message) kindOf(p pprofile.Profile, siblingNanos bool) kind {
	st, _ := m.str(p.SampleType().TypeStrindex())
	su, _ := m.str(p.SampleType().UnitStrindex())
	pt, _ := m.str(p.PeriodType().TypeStrindex())
	switch {
	case st == "cpu" && su == "nanoseconds":
		return kindCPUNanos
	case (st == "samples" || st == "sample") && su == "count" && pt == "cpu":
		if siblingNanos {
			return kindSkip
		}
		return kindCPUCount
	case st == "contentions":
		return kindContentions
	case st == "delay":
		return kindDelay
	}
	return kindSkip
}
