package main

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// restampProfiles returns a copy of src whose profiles end at end: each
// profile keeps its duration (or gets fallback when it has none), and sample
// timestamps move with it, so the data looks freshly recorded.
func restampProfiles(src pprofile.Profiles, end time.Time, fallback time.Duration) pprofile.Profiles {
	dst := pprofile.NewProfiles()
	src.CopyTo(dst)
	for _, rp := range dst.ResourceProfiles().All() {
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				d := time.Duration(p.DurationNano())
				if d <= 0 {
					d = fallback
					p.SetDurationNano(uint64(d))
				}
				start := end.Add(-d)
				shift := int64(start.UnixNano()) - int64(p.Time())
				if p.Time() == 0 {
					shift = 0 // no original time: sample timestamps, if any, stay unknown
				}
				p.SetTime(pcommon.NewTimestampFromTime(start))
				for _, s := range p.Samples().All() {
					ts := s.TimestampsUnixNano()
					for i := 0; i < ts.Len(); i++ {
						ts.SetAt(i, uint64(int64(ts.At(i))+shift))
					}
				}
			}
		}
	}
	return dst
}

// metricsSpan is the [first, last] point time of md.
func metricsSpan(md pmetric.Metrics) (first, last pcommon.Timestamp) {
	forEachPoint(md, func(p pointTimes) {
		t := p.ts()
		if first == 0 || t < first {
			first = t
		}
		if t > last {
			last = t
		}
	})
	return first, last
}

// sliceMetrics copies the points of src whose time is in (from, to] and
// moves their time and start time by shift. Empty metrics, scopes and
// resources are left out.
func sliceMetrics(src pmetric.Metrics, from, to pcommon.Timestamp, shift time.Duration) pmetric.Metrics {
	dst := pmetric.NewMetrics()
	src.CopyTo(dst)
	forEachMetric(dst, func(m pmetric.Metric) {
		keep := func(p pointTimes) bool {
			t := p.ts()
			if t <= from || t > to {
				return false
			}
			p.setTimes(shift)
			return true
		}
		filterPoints(m, keep)
	})
	dst.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool { return pointCount(m) == 0 })
			return sm.Metrics().Len() == 0
		})
		return rm.ScopeMetrics().Len() == 0
	})
	return dst
}

// point is any data point type: they share time accessors but no interface.
type point interface {
	Timestamp() pcommon.Timestamp
	SetTimestamp(pcommon.Timestamp)
	StartTimestamp() pcommon.Timestamp
	SetStartTimestamp(pcommon.Timestamp)
}

type pointTimes struct{ point }

func (p pointTimes) ts() pcommon.Timestamp { return p.Timestamp() }

func (p pointTimes) setTimes(shift time.Duration) {
	p.SetTimestamp(pcommon.Timestamp(int64(p.Timestamp()) + int64(shift)))
	if p.StartTimestamp() != 0 {
		p.SetStartTimestamp(pcommon.Timestamp(int64(p.StartTimestamp()) + int64(shift)))
	}
}

func forEachMetric(md pmetric.Metrics, f func(pmetric.Metric)) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				f(m)
			}
		}
	}
}

// forEachPoint calls f on every data point of md.
func forEachPoint(md pmetric.Metrics, f func(pointTimes)) {
	forEachMetric(md, func(m pmetric.Metric) {
		filterPoints(m, func(p pointTimes) bool { f(p); return true })
	})
}

// filterPoints keeps the points of m for which keep returns true.
func filterPoints(m pmetric.Metric, keep func(pointTimes) bool) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		m.Gauge().DataPoints().RemoveIf(func(p pmetric.NumberDataPoint) bool { return !keep(pointTimes{p}) })
	case pmetric.MetricTypeSum:
		m.Sum().DataPoints().RemoveIf(func(p pmetric.NumberDataPoint) bool { return !keep(pointTimes{p}) })
	case pmetric.MetricTypeHistogram:
		m.Histogram().DataPoints().RemoveIf(func(p pmetric.HistogramDataPoint) bool { return !keep(pointTimes{p}) })
	case pmetric.MetricTypeExponentialHistogram:
		m.ExponentialHistogram().DataPoints().RemoveIf(func(p pmetric.ExponentialHistogramDataPoint) bool { return !keep(pointTimes{p}) })
	case pmetric.MetricTypeSummary:
		m.Summary().DataPoints().RemoveIf(func(p pmetric.SummaryDataPoint) bool { return !keep(pointTimes{p}) })
	}
}

func pointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}
