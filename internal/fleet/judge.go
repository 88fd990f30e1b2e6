package fleet

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// verdict is one rule's reading for one service over one range.
type verdict struct {
	rule, service string
	level         float64
	threshold     float64
	active        bool // level at or above threshold and every gate passed
	// keep: the gates pass at their (lower) keep-raised levels.
	keep    bool
	finding report.Finding
}

// cpuAll builds every service's CPU series over [from, to].
func (s *Store) cpuAll(from, to int64) map[string]series {
	out := make(map[string]series, len(s.services))
	for name, svc := range s.services {
		if sr := svc.cpuSeries(from, to); !sr.empty() {
			out[name] = sr
		}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// judgeOutlier: mean rate over the median of all services' mean rates.
func (s *Store) judgeOutlier(cpu map[string]series) []verdict {
	p := s.rules.outlier
	if !p.enabled {
		return nil
	}
	means, medians := map[string]float64{}, map[string]float64{}
	var all, allMed []float64
	for _, name := range sortedNames(cpu) {
		sr := cpu[name]
		if len(sr.v) < minOutlierBuckets {
			continue
		}
		m := mean(sr.v)
		means[name] = m
		all = append(all, m)
		medians[name] = median(sr.v)
		allMed = append(allMed, medians[name])
	}
	if len(all) < int(p.param("min_services", minFleet)) {
		return nil
	}
	med := median(all)
	medOfMed := median(allMed)
	if !(med > 0) {
		return nil
	}
	var out []verdict
	for _, name := range sortedNames(means) {
		m := means[name]
		ratio := m / med
		// a mean lifted by a few bursts is spikes, not an outlier: the
		// service's typical (median) rate must be high too
		ok := m-med >= minExcessCores && medians[name] >= outlierTypical*p.threshold*medOfMed
		v := verdict{rule: RuleOutlier, service: name, level: ratio, threshold: p.threshold,
			active: ok && ratio >= p.threshold, keep: ok}
		sr := cpu[name]
		v.finding = report.Finding{
			Rule: RuleOutlier, Service: name, Value: report.Float(round(ratio, 3)), Severity: p.severity(ratio),
			// the CPU above the fleet median, as a share of the service's CPU
			Recommendation: p.recommend(fmt.Sprintf("%s uses %.1fx the fleet's median CPU (%.3f cores vs a median of %.3f over %d services).",
				name, ratio, m, med, len(all)), "",
				"Profile it over the same period and look for hot loops, busy polling, missing caches or per-request setup "+
					"(regex compilation, TLS handshakes, DB connections); if the load is legitimate, right-size it."),
			Evidence: append(seriesEvidence(sr, fmt.Sprintf("mean %.3f cores", m), m),
				report.Evidence{Kind: "series", Series: "fleet median of mean CPU",
					Description: fmt.Sprintf("median of %d services' mean CPU rates, %s", len(all), spanText(sr)),
					Value:       report.Float(round(med, 4))}),
		}
		out = append(out, v)
	}
	return out
}

// judgeBaseline: the 10th-percentile rate over the median of the services'
// 10th percentiles, held in most slices of the range.
func (s *Store) judgeBaseline(cpu map[string]series) []verdict {
	p := s.rules.baseline
	if !p.enabled {
		return nil
	}
	p10 := map[string]float64{}
	var all []float64
	for _, name := range sortedNames(cpu) {
		sr := cpu[name]
		if len(sr.v) < minBaselineBucket || sr.duration() < minBaselineSpan {
			continue
		}
		q := quantile(sr.v, 0.1)
		p10[name] = q
		all = append(all, q)
	}
	fleet := int(p.param("min_services", minFleet))
	if len(all) < fleet {
		return nil
	}
	med := median(all)
	if !(med > 0) {
		return nil
	}
	// floors per slice of event time, to see the elevation is persistent
	var lo, hi int64 = math.MaxInt64, math.MinInt64
	for name := range p10 {
		sr := cpu[name]
		lo = min(lo, sr.t[0])
		hi = max(hi, sr.t[len(sr.t)-1]+sr.step)
	}
	width := (hi - lo) / baselineParts
	partMed := make([]float64, baselineParts)
	partQ := map[string][]float64{}
	for k := 0; k < baselineParts; k++ {
		a, b := lo+int64(k)*width, lo+int64(k+1)*width
		var qs []float64
		for name := range p10 {
			q := quantile(slice(cpu[name], a, b), 0.1)
			if !math.IsNaN(q) {
				qs = append(qs, q)
			}
			partQ[name] = append(partQ[name], q)
		}
		partMed[k] = math.NaN()
		if len(qs) >= fleet {
			partMed[k] = median(qs)
		}
	}
	var out []verdict
	for _, name := range sortedNames(p10) {
		ratio := p10[name] / med
		held, parts := 0, 0
		for k, q := range partQ[name] {
			if math.IsNaN(q) || !(partMed[k] > 0) {
				continue
			}
			parts++
			if q/partMed[k] >= p.threshold {
				held++
			}
		}
		share := 0.0
		if parts > 0 {
			share = float64(held) / float64(parts)
		}
		sr := cpu[name]
		m := mean(sr.v)
		excess := p10[name]-med >= minExcessCores
		v := verdict{rule: RuleBaseline, service: name, level: ratio, threshold: p.threshold,
			active: excess && ratio >= p.threshold && share >= baselineHeld,
			keep:   excess && share >= baselineHeldKeep}
		v.finding = report.Finding{
			Rule: RuleBaseline, Service: name, Value: report.Float(round(ratio, 3)), Severity: p.severity(ratio),
			// the floor above the fleet's floor, as a share of the service's CPU
			Recommendation: p.recommend(fmt.Sprintf("%s's CPU floor (10th percentile %.3f cores) is %.1fx the fleet's median floor (%.3f), "+
				"elevated in %d of %d slices of the period: it burns CPU even at low load.", name, p10[name], ratio, med, held, parts), "",
				"Profile it during a trough and look for busy polling (e.g. a Kafka consumer with fetch.max.wait.ms / "+
					"fetch.wait.max.ms near 0), spinning workers, tight timer or retry loops."),
			Evidence: append(seriesEvidence(sr, fmt.Sprintf("10th percentile %.3f cores, mean %.3f", p10[name], m), p10[name]),
				report.Evidence{Kind: "series", Series: "fleet median of 10th-percentile CPU",
					Description: fmt.Sprintf("median of %d services' 10th-percentile CPU rates, %s", len(all), spanText(sr)),
					Value:       report.Float(round(med, 4))}),
		}
		out = append(out, v)
	}
	return out
}

// slice returns the values of sr with a <= t < b.
func slice(sr series, a, b int64) []float64 {
	i := sort.Search(len(sr.t), func(i int) bool { return sr.t[i] >= a })
	j := sort.Search(len(sr.t), func(j int) bool { return sr.t[j] >= b })
	return sr.v[i:j]
}

// burst is one run of consecutive burst intervals.
type burst struct {
	start  int64
	first  int // index of its first and last intervals
	last   int
	n      int
	peak   float64
	ratios []float64
	excess float64
}

// short reports whether b is a spike rather than the start of a new level:
// a plateau (load stepping up for minutes) also beats its preceding median
// until the median catches up, which takes half the history.
func (b burst) short(hist int) bool {
	return b.last-b.first+1 <= max(minBurstWidth, hist/4)
}

// judgeSpikes: intervals at threshold x the median of their preceding 20
// intervals, at the data's own resolution; value = the median ratio over
// burst intervals. Only intervals at or after from are judged; earlier ones
// are history.
func (s *Store) judgeSpikes(cpu map[string]series, from int64) []verdict {
	p := s.rules.spikes
	if !p.enabled {
		return nil
	}
	var out []verdict
	hist := int(p.param("baseline_intervals", spikeHistory))
	need := max(1, min(minSpikeHistory, hist))
	bursts0 := int(p.param("min_bursts", minBursts))
	buf := make([]float64, hist)
	for _, name := range sortedNames(cpu) {
		sr := cpu[name]
		var runs []burst
		judged := 0
		var total float64
		lastBurst := -10
		for i := range sr.v {
			if sr.t[i] < from || i < need {
				continue
			}
			h := sr.v[max(0, i-hist):i]
			judged++
			total += sr.v[i]
			// the median is at least the minimum: most intervals need no sort
			if lo := minOf(h); lo > 0 && sr.v[i] < p.threshold*lo {
				continue
			}
			med := smallMedian(buf, h)
			if !(med > 0) {
				continue
			}
			r := sr.v[i] / med
			if r < p.threshold || sr.v[i]-med < minExcessCores || sr.v[i]-med < spikeMADs*madToSigma*mad(h) { // mad last: it sorts
				continue
			}
			// runs separated by a single quiet interval are one burst
			if i-lastBurst > burstGap || len(runs) == 0 {
				runs = append(runs, burst{start: sr.t[i], first: i})
			}
			b := &runs[len(runs)-1]
			b.last, b.n = i, b.n+1
			b.peak = max(b.peak, r)
			b.ratios = append(b.ratios, r)
			b.excess += sr.v[i] - med
			lastBurst = i
		}
		var ratios []float64
		var bursts []burst
		var excess float64
		for _, b := range runs {
			if b.short(hist) {
				bursts = append(bursts, b)
				ratios = append(ratios, b.ratios...)
				excess += b.excess
			}
		}
		if judged < need || len(ratios) == 0 {
			continue
		}
		value := median(ratios)
		normal := float64(len(ratios))/float64(judged) <= maxBurstShare
		v := verdict{rule: RuleSpikes, service: name, level: value, threshold: p.threshold,
			active: normal && len(bursts) >= bursts0 && value >= p.threshold,
			keep:   normal && len(bursts) >= max(1, bursts0-burstsKeepSlack)}
		ev := seriesEvidence(sr, fmt.Sprintf("%d bursts over %d intervals of %s", len(bursts), len(ratios), time.Duration(sr.step)), value)
		for k, b := range bursts {
			if k == maxEvidenceBursts {
				break
			}
			ev = append(ev, report.Evidence{Kind: "series", Series: sr.streams[0].metric,
				Description: fmt.Sprintf("burst at %s: %d interval(s), peak %.1fx the preceding median",
					time.Unix(0, b.start).UTC().Format(time.RFC3339), b.n, b.peak),
				Value: report.Float(round(b.peak, 3))})
		}
		if total > 0 { // the CPU of the bursts above the rolling median
			ev = append(ev, report.Evidence{Kind: "series", Series: "burst excess",
				Description: fmt.Sprintf("the bursts above the rolling median are %.1f%% of its CPU", 100*excess/total),
				Value:       report.Float(round(excess/total, 4))})
		}
		v.finding = report.Finding{
			Rule: RuleSpikes, Service: name, Value: report.Float(round(value, 3)), Severity: p.severity(value),
			Recommendation: p.recommend(fmt.Sprintf("%s has %d short CPU bursts at a median %.1fx its own rolling median while its usual level stays normal.",
				name, len(bursts), value), "",
				"Capture a profile during a burst (continuous profiling, or trigger on the CPU rate) and look for periodic jobs, "+
					"cache expiry stampedes, GC storms or retry bursts; spread scheduled work and add jitter."),
			Evidence: ev,
		}
		out = append(out, v)
	}
	return out
}

// judgeGrowth: least-squares slope of the goroutine count per hour, raised
// for a steady (R²) and material (relative to its level) rise.
func (s *Store) judgeGrowth(from, to int64) []verdict {
	p := s.rules.growth
	if !p.enabled {
		return nil
	}
	minR2 := p.param("min_r2", minGrowthR2)
	var out []verdict
	for _, name := range sortedNames(s.services) {
		streams := s.services[name].streamsOf(classGoroutines, auxNone)
		if len(streams) == 0 {
			continue
		}
		sr := levelSeries(streams, from, to)
		if len(sr.v) < minGrowthPoints {
			continue
		}
		spanNs := sr.t[len(sr.t)-1] - sr.t[0]
		if spanNs < minGrowthSpan {
			continue
		}
		xs := make([]float64, len(sr.t))
		for i, t := range sr.t {
			xs[i] = float64(t-sr.t[0]) / float64(time.Hour)
		}
		slope, icpt, r2, ok := linearFit(xs, sr.v)
		if !ok {
			continue
		}
		// Point-to-point noise (scrape jitter, request bursts) hides a slow
		// steady rise from the raw R² (a 300/h leak under ±100 of noise has
		// R² ~0.6); steadiness is judged on the trend, so when the residuals
		// are white (uncorrelated from one point to the next) the fit of
		// growthBlock means counts too. Load-following oscillation and
		// wandering levels leave correlated residuals and keep the raw R².
		if r2 < minR2 && residualAutocorr(xs, sr.v, slope, icpt) < maxGrowthNoiseAutocorr {
			if bx, by := blockMeans(xs, sr.v, growthBlock.Hours()); len(bx) >= minGrowthBlocks {
				if _, _, r2b, okb := linearFit(bx, by); okb && r2b > r2 {
					r2 = r2b
				}
			}
		}
		hours := xs[len(xs)-1]
		lvl := mean(sr.v)
		rel := slope * hours / math.Max(lvl, 1)
		// goroutines that rise with the CPU rate follow load; a leak outgrows it
		loadRel, withLoad := s.services[name].cpuGrowth(from, to)
		leak := !withLoad || loadRel < loadFollowing*rel
		v := verdict{rule: RuleGrowth, service: name, level: slope, threshold: p.threshold,
			active: leak && slope >= p.threshold && r2 >= minR2 && rel >= minGrowthRelative,
			keep:   leak && slope > 0 && r2 >= minR2-(minGrowthR2-minGrowthR2Keep) && rel >= minGrowthRelative/2}
		first, last := icpt, icpt+slope*hours
		v.finding = report.Finding{
			Rule: RuleGrowth, Service: name, Value: report.Float(round(slope, 1)), Severity: p.severity(slope),
			// a leak costs memory and scheduler time; no CPU share to model
			Recommendation: p.recommend(fmt.Sprintf("%s's goroutine count rises steadily by %.0f per hour (R² %.2f, from ~%.0f to ~%.0f over %s): a leak, not load.",
				name, slope, r2, first, last, time.Duration(spanNs).Round(time.Minute)), "go",
				"Take goroutine profiles an hour apart (debug=1 groups by stack; Go 1.26 has the goroutineleak profile) and look for "+
					"goroutines parked in channel receives or selects without a done channel, a new http.Transport or sql.Open per request, "+
					"or tickers never stopped."),
			Evidence: seriesEvidence(sr, fmt.Sprintf("slope %.1f goroutines/hour, R² %.3f, mean level %.0f", slope, r2, lvl), slope),
		}
		if withLoad {
			v.finding.Evidence = append(v.finding.Evidence, report.Evidence{Kind: "series", Series: "CPU rate (load)",
				Description: fmt.Sprintf("CPU grew by %.0f%% of its mean over the same span, goroutines by %.0f%%", 100*loadRel, 100*rel),
				Value:       report.Float(round(loadRel, 4))})
		}
		out = append(out, v)
	}
	return out
}

// seriesEvidence names the streams a series was built from (metric and
// resource), bounded, with the series' own figure on the first.
func seriesEvidence(sr series, what string, value float64) []report.Evidence {
	var ev []report.Evidence
	for i, st := range sr.streams {
		if i == maxEvidenceSeries {
			ev = append(ev, report.Evidence{Kind: "series", Description: fmt.Sprintf("and %d more series", len(sr.streams)-i)})
			break
		}
		e := report.Evidence{Kind: "series", Series: st.desc}
		if i == 0 {
			e.Description = fmt.Sprintf("%s, %s at %s resolution (%d series summed)", what, spanText(sr), time.Duration(sr.step), len(sr.streams))
			e.Value = report.Float(round(value, 4))
		}
		ev = append(ev, e)
	}
	return ev
}

func spanText(sr series) string {
	if sr.empty() {
		return "no data"
	}
	a := time.Unix(0, sr.t[0]).UTC()
	b := time.Unix(0, sr.t[len(sr.t)-1]+sr.step).UTC()
	return fmt.Sprintf("%s to %s", a.Format(time.RFC3339), b.Format(time.RFC3339))
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// cpuGrowth is the relative rise of the service's CPU rate over [from, to]
// (fitted slope x span / mean); ok is false without enough CPU data.
func (svc *service) cpuGrowth(from, to int64) (rel float64, ok bool) {
	sr := svc.cpuSeries(from, to)
	if len(sr.v) < minGrowthPoints {
		return 0, false
	}
	xs := make([]float64, len(sr.t))
	for i, t := range sr.t {
		xs[i] = float64(t-sr.t[0]) / float64(time.Hour)
	}
	slope, _, _, fit := linearFit(xs, sr.v)
	m := mean(sr.v)
	if !fit || !(m > 0) {
		return 0, false
	}
	return slope * xs[len(xs)-1] / m, true
}

// blockMeans averages ys over consecutive blocks of width w on the xs axis
// (xs ascending from 0); blocks holding fewer than two points are skipped.
func blockMeans(xs, ys []float64, w float64) (bx, by []float64) {
	if !(w > 0) {
		return nil, nil
	}
	for i := 0; i < len(xs); {
		k := math.Floor(xs[i] / w)
		j := i
		var sx, sy float64
		for j < len(xs) && math.Floor(xs[j]/w) == k {
			sx += xs[j]
			sy += ys[j]
			j++
		}
		if n := float64(j - i); n >= 2 {
			bx = append(bx, sx/n)
			by = append(by, sy/n)
		}
		i = j
	}
	return bx, by
}

// residualAutocorr is the lag-1 autocorrelation of the residuals of the fit
// y = icpt + slope*x: ~0 for white noise, near 1 for oscillation or drift.
func residualAutocorr(xs, ys []float64, slope, icpt float64) float64 {
	var num, den, prev float64
	for i := range xs {
		r := ys[i] - (icpt + slope*xs[i])
		den += r * r
		if i > 0 {
			num += r * prev
		}
		prev = r
	}
	if !(den > 0) {
		return 1
	}
	return num / den
}
