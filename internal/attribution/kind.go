package attribution

import (
	"strings"

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

// profileType is a profile's sample and period type as the producer spelled
// them, lower-cased, with the Pyroscope profile name.
type profileType struct {
	sample, unit, period, periodUnit, name string
}

func (m *message) typeOf(p pprofile.Profile) profileType {
	st, _ := m.str(p.SampleType().TypeStrindex())
	su, _ := m.str(p.SampleType().UnitStrindex())
	pt, _ := m.str(p.PeriodType().TypeStrindex())
	pu, _ := m.str(p.PeriodType().UnitStrindex())
	return profileType{sample: lower(st), unit: lower(su), period: lower(pt), periodUnit: lower(pu), name: lower(m.profileName(p))}
}

// lower avoids an allocation for the (usual) lower-case spelling.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// cpuName: sample or period types that mean on-CPU time (async-profiler's
// itimer event samples CPU too).
func cpuName(s string) bool { return s == "cpu" || s == "itimer" }

// notCPUName: profile names that say the samples are not on-CPU time.
func notCPUName(s string) bool {
	switch s {
	case "", "process_cpu", "cpu", "itimer":
		return false
	}
	return true
}

// kindOf tells CPU profiles from evidence-only and unrelated ones. The
// spellings are the producers': cpu/nanoseconds from runtime/pprof, the
// Pyroscope SDKs and JFR conversions; samples/count with a cpu period type
// from the eBPF profiler and Go, with an empty one from the Pyroscope Python
// and Ruby SDKs; process_cpu as the Pyroscope profile name.
func (t profileType) kind(siblingNanos bool) kind {
	switch {
	case cpuName(t.sample) && (t.unit == "nanoseconds" || t.unit == "ns") && !notCPUName(t.name):
		return kindCPUNanos
	case t.sample == "contentions":
		return kindContentions
	case t.sample == "delay":
		return kindDelay
	}
	isCount := (t.sample == "samples" || t.sample == "sample" || cpuName(t.sample)) && (t.unit == "count" || t.unit == "samples" || t.unit == "")
	if !isCount || notCPUName(t.name) {
		return kindSkip
	}
	if cpuName(t.period) || t.period == "" || t.name == "process_cpu" {
		if siblingNanos {
			return kindSkip // the same samples, counted by the nanoseconds profile
		}
		return kindCPUCount
	}
	return kindSkip
}

// String is the type as reported when it is not read: "type/unit".
func (t profileType) String() string {
	s := t.sample + "/" + t.unit
	if t.name != "" {
		s = t.name + ":" + s
	}
	return s
}

// maxSkippedTypes bounds the unread types a service remembers.
const maxSkippedTypes = 8

// noteSkipped remembers a sample type the engine did not read as CPU.
func (s *ServiceStats) noteSkipped(t string) {
	for _, x := range s.SkippedTypes {
		if x == t {
			return
		}
	}
	if len(s.SkippedTypes) < maxSkippedTypes {
		s.SkippedTypes = append(s.SkippedTypes, t)
	}
}
