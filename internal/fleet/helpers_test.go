package fleet

import (
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// t0 is the event-time origin of the synthetic series.
var t0 = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

func ts(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t0.Add(d)) }

type attrs map[string]string

// sample is one datapoint: offset from t0, value, optional start offset.
type sample struct {
	at    time.Duration
	v     float64
	start time.Duration
	// hasStart: start is set (a start at t0 is offset 0)
	hasStart bool
}

// metric describes one metric of one resource in a batch.
type metric struct {
	name, unit string
	typ        pmetric.MetricType
	delta      bool
	dpAttrs    attrs
	samples    []sample
	hist       bool // a histogram: v is the count
}

type resource struct {
	attrs   attrs
	metrics []metric
}

// batch builds pmetric.Metrics from resources.
func batch(rs ...resource) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, r := range rs {
		rm := md.ResourceMetrics().AppendEmpty()
		for k, v := range r.attrs {
			rm.Resource().Attributes().PutStr(k, v)
		}
		ms := rm.ScopeMetrics().AppendEmpty().Metrics()
		for _, m := range r.metrics {
			mm := ms.AppendEmpty()
			mm.SetName(m.name)
			mm.SetUnit(m.unit)
			temp := pmetric.AggregationTemporalityCumulative
			if m.delta {
				temp = pmetric.AggregationTemporalityDelta
			}
			if m.hist {
				h := mm.SetEmptyHistogram()
				h.SetAggregationTemporality(temp)
				for _, s := range m.samples {
					dp := h.DataPoints().AppendEmpty()
					setAttrs(dp.Attributes(), m.dpAttrs)
					dp.SetTimestamp(ts(s.at))
					if s.start != 0 || s.hasStart {
						dp.SetStartTimestamp(ts(s.start))
					}
					dp.SetCount(uint64(s.v))
					dp.SetSum(s.v * 0.01)
				}
				continue
			}
			var dps pmetric.NumberDataPointSlice
			switch m.typ {
			case pmetric.MetricTypeGauge:
				dps = mm.SetEmptyGauge().DataPoints()
			default:
				sum := mm.SetEmptySum()
				sum.SetAggregationTemporality(temp)
				sum.SetIsMonotonic(true)
				dps = sum.DataPoints()
			}
			for _, s := range m.samples {
				dp := dps.AppendEmpty()
				setAttrs(dp.Attributes(), m.dpAttrs)
				dp.SetTimestamp(ts(s.at))
				if s.start != 0 || s.hasStart {
					dp.SetStartTimestamp(ts(s.start))
				}
				dp.SetDoubleValue(s.v)
			}
		}
	}
	return md
}

func setAttrs(m pcommon.Map, a attrs) {
	for k, v := range a {
		m.PutStr(k, v)
	}
}

// counter returns cumulative samples every step over d of a process using
// rate(t) cores (CPU seconds accrue as the integral, by the midpoint rule).
func counter(d, step time.Duration, rate func(t time.Duration) float64) []sample {
	var out []sample
	total := 100.0 // CPU used before the input starts
	for at := time.Duration(0); at <= d; at += step {
		if at > 0 {
			total += rate(at-step/2) * step.Seconds()
		}
		out = append(out, sample{at: at, v: total})
	}
	return out
}

// deltas returns delta samples every step of rate(t) cores.
func deltas(d, step time.Duration, rate func(t time.Duration) float64) []sample {
	var out []sample
	for at := step; at <= d; at += step {
		out = append(out, sample{at: at, start: at - step, hasStart: true, v: rate(at-step/2) * step.Seconds()})
	}
	return out
}

// levels returns gauge samples every step.
func levels(d, step time.Duration, f func(t time.Duration) float64) []sample {
	var out []sample
	for at := time.Duration(0); at <= d; at += step {
		out = append(out, sample{at: at, v: f(at)})
	}
	return out
}

func constant(c float64) func(time.Duration) float64 { return func(time.Duration) float64 { return c } }

// wobble is a deterministic ±amp ripple, so series are not perfectly flat.
func wobble(base, amp float64) func(time.Duration) float64 {
	return func(t time.Duration) float64 { return base * (1 + amp*math.Sin(t.Seconds()/97)) }
}

func proc(service string, extra ...string) attrs {
	a := attrs{"service.name": service}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i]] = extra[i+1]
	}
	return a
}

func cpuTime(samples []sample, mode string) metric {
	return metric{name: "process.cpu.time", unit: "s", dpAttrs: attrs{"cpu.mode": mode}, samples: samples}
}

func pcommonTime(offset int64) pcommon.Timestamp { return ts(time.Duration(offset)) }
