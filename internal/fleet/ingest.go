package fleet

import (
	"math"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/svcname"
)

// streamKind says how a stream's values turn into rates or levels.
type streamKind uint8

const (
	kindCumulative streamKind = iota // running total since start: differentiate
	kindDelta                        // amount since the previous point (start..t)
	kindLevel                        // a reading at t: cores, goroutines, connections
)

// stream is one time series as the producer sent it: one metric, one
// resource (instance), one datapoint attribute set.
type stream struct {
	metric string
	class  metricClass
	aux    auxKind // for aux streams, which kind this stream feeds
	kind   streamKind
	scale  float64 // to seconds (CPU time) or 1
	desc   string  // metric{resource and point attributes} for evidence
	pts    points
}

// service holds all streams of one service.
type service struct {
	name    string
	streams map[uint64]*stream
	latest  int64
}

// Add ingests the CPU, goroutine and cross-signal series in md. It never mutates md.
func (s *Store) Add(md pmetric.Metrics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		res := rm.Resource().Attributes()
		var svc *service
		var resHash uint64
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				mc := classify(m.Name())
				if mc.class == classNone {
					continue
				}
				if svc == nil {
					name, ok := svcname.Resolve(res, s.cfg.ServiceAttributes)
					if !ok {
						name = s.cfg.DefaultService
					}
					if name == "" {
						break
					}
					svc = s.service(name)
					if svc == nil {
						s.dropped += int64(countPoints(m))
						continue
					}
					resHash = hashMap(fnv64Offset, res)
				}
				s.addMetric(svc, res, resHash, m, mc)
			}
		}
	}
}

// service returns the named service, creating it within the cap.
func (s *Store) service(name string) *service {
	if svc, ok := s.services[name]; ok {
		return svc
	}
	if len(s.services) >= s.cfg.MaxServices {
		return nil
	}
	svc := &service{name: name, streams: map[uint64]*stream{}}
	s.services[name] = svc
	return svc
}

func (s *Store) addMetric(svc *service, res pcommon.Map, resHash uint64, m pmetric.Metric, mc metricClass) {
	name := m.Name()
	switch m.Type() {
	case pmetric.MetricTypeSum:
		sum := m.Sum()
		kind := kindCumulative
		if sum.AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			kind = kindDelta
		}
		if mc.class == classGoroutines || (mc.class == classAux && auxIsLevel[mc.aux]) {
			kind = kindLevel
		} else if mc.class == classCPU && cpuSources[mc.src].gauge {
			kind = kindLevel
		}
		dps := sum.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			s.addNumber(svc, res, resHash, name, m.Unit(), mc, mc.aux, kind, dp)
		}
	case pmetric.MetricTypeGauge:
		// A CPU-time gauge is a counter exposed untyped (Prometheus "unknown").
		kind := kindLevel
		if (mc.class == classCPU && !cpuSources[mc.src].gauge) || (mc.class == classAux && !auxIsLevel[mc.aux]) {
			kind = kindCumulative
		}
		dps := m.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			s.addNumber(svc, res, resHash, name, m.Unit(), mc, mc.aux, kind, dps.At(i))
		}
	case pmetric.MetricTypeHistogram:
		if mc.class != classAux {
			return
		}
		h := m.Histogram()
		kind := kindCumulative
		if h.AggregationTemporality() == pmetric.AggregationTemporalityDelta {
			kind = kindDelta
		}
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.Flags().NoRecordedValue() {
				continue
			}
			s.addValue(svc, res, resHash, name+"#count", name, mc, mc.aux, kind, 1, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), float64(dp.Count()))
			if mc.part2 != auxNone && dp.HasSum() {
				s.addValue(svc, res, resHash, name+"#sum", name, mc, mc.part2, kind, histSumScale(m.Unit()), dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), dp.Sum())
			}
		}
	case pmetric.MetricTypeSummary:
		if mc.class != classAux {
			return
		}
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.Flags().NoRecordedValue() {
				continue
			}
			s.addValue(svc, res, resHash, name+"#count", name, mc, mc.aux, kindCumulative, 1, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), float64(dp.Count()))
			if mc.part2 != auxNone {
				s.addValue(svc, res, resHash, name+"#sum", name, mc, mc.part2, kindCumulative, 1, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), dp.Sum())
			}
		}
	}
}

// histSumScale converts a duration histogram's sum to seconds.
func histSumScale(unit string) float64 {
	if unit == "ms" {
		return 1e-3
	}
	return 1
}

