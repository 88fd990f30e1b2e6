package fleet

import (
	"fmt"
	"math"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// Conservative gates for findings from metrics alone (no profiles): the
// signal must be unambiguous, since there is no CPU share to back it.
const (
	minCrossSpan         = int64(10 * 60 * 1e9)
	churnCreatesPerReq   = 0.5 // a new connection for every other request
	churnMinCreateRate   = 1.0 // connections per second
	kafkaMinFetchRate    = 10.0
	kafkaMaxRecordsPerRq = 1.0 // fetches that mostly come back empty
)

// auxSeries is a cross-signal series over [from, to]: a rate per second for
// counters, the summed level for gauges.
func (svc *service) auxSeries(kind auxKind, from, to int64) series {
	streams := svc.streamsOf(classAux, kind)
	if len(streams) == 0 {
		return series{}
	}
	if auxIsLevel[kind] {
		return levelSeries(streams, from, to)
	}
	return rateSeries(streams, from, to)
}

// auxMean is the mean of an aux series; ok is false without data.
func (svc *service) auxMean(kind auxKind, from, to int64) (float64, series, bool) {
	sr := svc.auxSeries(kind, from, to)
	if sr.empty() {
		return 0, sr, false
	}
	return mean(sr.v), sr, true
}

// meanOfLevels averages a per-stream gauge (e.g. records per request of
// several consumers) instead of summing it.
func (svc *service) meanOfLevels(kind auxKind, from, to int64) (float64, bool) {
	var vals []float64
	for _, st := range svc.streamsOf(classAux, kind) {
		pts := st.pts.between(from, to)
		for k := range pts.len() {
			vals = append(vals, pts.at(k).v)
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	return mean(vals), true
}

// Evidence returns the metric series that support a profile rule's finding
// for a service, as the rule's metric_evidence in the catalog cites them,
// over all the data held (the CLI holds its input, a collector what
// forget() left).
func (s *Store) Evidence(service, rule string) []report.Evidence {
	s.mu.Lock()
	defer s.mu.Unlock()
	links := s.links[rule]
	if len(links) == 0 {
		return nil
	}
	svc := s.services[service]
	lo, hi := int64(math.MinInt64/2), int64(math.MaxInt64/2)
	var ev []report.Evidence
	for _, l := range links {
		v, sr, ok := s.signalValue(svc, l.Alternatives(), lo, hi)
		if !ok {
			continue
		}
		if l.Per != "" {
			d, _, ok := s.signalValue(svc, []string{l.Per}, lo, hi)
			if !ok || !(d > 0) {
				continue
			}
			v /= d
		}
		if l.Scale > 0 {
			v *= l.Scale
		}
		name := l.Series
		if name == "" {
			name = "metrics"
			if len(sr.streams) > 0 {
				name = sr.streams[0].desc
			}
		}
		ev = append(ev, report.Evidence{Kind: "series", Series: name,
			Description: fmt.Sprintf(l.Describe, v), Value: report.Float(round(v, 4))})
	}
	return ev
}

// signalValue is the first of names the service (or, for the cluster's
// CoreDNS, the fleet) has: its mean over [lo, hi] and the series behind it.
func (s *Store) signalValue(svc *service, names []string, lo, hi int64) (float64, series, bool) {
	for _, name := range names {
		switch name {
		case signalCoreDNSHitRatio, signalCoreDNSMisses:
			hits, misses, hs, ok := s.coreDNS(lo, hi)
			if !ok {
				continue
			}
			if name == signalCoreDNSMisses {
				return misses, series{}, true
			}
			return hits / (hits + misses), hs, true
		}
		kind, known := signalKinds[name]
		if !known || svc == nil {
			continue
		}
		if auxMeanOfLevels[kind] {
			if m, ok := svc.meanOfLevels(kind, lo, hi); ok {
				return m, svc.auxSeries(kind, lo, hi), true
			}
			continue
		}
		if m, sr, ok := svc.auxMean(kind, lo, hi); ok {
			return m, sr, true
		}
	}
	return 0, series{}, false
}

// coreDNS sums the cache hits and misses CoreDNS reports for the cluster,
// under its own service name.
func (s *Store) coreDNS(lo, hi int64) (hits, misses float64, hs series, ok bool) {
	for _, name := range sortedNames(s.services) {
		o := s.services[name]
		h, sr, okh := o.auxMean(auxDNSCacheHits, lo, hi)
		if !okh {
			continue
		}
		hits += h
		hs = sr
		if m, _, ok := o.auxMean(auxDNSCacheMisses, lo, hi); ok {
			misses += m
		} else if r, _, ok := o.auxMean(auxDNSCacheRequests, lo, hi); ok && r > h {
			misses += r - h // newer CoreDNS deprecates the misses counter
		}
	}
	return hits, misses, hs, hits+misses > 0
}

// judgeCrossSignals raises profile rules from metrics alone where the signal
// is clear (cpu_ratio null: these are not CPU shares).
func (s *Store) judgeCrossSignals(from, to int64) []verdict {
	var out []verdict
	for _, name := range sortedNames(s.services) {
		if p, ok := s.profiled[name]; ok && p >= to-2*int64(s.cfg.LongWindow) {
			continue // its profiles judge these rules
		}
		svc := s.services[name]
		if v, ok := s.judgeChurn(svc, from, to); ok {
			out = append(out, v)
		}
		if v, ok := s.judgeKafka(svc, from, to); ok {
			out = append(out, v)
		}
	}
	return out
}

func (s *Store) judgeChurn(svc *service, from, to int64) (verdict, bool) {
	creates, cs, ok := svc.auxMean(auxDBConnCreates, from, to)
	what := "connections created"
	if !ok {
		creates, cs, ok = svc.auxMean(auxDBConnClosed, from, to)
		what = "connections closed by pool limits (each reopened)"
	}
	if !ok || cs.duration() < minCrossSpan {
		return verdict{}, false
	}
	reqs, rs, ok := svc.auxMean(auxRequests, from, to)
	if !ok || !(reqs > 0) {
		return verdict{}, false
	}
	per := creates / reqs
	v := verdict{rule: RuleDBChurn, service: svc.name, level: per, threshold: churnCreatesPerReq,
		active: per >= churnCreatesPerReq && creates >= churnMinCreateRate, keep: creates >= churnMinCreateRate/2}
	ev := seriesEvidence(cs, fmt.Sprintf("%.2f %s per second", creates, what), creates)
	ev = append(ev, seriesEvidence(rs, fmt.Sprintf("%.1f requests per second", reqs), reqs)...)
	v.finding = report.Finding{Rule: RuleDBChurn, Service: svc.name, Severity: report.SeverityWarning,
		Recommendation: fmt.Sprintf("%s opens %.2f database connections per request (%.1f/s at %.1f requests/s): "+
			"connections are not reused. Open the pool once at start-up (one sql.DB / HikariCP / pool per process), "+
			"raise the idle limit (SetMaxIdleConns, minimumIdle) to the concurrency and keep ConnMaxLifetime in minutes. "+
			"Profile the service to measure the CPU spent in connecting and authenticating.", svc.name, per, creates, reqs),
		Evidence: ev}
	return v, true
}

func (s *Store) judgeKafka(svc *service, from, to int64) (verdict, bool) {
	fetch, fs, ok := svc.auxMean(auxKafkaFetchRate, from, to)
	if !ok || fs.duration() < minCrossSpan {
		return verdict{}, false
	}
	recs, ok := svc.meanOfLevels(auxKafkaRecordsPerReq, from, to)
	if !ok {
		return verdict{}, false
	}
	perRecord := math.Inf(1) // fetches per record returned
	if recs > 0 {
		perRecord = 1 / recs
	}
	level := math.Min(perRecord, 1e6)
	v := verdict{rule: RuleKafkaPoll, service: svc.name, level: level, threshold: 1 / kafkaMaxRecordsPerRq,
		active: fetch >= kafkaMinFetchRate && recs <= kafkaMaxRecordsPerRq, keep: fetch >= kafkaMinFetchRate/2}
	ev := seriesEvidence(fs, fmt.Sprintf("consumer fetch rate %.1f requests/s", fetch), fetch)
	ev = append(ev, report.Evidence{Kind: "series", Series: "records_per_request_avg",
		Description: fmt.Sprintf("%.2f records per fetch request (mean)", recs), Value: report.Float(round(recs, 4))})
	v.finding = report.Finding{Rule: RuleKafkaPoll, Service: svc.name, Severity: report.SeverityWarning,
		Recommendation: fmt.Sprintf("%s's Kafka consumer sends %.1f fetch requests/s that return %.2f records each: it polls a near-empty "+
			"topic in a tight loop. Let the broker wait for data: raise fetch.max.wait.ms (Java) / fetch.wait.max.ms (librdkafka) "+
			"to 500 ms and fetch.min.bytes above 1; in franz-go raise FetchMaxWait. Profile the service to measure the CPU in the poll loop.",
			svc.name, fetch, recs),
		Evidence: ev}
	return v, true
}

// Requests is how many requests a service served in [from, to) by its
// request metrics (histogram counts or counters); ok is false without them.
func (s *Store) Requests(service string, from, to time.Time) (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.services[service]
	if svc == nil || !to.After(from) {
		return 0, false
	}
	rate, _, ok := svc.auxMean(auxRequests, from.UnixNano(), to.UnixNano())
	if !ok || !(rate > 0) {
		return 0, false
	}
	return rate * to.Sub(from).Seconds(), true
}
