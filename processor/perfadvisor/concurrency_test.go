package perfadvisor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
