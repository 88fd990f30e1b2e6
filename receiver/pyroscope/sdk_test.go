package pyroscope

import (
	"crypto/sha256"
	"runtime"
	"sync"
	"testing"
	"time"

	pyroscopego "github.com/grafana/pyroscope-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
)

// TestPyroscopeGoSDK runs the real pyroscope-go v1.5 SDK against the receiver:
// it profiles this test process and uploads to /ingest every second.
func TestPyroscopeGoSDK(t *testing.T) {
	sink := new(consumertest.ProfilesSink)
	_, base := startReceiver(t, sink, receiver.Settings{}, nil)

	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	t.Cleanup(func() { runtime.SetMutexProfileFraction(0); runtime.SetBlockProfileRate(0) })

	prof, err := pyroscopego.Start(pyroscopego.Config{
		ApplicationName: "sdk-app",
		Tags:            map[string]string{"env": "test"},
		ServerAddress:   base,
		TenantID:        "tenant-b",
		UploadRate:      time.Second,
		ProfileTypes: []pyroscopego.ProfileType{
			pyroscopego.ProfileCPU, pyroscopego.ProfileAllocObjects, pyroscopego.ProfileAllocSpace,
			pyroscopego.ProfileInuseObjects, pyroscopego.ProfileInuseSpace, pyroscopego.ProfileGoroutines,
			pyroscopego.ProfileMutexCount, pyroscopego.ProfileMutexDuration,
			pyroscopego.ProfileBlockCount, pyroscopego.ProfileBlockDuration,
		},
	})
	require.NoError(t, err)
	stopped := false
	defer func() {
		if !stopped {
			_ = prof.Stop()
		}
	}()

	// Work for the profiler to see: hashing (CPU) and a contended mutex (mutex, block).
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 2 {
		wg.Go(func() {
			buf := make([]byte, 4096)
			for {
				select {
				case <-done:
					return
				default:
				}
				mu.Lock()
				sum := sha256.Sum256(buf)
				buf[0] = sum[0]
				mu.Unlock()
			}
		})
	}
	seen := func() map[string]profSummary {
		out := map[string]profSummary{}
		for _, pd := range sink.AllProfiles() {
			for _, s := range summarize(t, pd) {
				if s.Samples > 0 {
					out[s.Name+" "+s.SampleType] = s
				}
			}
		}
		return out
	}
	wanted := []string{"process_cpu cpu/nanoseconds", "memory alloc_space/bytes", "goroutine goroutine/count",
		"mutex delay/nanoseconds", "block delay/nanoseconds"}
	assert.Eventually(t, func() bool {
		got := seen()
		for _, w := range wanted {
			if _, ok := got[w]; !ok {
				return false
			}
		}
		return true
	}, 60*time.Second, 200*time.Millisecond, "profile types never all arrived")
	close(done)
	wg.Wait()
	require.NoError(t, prof.Stop())
	stopped = true

	got := seen()
	cpu, ok := got["process_cpu cpu/nanoseconds"]
	require.True(t, ok, "no CPU profile; got %v", keys(got))
	assert.Equal(t, "sdk-app", cpu.Resource["service.name"])
	assert.Equal(t, "test", cpu.Resource["env"])
	assert.Equal(t, "go", cpu.Resource["process.runtime.name"])
	assert.Contains(t, cpu.Resource, "__session_id__")
	assert.Equal(t, "cpu/nanoseconds", cpu.PeriodType)
	assert.Equal(t, int64(10_000_000), cpu.Period, "runtime/pprof samples at 100 Hz")
	assert.Positive(t, cpu.Duration, "duration kept (or taken from from/until)")
	assert.Positive(t, cpu.Time)
	for _, w := range wanted {
		assert.Equal(t, "sdk-app", got[w].Resource["service.name"], w)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
