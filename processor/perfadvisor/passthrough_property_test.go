package perfadvisor

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
)

// Whatever arrives leaves exactly as it came: random profiles (valid,
// corrupt indices, versions, many services), random metrics (the names the
// fleet reads and others, NaN and Inf values, every point type) and logs go
// through the processor and out byte-identical, while the processor analyses
// them and emits its advice beside them.
func TestPassThroughRandomData(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	for round := range 40 {
		at := t0.Add(time.Duration(round) * 3 * time.Second)

		pd := randomProfiles(rng, at)
		wantP, err := pprofileotlp.NewExportRequestFromProfiles(pd).MarshalProto()
		require.NoError(t, err)
		pd.MarkReadOnly()
		n := len(h.pSink.AllProfiles())
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, pd))
		gotP, err := pprofileotlp.NewExportRequestFromProfiles(h.pSink.AllProfiles()[n]).MarshalProto()
		require.NoError(t, err)
		require.Equal(t, wantP, gotP, "round %d: profiles changed", round)

		md := randomMetrics(rng, at)
		wantM, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
		require.NoError(t, err)
		md.MarkReadOnly()
		n = len(h.mSink.AllMetrics())
		require.NoError(t, h.metrics.ConsumeMetrics(ctx, md))
		gotM, err := pmetricotlp.NewExportRequestFromMetrics(h.mSink.AllMetrics()[n]).MarshalProto()
		require.NoError(t, err)
		require.Equal(t, wantM, gotM, "round %d: metrics changed", round)

		ld := randomLogs(rng)
		wantL, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		require.NoError(t, err)
		ld.MarkReadOnly()
		n = len(h.lSink.AllLogs())
		require.NoError(t, h.logs.ConsumeLogs(ctx, ld))
		gotL, err := plogotlp.NewExportRequestFromLogs(h.lSink.AllLogs()[n]).MarshalProto()
		require.NoError(t, err)
		require.Equal(t, wantL, gotL, "round %d: logs changed", round)

		if round%5 == 4 {
			h.clock.set(h.clock.now().Add(cfg.Window))
			h.sched.fire() // advice is emitted beside the data, never into it
		}
	}
}

func randomProfiles(rng *rand.Rand, at time.Time) pprofile.Profiles {
	var specs []profileSpec
	for range 1 + rng.Intn(4) {
		specs = append(specs, profileSpec{service: fmt.Sprintf("svc-%d", rng.Intn(6)),
			at: at.Add(time.Duration(rng.Intn(2000)) * time.Millisecond), regex: rng.Intn(60), work: rng.Intn(200)})
	}
	pd := buildProfiles(specs...)
	for _, rp := range pd.ResourceProfiles().All() {
		if rng.Intn(3) == 0 {
			rp.Resource().Attributes().PutStr("service.version", fmt.Sprintf("v%d", rng.Intn(3)))
		}
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				if rng.Intn(6) == 0 && p.Samples().Len() > 0 {
					// a corrupt stack index: the advice for it is dropped and counted
					p.Samples().At(rng.Intn(p.Samples().Len())).SetStackIndex(int32(rng.Intn(1 << 20)))
				}
			}
		}
	}
	return pd
}

var metricNames = []string{"process.cpu.time", "process_cpu_seconds_total", "container.cpu.usage", "go.goroutine.count",
	"http.server.request.duration", "http_requests_total", "go_memstats_alloc_bytes_total", "kafka.consumer.fetch_rate",
	"some.user.metric", ""}

func randomMetrics(rng *rand.Rand, at time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	values := []float64{0, 1, 12.5, 1e300, -3, math.NaN(), math.Inf(1)}
	for r := range 1 + rng.Intn(3) {
		rm := md.ResourceMetrics().AppendEmpty()
		if rng.Intn(4) > 0 {
			rm.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", (r+rng.Intn(6))%6))
		}
		ms := rm.ScopeMetrics().AppendEmpty().Metrics()
		for range 1 + rng.Intn(4) {
			m := ms.AppendEmpty()
			m.SetName(metricNames[rng.Intn(len(metricNames))])
			m.SetUnit([]string{"s", "1", "{cpu}", ""}[rng.Intn(4)])
			ts := pcommon.NewTimestampFromTime(at.Add(time.Duration(rng.Intn(3000)) * time.Millisecond))
			switch rng.Intn(4) {
			case 0:
				dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
				dp.SetTimestamp(ts)
				dp.SetDoubleValue(values[rng.Intn(len(values))])
			case 1:
				s := m.SetEmptySum()
				s.SetIsMonotonic(rng.Intn(2) == 0)
				s.SetAggregationTemporality(pmetric.AggregationTemporality(1 + rng.Intn(2)))
				dp := s.DataPoints().AppendEmpty()
				dp.SetTimestamp(ts)
				dp.SetIntValue(int64(rng.Intn(1 << 20)))
				dp.Attributes().PutStr("state", "user")
			case 2:
				hg := m.SetEmptyHistogram()
				hg.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
				dp := hg.DataPoints().AppendEmpty()
				dp.SetTimestamp(ts)
				dp.SetCount(uint64(rng.Intn(1000)))
				dp.SetSum(values[rng.Intn(len(values))])
			default:
				dp := m.SetEmptySummary().DataPoints().AppendEmpty()
				dp.SetTimestamp(ts)
				dp.SetCount(uint64(rng.Intn(1000)))
			}
		}
	}
	return md
}

func randomLogs(rng *rand.Rand) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", fmt.Sprintf("svc-%d", rng.Intn(6)))
	for range 1 + rng.Intn(3) {
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.Body().SetStr(fmt.Sprintf("line %d \x1b[0m", rng.Int()))
		lr.SetEventName([]string{"", "perfadvisor.finding.raised", "app.event"}[rng.Intn(3)])
	}
	return ld
}
