// Package loadgen drives the validation programs' handlers at a fixed
// request rate while runtime/pprof records CPU, so a before and an after
// form are comparable per second.
package loadgen

import (
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

// Record warms up for a second, then profiles CPU at runtime/pprof's
// 100 Hz while an open-loop load issues rate requests per second: a fixed
// request rate makes CPU per second comparable between the two forms. The
// default rates keep the before form well under one core, so a busy
// machine does not throttle it (the log says when it fell behind).
func Record(out string, rate int, d time.Duration, do func(int) error) (int, error) {
	if _, err := load(rate, time.Second, 0, do); err != nil {
		return 0, err
	}
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return 0, err
	}
	n, err := load(rate, d, rate, do)
	pprof.StopCPUProfile()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

func load(rate int, d time.Duration, offset int, do func(int) error) (int, error) {
	// One ticker paces the requests in batches every 10 ms and a pool of
	// workers serves them: a timer per request would cost the scheduler
	// more CPU than some of the handlers.
	const workers, tick = 16, 10 * time.Millisecond
	jobs := make(chan int, rate)
	var mu sync.Mutex
	var first error
	count := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				// Stop at the deadline even when behind: a slower form then
				// shows as fewer requests, not as a longer profile.
				if time.Since(start) >= d {
					continue
				}
				err := do(offset + k)
				mu.Lock()
				count++
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	t := time.NewTicker(tick)
	issued := 0
	for now := range t.C {
		due := int(float64(rate) * min(now.Sub(start), d).Seconds())
		for ; issued < due; issued++ {
			jobs <- issued
		}
		if now.Sub(start) >= d {
			break
		}
	}
	t.Stop()
	close(jobs)
	wg.Wait()
	return count, first
}
