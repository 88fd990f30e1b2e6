package attribution

import "fmt"

// Coverage says whether a service's profiles could be judged, and why not.
type Coverage struct {
	Judged     bool
	Reason     string // "" when judged
	CPUSamples int64
	CPUSeconds float64
	Runtimes   []string
}

// Coverage reports whether st held enough CPU samples to judge its shares.
func (a *Analyzer) Coverage(st *ServiceStats) Coverage {
	c := Coverage{CPUSamples: st.CPUSamples, CPUSeconds: st.CPUValue / 1e9}
	if rt := st.dominantRuntime(); rt != "" {
		c.Runtimes = []string{rt}
	}
	switch {
	case st.CPUSamples == 0:
		c.Reason = "no CPU samples the engine reads (heap, allocation, block or mutex profiles only, or unread sample types)"
	case st.CPUSamples < a.opts.MinSamples:
		c.Reason = fmt.Sprintf("%d CPU samples, fewer than the minimum of %d", st.CPUSamples, a.opts.MinSamples)
	default:
		c.Judged = true
	}
	return c
}
