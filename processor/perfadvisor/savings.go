package perfadvisor

import (
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/plan"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// Savings metric names (a dashboard's "top savings in the fleet").
const (
	metricServiceExpected   = "perfadvisor.service.expected_cpu_reduction"
	metricServiceCoresSaved = "perfadvisor.service.expected_cores_saved"
	metricServiceRank       = "perfadvisor.service.savings_rank"
)

// serviceSaving is a service's combined expected saving as of the end of
// its newest judged window (event time).
type serviceSaving struct {
	share float64
	at    time.Time
}

// noteSavingsLocked computes, for every service of a closed window, what
// fixing all its raised profile findings would save together, each sample
// once. Caller holds e.mu.
func (e *engine) noteSavingsLocked(st *attribution.Window, end time.Time) {
	raised := map[string][]report.Finding{}
	for _, a := range e.tracker.Firing() {
		if a.Source == sourceProfiles {
			f := a.Finding
			f.Rule, f.Service = a.Rule, a.Service
			raised[a.Service] = append(raised[a.Service], f)
		}
	}
	for name, ss := range st.Services {
		sv, ok := plan.ServiceSaving(e.adv.Catalog(), e.adv.PlanService(name, ss, nil, raised[name]))
		if !ok {
			continue
		}
		if _, known := e.savings[name]; !known && len(e.savings) >= e.cfg.Limits.MaxServices {
			e.tel.drop(reasonMaxServices, 1)
			continue
		}
		e.savings[name] = serviceSaving{share: sv.Share, at: end}
	}
}

// combinedLocked is the current combined saving of every service whose
// profiles are recent. Caller holds e.mu.
func (e *engine) combinedLocked(watermark time.Time) map[string]float64 {
	out := make(map[string]float64, len(e.savings))
	for name, s := range e.savings {
		if watermark.Sub(s.at) > staleWindows*e.cfg.Window {
			delete(e.savings, name)
			continue
		}
		out[name] = s.share
	}
	return out
}

// savingsGauges writes each service's combined saving (share, and cores
// where its usage is known) and its rank in the fleet by cores saved (by
// share for services of unknown usage, after those).
func savingsGauges(md pmetric.Metrics, views map[string]*serviceView, combined map[string]float64, ts pcommon.Timestamp) {
	type entry struct {
		name         string
		share, cores float64
		known        bool
	}
	var list []entry
	for name, share := range combined {
		v := views[name]
		if v == nil {
			continue
		}
		en := entry{name: name, share: share}
		switch {
		case v.usage != nil:
			en.cores, en.known = share*v.usage.Cores, true
		case v.hasCPU:
			en.cores, en.known = share*v.cores, true
		}
		list = append(list, en)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		switch {
		case a.known != b.known:
			return a.known
		case a.cores != b.cores:
			return a.cores > b.cores
		case a.share != b.share:
			return a.share > b.share
		}
		return a.name < b.name
	})
	for rank, en := range list {
		ms := views[en.name].metrics
		dp := gauge(ms, metricServiceExpected, "1", "Share of the service's CPU its raised profile findings are expected to save together.").DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(en.share)
		if en.known {
			dp = gauge(ms, metricServiceCoresSaved, "{cpu}", "Cores the service's raised profile findings are expected to save together.").DataPoints().AppendEmpty()
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(en.cores)
		}
		rp := gauge(ms, metricServiceRank, "{rank}", "The service's place in the fleet by expected saving (1 = the largest).").DataPoints().AppendEmpty()
		rp.SetTimestamp(ts)
		rp.SetIntValue(int64(rank + 1))
	}
}
