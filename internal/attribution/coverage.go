package attribution

import (
	"fmt"
	"sort"
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// Coverage says whether a service's profiles could be judged, and why not.
type Coverage struct {
	Judged     bool
	Reason     string // "" when judged; else e.g. "no CPU profile (heap/alloc only)", "48 CPU samples, fewer than the minimum of 50", "sample types not read as CPU: foo/bar"
	CPUSamples int64  // estimated CPU sample count
	CPUSeconds float64
	Runtimes   []string // dialects of the frames seen in CPU samples, sorted, e.g. ["native","python"]
	// Note qualifies a judged service: "native frames unsymbolized (…)" when
	// native signatures could not see much of its CPU.
	Note string
}

// Coverage reports whether st holds enough CPU samples the engine reads for
// its shares to be judged; silence about a service must never look like health.
func (a *Analyzer) Coverage(st *ServiceStats) Coverage {
	if st == nil {
		return Coverage{Reason: "no profiles"}
	}
	c := Coverage{CPUSamples: st.CPUSamples, CPUSeconds: st.CPUValue * st.CPUScale() / 1e9, Runtimes: st.runtimes()}
	switch {
	case st.CPUValue <= 0 || st.CPUSamples <= 0:
		c.Reason = noCPUReason(st)
	case st.CPUSamples < a.opts.MinSamples:
		c.Reason = fmt.Sprintf("%d CPU samples, fewer than the minimum of %d", st.CPUSamples, a.opts.MinSamples)
	default:
		c.Judged = true
	}
	if st.CPUValue > 0 && st.unnamedCPU/st.CPUValue >= unnamedNoteShare {
		c.Note = fmt.Sprintf("native frames unsymbolized: %.0f%% of CPU samples run in native code without a name, which native signatures cannot match",
			100*st.unnamedCPU/st.CPUValue)
	}
	if n := st.budgetNote(a.budget.perWindow); n != "" {
		if c.Note != "" {
			c.Note += "; "
		}
		c.Note += n
	}
	return c
}

// runtimes names the dialects of the frames seen in CPU samples; kernel
// frames count as native, frames of no known dialect are left out.
func (s *ServiceStats) runtimes() []string {
	var out []string
	seen := map[string]bool{}
	for d := framename.Go; d <= framename.Other; d++ {
		if s.dialects&(1<<d) == 0 {
			continue
		}
		n := d.String()
		if d == framename.Kernel {
			n = framename.Native.String()
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// noCPUReason explains a service without CPU samples by what it did send.
func noCPUReason(s *ServiceStats) string {
	var unknown, known []string
	for _, t := range s.SkippedTypes {
		if k := knownNonCPU(t); k != "" {
			known = appendOnce(known, k)
		} else {
			unknown = append(unknown, t)
		}
	}
	if s.BlockProfile {
		known = appendOnce(known, "block")
	}
	if s.MutexProfile {
		known = appendOnce(known, "mutex")
	}
	switch {
	case len(unknown) > 0:
		return "sample types not read as CPU: " + strings.Join(unknown, ", ")
	case len(known) > 0:
		return "no CPU profile (" + strings.Join(known, "/") + " only)"
	}
	return "no CPU samples"
}

// knownNonCPU names the family of a sample type that is deliberately not
// CPU ("heap/alloc", "wall", ...), or "" for a type the engine does not know.
func knownNonCPU(t string) string {
	name, st, _ := strings.Cut(t, ":")
	if st == "" {
		name, st = "", name
	}
	typ, _, _ := strings.Cut(st, "/")
	switch {
	case name == "memory" || strings.HasPrefix(typ, "alloc") || strings.HasPrefix(typ, "inuse") ||
		strings.HasPrefix(typ, "malloc") || typ == "live" || typ == "space" || typ == "objects":
		return "heap/alloc"
	case name == "wall" || typ == "wall":
		return "wall"
	case name == "goroutine" || name == "goroutines" || typ == "goroutine" || typ == "goroutines":
		return "goroutine"
	case name == "block" || name == "mutex" || typ == "contentions" || typ == "delay" || typ == "lock_count" || typ == "lock_time":
		return "block/mutex"
	case typ == "off_cpu" || name == "off_cpu" || typ == "exceptions" || typ == "threadcreate":
		return typ
	case name == "process_cpu" || typ == "cpu" || typ == "samples" || typ == "sample" || typ == "itimer":
		return "" // a CPU spelling that was not read: say so
	}
	return ""
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
