package fleet

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/report"
)

// fuzzNames covers every way a point can enter: CPU counters and gauges,
// goroutines, cross-signal gauges, counters and histograms.
var fuzzNames = []string{"process.cpu.time", "container.cpu.usage", "go.goroutine.count",
	"kafka.consumer.fetch_rate", "db.client.connection.create_time", "http.server.request.duration", "go_memstats_alloc_bytes_total"}

// fuzzMetrics decodes 12-byte records (service, name, kind, time, value) into a batch.
func fuzzMetrics(data []byte) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for len(data) >= 12 {
		rec := data[:12]
		data = data[12:]
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", string('a'+rune(rec[0]%5)))
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName(fuzzNames[int(rec[1])%len(fuzzNames)])
		m.SetUnit([]string{"s", "ms", "{cpu}", "", "bogus"}[rec[2]%5])
		at := pcommonTime(int64(binary.LittleEndian.Uint16(rec[3:5])) * int64(time.Second))
		v := math.Float64frombits(binary.LittleEndian.Uint64(rec[4:12]))
		if rec[2]&0x80 != 0 {
			v = float64(binary.LittleEndian.Uint16(rec[6:8])) // mostly sane values too
		}
		switch rec[2] % 4 {
		case 0:
			g := m.SetEmptyGauge().DataPoints().AppendEmpty()
			g.SetTimestamp(at)
			g.SetDoubleValue(v)
		case 1, 2:
			s := m.SetEmptySum()
			if rec[2]%4 == 2 {
				s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
			}
			dp := s.DataPoints().AppendEmpty()
			dp.SetTimestamp(at)
			dp.SetStartTimestamp(pcommonTime(int64(rec[3]) * int64(time.Second)))
			dp.SetDoubleValue(v)
		case 3:
			h := m.SetEmptyHistogram().DataPoints().AppendEmpty()
			h.SetTimestamp(at)
			h.SetCount(uint64(binary.LittleEndian.Uint16(rec[6:8])))
			h.SetSum(v)
		}
	}
	return md
}

func FuzzStore(f *testing.F) {
	f.Add([]byte("aaaaaaaaaaaabbbbbbbbbbbbccccccccccccdddddddddddd"))
	f.Add(make([]byte, 120))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := NewStore(Config{MaxServices: 3, MaxSeriesPerService: 4, MaxPointsPerSeries: 16, MaxPoints: 40}, nil)
		st.Add(fuzzMetrics(data))
		st.Add(fuzzMetrics(data)) // re-sent
		now := st.Latest()
		for _, sig := range st.Evaluate(now) {
			if math.IsNaN(sig.Level) || math.IsInf(sig.Level, 0) {
				t.Fatalf("non-finite level %v for %s %s", sig.Level, sig.Rule, sig.Service)
			}
		}
		st.Usage(now)
		for _, r := range []string{RuleAllocGC, RuleDBChurn, RuleKafkaPoll, RuleDNS} {
			st.Evidence("a", r)
		}
		if _, err := json.Marshal(report.Report{Findings: st.Replay()}); err != nil {
			t.Fatal(err)
		}
		if st.Services() > 3 || st.points > 40 {
			t.Fatalf("caps exceeded: %d services, %d points", st.Services(), st.points)
		}
	})
}
