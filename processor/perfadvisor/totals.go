package perfadvisor

import (
	"math"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
)

// cpuTotals holds the cumulative profiled CPU per service and rule (the two
// monotonic sums of docs/design.md §5) and each service's cores in its last window.
type cpuTotals struct {
	max      int
	services map[string]*serviceTotals
	dropped  int64
}

type serviceTotals struct {
	start   pcommon.Timestamp // fixed per series: set when the series is born
	seconds float64
	// rules sorted by id: a service has CPU under a few rules, and a sorted
	// slice costs a fraction of a map and is emitted in order as it is.
	rules []ruleTotal
	// cores in the service's newest window, and that window's end (event time).
	cores   float64
	coresAt time.Time
}

type ruleTotal struct {
	id      string
	start   pcommon.Timestamp
	seconds float64
}

func newCPUTotals(max int) *cpuTotals {
	return &cpuTotals{max: max, services: map[string]*serviceTotals{}}
}

// add counts one service's window; a new service beyond max is dropped.
func (c *cpuTotals) add(name string, ss *attribution.ServiceStats, end time.Time, window time.Duration, wall time.Time) bool {
	st, ok := c.services[name]
	if !ok {
		if len(c.services) >= c.max {
			c.dropped++
			return false
		}
		st = &serviceTotals{start: pcommon.NewTimestampFromTime(wall)}
		c.services[name] = st
	}
	scale := ss.CPUScale() // under the analysis budget, CPU is an estimate of all requests
	st.seconds += nonNegative(ss.CPUValue*scale) / 1e9
	for id, rs := range ss.Rules {
		i, ok := slices.BinarySearchFunc(st.rules, id, func(rt ruleTotal, id string) int { return strings.Compare(rt.id, id) })
		if !ok {
			st.rules = slices.Insert(st.rules, i, ruleTotal{id: id, start: pcommon.NewTimestampFromTime(wall)})
		}
		st.rules[i].seconds += nonNegative(rs.CPUValue*scale) / 1e9
	}
	if !end.Before(st.coresAt) {
		st.cores, st.coresAt = nonNegative(ss.CPUValue*scale)/1e9/window.Seconds(), end
	}
	return true
}

// nonNegative keeps NaN and negative totals from a bad profile out of a monotonic sum.
func nonNegative(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 1) {
		return 0
	}
	return v
}