func (s *Store) addNumber(svc *service, res pcommon.Map, resHash uint64, name, unit string, mc metricClass, aux auxKind, kind streamKind, dp pmetric.NumberDataPoint) {
	if dp.Flags().NoRecordedValue() {
		return // a staleness marker, not a value
	}
	var v float64
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeDouble:
		v = dp.DoubleValue()
	case pmetric.NumberDataPointValueTypeInt:
		v = float64(dp.IntValue())
	default:
		s.invalid++
		return
	}
	scale := 1.0
	if mc.class == classCPU {
		sc, ok := unitScale(unit, cpuSources[mc.src].gauge)
		if !ok {
			s.invalid++
			return
		}
		scale = sc
	}
	s.addValue(svc, res, resHash, name, name, mc, aux, kind, scale, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), v)
}

func (s *Store) addValue(svc *service, res pcommon.Map, resHash uint64, key, name string, mc metricClass, aux auxKind, kind streamKind, scale float64, attrs pcommon.Map, start, ts pcommon.Timestamp, v float64) {
	t := int64(ts)
	if t <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		s.invalid++
		return
	}
	h := hashString(resHash, key)
	h = hashMap(h, attrs)
	h = hashString(h, string(rune('0'+kind)))
	st, ok := svc.streams[h]
	if !ok {
		if len(svc.streams) >= s.cfg.MaxSeriesPerService {
			s.dropped++
			return
		}
		st = &stream{metric: name, class: mc, aux: aux, kind: kind, scale: scale, desc: describe(name, res, attrs)}
		st.pts.max = s.cfg.MaxPointsPerSeries
		svc.streams[h] = st
	}
	st0 := int64(start)
	if st0 >= t {
		st0 = 0
	}
	// the total budget refuses growth, never a replacement or a ring's turn
	if s.points >= s.cfg.MaxPoints && !st.pts.holds(t) && st.pts.len() < st.pts.max {
		s.dropped++
		return
	}
	before := st.pts.len()
	if !st.pts.add(point{t: t, start: st0, v: v * scale}) {
		s.dropped++
		return
	}
	s.points += int64(st.pts.len() - before)
	if t > svc.latest {
		svc.latest = t
	}
}

// countPoints counts a metric's datapoints, for the drop counter.
func countPoints(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	}
	return 0
}

// instanceAttrs name the instance in evidence; the rest of a resource is noise there.
var instanceAttrs = []string{"service.name", "job", "service.instance.id", "instance", "k8s.pod.name", "container.id", "host.name", "process.pid"}

const maxDescLen = 240

// describe renders metric{attrs} for evidence, bounded in length.
func describe(name string, res, attrs pcommon.Map) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	n := 0
	add := func(k, v string) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	for _, k := range instanceAttrs {
		if v, ok := res.Get(k); ok {
			add(k, v.AsString())
		}
	}
	keys := make([]string, 0, attrs.Len())
	for k := range attrs.All() {
		keys = append(keys, k)
		if len(keys) > 16 {
			break
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := attrs.Get(k)
		add(k, v.AsString())
	}
	b.WriteByte('}')
	out := b.String()
	if len(out) > maxDescLen {
		out = out[:maxDescLen-3] + "...}"
	}
	return out
}

const (
	fnv64Offset = 14695981039346656037
	fnv64Prime  = 1099511628211
)

// hashString folds s into h (FNV-1a, inline: no allocation per datapoint).
func hashString(h uint64, s string) uint64 {
	if h == 0 {
		h = fnv64Offset
	}
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnv64Prime
	}
	h ^= 0xff // separator, so ("ab","c") and ("a","bc") differ
	h *= fnv64Prime
	return h
}

// hashMap hashes a map independently of key order (a sum of per-pair
// hashes), so one attribute set always lands in one stream.
func hashMap(h uint64, m pcommon.Map) uint64 {
	var acc uint64
	for k, v := range m.All() {
		var pair uint64
		if v.Type() == pcommon.ValueTypeStr {
			pair = hashString(hashString(0, k), v.Str())
		} else {
			pair = hashString(hashString(0, k), v.AsString())
		}
		acc += pair * fnv64Prime
	}
	for i := 0; i < 8; i++ {
		h ^= (acc >> (8 * i)) & 0xff
		h *= fnv64Prime
	}
	return h
}
