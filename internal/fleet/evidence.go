package fleet

import (
	"fmt"
	"math"

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
		for _, p := range st.pts.between(from, to) {
			vals = append(vals, p.v)
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	return mean(vals), true
}

// Evidence returns metric series that support a profile rule's finding for a
// service (e.g. go_memstats_alloc_bytes_total for alloc_gc_pressure), over
// all the data held.
func (s *Store) Evidence(service, rule string) []report.Evidence {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch rule {
	case RuleAllocGC, RuleKafkaPoll, RuleDBChurn, RuleDNS:
	default:
		return nil
	}
	svc := s.services[service]
	// all data held: the CLI holds its input, a collector what forget() left
	lo, hi := int64(math.MinInt64/2), int64(math.MaxInt64/2)
	var ev []report.Evidence
	add := func(sr series, format string, v float64) {
		name := "metrics"
		if len(sr.streams) > 0 {
			name = sr.streams[0].desc
		}
		ev = append(ev, report.Evidence{Kind: "series", Series: name,
			Description: fmt.Sprintf(format, v), Value: report.Float(round(v, 4))})
	}
	rate := func(kind auxKind, format string, scale float64) (float64, bool) {
		if svc == nil {
			return 0, false
		}
		m, sr, ok := svc.auxMean(kind, lo, hi)
		if ok {
			add(sr, format, m*scale)
		}
		return m, ok
	}
	switch rule {
	case RuleAllocGC:
		rate(auxAllocBytes, "allocation rate %.2f MB/s", 1e-6)
		rate(auxGCCycles, "%.2f GC cycles per second", 1)
		rate(auxGCPause, "%.4f s of GC pause per second", 1)
	case RuleKafkaPoll:
		if svc != nil {
			if m, sr, ok := svc.auxMean(auxKafkaFetchRate, lo, hi); ok {
				add(sr, "consumer fetch rate %.1f requests/s", m)
			}
			if m, ok := svc.meanOfLevels(auxKafkaRecordsPerReq, lo, hi); ok {
				sr := svc.auxSeries(auxKafkaRecordsPerReq, lo, hi)
				add(sr, "%.2f records per fetch request (mean)", m)
			}
		}
	case RuleDBChurn:
		c, okc := rate(auxDBConnCreates, "%.2f connections created per second", 1)
		if !okc {
			c, okc = rate(auxDBConnClosed, "%.2f connections closed by pool limits per second", 1)
		}
		rq, okr := rate(auxRequests, "%.1f requests per second", 1)
		if okc && okr && rq > 0 {
			ev = append(ev, report.Evidence{Kind: "series", Series: "connections per request",
				Description: fmt.Sprintf("%.2f new connections per request", c/rq), Value: report.Float(round(c/rq, 4))})
		}
		if svc != nil {
			if m, sr, ok := svc.auxMean(auxDBConnections, lo, hi); ok {
				add(sr, "%.1f pool connections (mean)", m)
			}
		}
		rate(auxDBWaits, "%.2f waits for a free connection per second", 1)
	case RuleDNS:
		rate(auxDNSLookups, "%.1f DNS lookups per second", 1)
		// CoreDNS reports for the cluster, under its own service name.
		var hits, misses float64
		var hs series
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
		if hits+misses > 0 {
			add(hs, "CoreDNS cache hit ratio %.3f", hits/(hits+misses))
			ev = append(ev, report.Evidence{Kind: "series", Series: "coredns_cache_misses_total",
				Description: fmt.Sprintf("%.1f CoreDNS cache misses per second", misses), Value: report.Float(round(misses, 4))})
		}
	}
	return ev
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
