package perfadvisor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Receivers call Consume* concurrently while the emitters tick; run with -race.
func TestConcurrentConsumeAndEmit(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	h := newHarness(t, cfg, nopSettings())
	md := readOTLPMetricsJSON(t, fixture("fleet-outlier-a", "metrics.json"))
	ctx := context.Background()

	const workers, batches, metricBatches = 6, 40, 8
	var wg sync.WaitGroup
	sent := make([]int, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range batches {
				at := t0.Add(time.Duration(i)*3*time.Second + time.Duration(w)*time.Millisecond)
				pd := buildProfiles(
					profileSpec{service: fmt.Sprintf("svc-%d", w%3), at: at, regex: 20, work: 30},
					profileSpec{service: "shared", at: at.Add(-15 * time.Second), work: 10},
				)
				sent[w] += pd.SampleCount()
				assert.NoError(t, h.profiles.ConsumeProfiles(ctx, pd))
			}
		})
	}
	wg.Go(func() {
		for range metricBatches {
			m := pmetric.NewMetrics()
			md.CopyTo(m)
			assert.NoError(t, h.metrics.ConsumeMetrics(ctx, m))
			assert.NoError(t, h.logs.ConsumeLogs(ctx, plog.NewLogs()))
		}
	})
	wg.Go(func() {
		for i := range batches {
			h.clock.set(h.clock.now().Add(time.Second))
			h.sched.fire()
			if i%10 == 0 {
				time.Sleep(time.Millisecond) // let consumers interleave
			}
		}
	})
	wg.Wait()
	h.sched.fire()

	total := 0
	for _, n := range sent {
		total += n
	}
	assert.Equal(t, total, h.pSink.SampleCount(), "every sample passed through")
	assert.Equal(t, metricBatches, len(h.mSink.AllMetrics())-countAdvisory(h), "every metrics batch passed through")
	require.NotZero(t, countAdvisory(h), "advisory metrics were emitted")
	assert.Positive(t, h.lSink.LogRecordCount(), "findings were raised")
}

// countAdvisory counts the batches the emitter produced (scope = ours).
func countAdvisory(h *harness) int {
	n := 0
	for _, md := range h.mSink.AllMetrics() {
		rms := md.ResourceMetrics()
		if rms.Len() > 0 && rms.At(0).ScopeMetrics().Len() > 0 && rms.At(0).ScopeMetrics().At(0).Scope().Name() == "github.com/perfadvisor/perfadvisor/processor/perfadvisor" {
			n++
		}
	}
	return n
}

// An exporter with a queue keeps working on data after Consume returns; the
// processor must never touch what it handed on (checked by -race).
func TestHandedOnDataIsNotTouched(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	var bg sync.WaitGroup
	t.Cleanup(bg.Wait)
	var metricBatches, logBatches atomic.Int64
	mutateMetrics, err := consumerFunc(func(md pmetric.Metrics) {
		metricBatches.Add(1)
		bg.Go(func() { md.ResourceMetrics().RemoveIf(func(pmetric.ResourceMetrics) bool { return true }) })
	})
	require.NoError(t, err)
	mutateLogs := consumerLogsFunc(func(ld plog.Logs) {
		logBatches.Add(1)
		bg.Go(func() { ld.ResourceLogs().RemoveIf(func(plog.ResourceLogs) bool { return true }) })
	})

	sched := &manualSchedule{}
	fa := &factory{engines: map[component.ID]*engine{}, now: (&fakeClock{t: t0}).now, schedule: sched.schedule}
	f := newFactory(fa)
	ctx := context.Background()
	set := nopSettings()
	pp, err := f.CreateProfiles(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	mp, err := f.CreateMetrics(ctx, set, cfg, mutateMetrics)
	require.NoError(t, err)
	lp, err := f.CreateLogs(ctx, set, cfg, mutateLogs)
	require.NoError(t, err)
	for _, c := range []component.Component{pp, mp, lp} {
		require.NoError(t, c.Start(ctx, componenttest.NewNopHost()))
	}
	for i := range 6 {
		spec := profileSpec{service: "search", at: t0.Add(time.Duration(i) * 10 * time.Second), regex: 40 * (i % 2), work: 60}
		require.NoError(t, pp.ConsumeProfiles(ctx, buildProfiles(spec)))
		sched.fire()
	}
	for _, c := range []component.Component{pp, lp, mp} {
		require.NoError(t, c.Shutdown(ctx))
	}
	assert.Positive(t, metricBatches.Load())
	assert.Positive(t, logBatches.Load(), "raised and resolved events were handed on")
}

func consumerFunc(fn func(pmetric.Metrics)) (consumer.Metrics, error) {
	return consumer.NewMetrics(func(_ context.Context, md pmetric.Metrics) error { fn(md); return nil })
}

func consumerLogsFunc(fn func(plog.Logs)) consumer.Logs {
	c, _ := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error { fn(ld); return nil })
	return c
}

// A shutdown while batches are still arriving judges the open windows and
// emits their advice in the final flush: the last window is not lost.
func TestShutdownUnderLoadEmitsLastAdvice(t *testing.T) {
	cfg := testConfig()
	cfg.For = 0
	cfg.Window = time.Hour // nothing closes on its own before the shutdown
	h := newHarness(t, cfg, nopSettings())
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 25 {
				at := t0.Add(time.Duration(g*25+i) * 100 * time.Millisecond)
				_ = h.profiles.ConsumeProfiles(ctx, buildProfiles(profileSpec{service: "search", at: at, regex: 40, work: 60}))
			}
		})
	}
	wg.Wait()
	require.Empty(t, eventNames(h.lSink.AllLogs()), "no window closed yet")
	h.shutdown(t)
	assert.Contains(t, eventNames(h.lSink.AllLogs()), eventRaised+" regex_compile_hot_path")
	var found bool
	for _, md := range h.mSink.AllMetrics() {
		if v, ok := gaugeValue(md, metricFindingCPURatio, "regex_compile_hot_path"); ok {
			found = true
			assert.InDelta(t, 0.40, v, 1e-9)
		}
	}
	assert.True(t, found, "the final metrics flush carries the finding")
}
