package perfadvisor

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// memServices is the cardinality of the 2,000-service load run (docs/performance.md).
const memServices = 2000

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// heapProfile writes the heap profile now to $PERFADVISOR_HEAPPROFILE.name,
// when set: -memprofile is written after the harness has shut down.
func heapProfile(t testing.TB, name string) {
	prefix := os.Getenv("PERFADVISOR_HEAPPROFILE")
	if prefix == "" {
		return
	}
	f, err := os.Create(prefix + "." + name)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, pprof.WriteHeapProfile(f))
}

// memTemplates are real profiles of several runtimes and rules, as the
// load generator sends them: each service gets one, in turn.
func memTemplates(t testing.TB) []pprofile.Profiles {
	return []pprofile.Profiles{
		readPprof(t, fixture("regex-a", "cpu.pb.gz"), "x"),
		readPprof(t, fixture("tls-a", "cpu.pb.gz"), "x"),
		readOTLPProfiles(t, fixture("jvm-kafka-poll-a-otlp", "profiles.pb")),
		readOTLPProfiles(t, fixture("ebpf-jvm-kafka", "profiles.pb")),
		buildProfiles(profileSpec{service: "x", regex: 30, work: 70}),
	}
}

// stamped copies tpl with every resource named service and every profile at at.
func stamped(tpl pprofile.Profiles, service string, at time.Time) pprofile.Profiles {
	pd := pprofile.NewProfiles()
	tpl.CopyTo(pd)
	for _, rp := range pd.ResourceProfiles().All() {
		rp.Resource().Attributes().PutStr("service.name", service)
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				p.SetTime(pcommon.NewTimestampFromTime(at))
			}
		}
	}
	return pd
}

// cpuTimeMetrics is one cumulative process.cpu.time point per mode and service.
func cpuTimeMetrics(n int, start, now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for i := range n {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", fmt.Sprintf("load-svc-%06d", i))
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("process.cpu.time")
		m.SetUnit("s")
		sum := m.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		for _, mode := range []string{"user", "system"} {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
			dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
			dp.SetDoubleValue(now.Sub(start).Seconds() * 0.1)
			dp.Attributes().PutStr("cpu.mode", mode)
		}
	}
	return md
}

// TestPerServiceState logs the heap that one window of 2,000 services (real
// profiles, and four process.cpu.time scrapes each) retains, with the window
// open and once it is judged. The bound is generous: it catches a regression
// of several times, not noise.
func TestPerServiceState(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("measures the heap of 2,000 services; not with -short or -race")
	}
	ctx := context.Background()
	cfg := testConfig()
	cfg.Limits.MaxServices = 2 * memServices
	h := newHarness(t, cfg, nopSettings())
	tpls := memTemplates(t)
	at := h.clock.now().Add(time.Second)

	base := liveHeap()
	for i := range memServices {
		pd := stamped(tpls[i%len(tpls)], fmt.Sprintf("load-svc-%06d", i), at)
		require.NoError(t, h.profiles.ConsumeProfiles(ctx, pd))
		h.pSink.Reset() // the sink would otherwise hold every batch
	}
	for k := range 4 {
		md := cpuTimeMetrics(memServices, at.Add(-time.Minute), at.Add(time.Duration(k)*10*time.Second))
		require.NoError(t, h.metrics.ConsumeMetrics(ctx, md))
		h.mSink.Reset()
	}
	open := liveHeap()
	heapProfile(t, "open")
	h.clock.set(h.clock.now().Add(cfg.Window + cfg.AllowedLateness + time.Second))
	h.sched.fire()
	h.mSink.Reset()
	h.lSink.Reset()
	judged := liveHeap()
	heapProfile(t, "judged")

	perService := func(v uint64) float64 {
		if v < base {
			return 0
		}
		return float64(v-base) / memServices
	}
	t.Logf("retained heap per service: %.0f B with the window open, %.0f B once judged (%d services)",
		perService(open), perService(judged), memServices)
	require.Len(t, h.engine().totals.services, memServices, "every service was judged")
	require.Less(t, perService(open), 64.0*1024, "window open")
	require.Less(t, perService(judged), 64.0*1024, "window judged")
	runtime.KeepAlive(tpls)
}
