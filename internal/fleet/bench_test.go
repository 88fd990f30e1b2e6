package fleet

import (
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// splitBatches cuts a fixture into per-scrape batches (one timestamp each),
// the way a collector receives it.
func splitBatches(md pmetric.Metrics) []pmetric.Metrics {
	byTime := map[int64]pmetric.Metrics{}
	var order []int64
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				for _, dp := range m.Sum().DataPoints().All() {
					t := int64(dp.Timestamp())
					b, ok := byTime[t]
					if !ok {
						b = pmetric.NewMetrics()
						byTime[t] = b
						order = append(order, t)
					}
					nrm := b.ResourceMetrics().AppendEmpty()
					rm.Resource().CopyTo(nrm.Resource())
					nm := nrm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
					nm.SetName(m.Name())
					nm.SetUnit(m.Unit())
					s := nm.SetEmptySum()
					s.SetAggregationTemporality(m.Sum().AggregationTemporality())
					s.SetIsMonotonic(m.Sum().IsMonotonic())
					dp.CopyTo(s.DataPoints().AppendEmpty())
				}
			}
		}
	}
	out := make([]pmetric.Metrics, len(order))
	for i, t := range order {
		out[i] = byTime[t]
	}
	return out
}

// BenchmarkAdd: ingesting the fleet-outlier-a fixture (2 h, 12 services, 3
// modes, 15 s) as one batch.
func BenchmarkAdd(b *testing.B) {
	md := loadMetrics(b, filepath.Join(fixturesDir, "fleet-outlier-a", "metrics.json"))
	b.ReportAllocs()
	b.ReportMetric(float64(md.DataPointCount()), "points/op")
	for b.Loop() {
		NewStore(Config{}, nil).Add(md)
	}
}

// BenchmarkEvaluate: one live evaluation of every rule over the full 2 h of
// fleet-outlier-a held in the store.
func BenchmarkEvaluate(b *testing.B) {
	st := NewStore(Config{Window: 10 * time.Minute}, nil)
	st.Add(loadMetrics(b, filepath.Join(fixturesDir, "fleet-outlier-a", "metrics.json")))
	now := st.Latest()
	b.ReportAllocs()
	for b.Loop() {
		st.Evaluate(now)
	}
}

// BenchmarkReplay: the CLI path over the same fixture.
func BenchmarkReplay(b *testing.B) {
	st := NewStore(Config{}, nil)
	st.Add(loadMetrics(b, filepath.Join(fixturesDir, "fleet-outlier-a", "metrics.json")))
	b.ReportAllocs()
	for b.Loop() {
		st.Replay()
	}
}

// BenchmarkLive: the collector's steady state: a scrape batch (12 services,
// one timestamp) then an evaluation, with 2 h of history already held.
func BenchmarkLive(b *testing.B) {
	batches := splitBatches(loadMetrics(b, filepath.Join(fixturesDir, "fleet-outlier-a", "metrics.json")))
	st := NewStore(Config{Window: 10 * time.Minute}, nil)
	for _, md := range batches {
		st.Add(md)
	}
	last := batches[len(batches)-1]
	now := st.Latest()
	b.ReportAllocs()
	for b.Loop() {
		st.Add(last) // a re-sent scrape: a duplicate replaces in place
		st.Evaluate(now)
	}
}
