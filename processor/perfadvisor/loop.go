package perfadvisor

import (
	"context"
	"sync"
	"time"
)

// scheduleFunc runs fn every interval until the returned stop is called;
// stop waits for a running fn. Tests swap in a manual schedule.
type scheduleFunc func(interval time.Duration, fn func(context.Context)) (stop func())

// tickEvery runs fn on a goroutine owned by one processor instance: started
// in Start, stopped and waited for in Shutdown.
func tickEvery(interval time.Duration, fn func(context.Context)) func() {
	// Not the Start context: it may end when Start returns.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// loop is an emitter's schedule handle: started once, stopped once.
type loop struct {
	schedule scheduleFunc
	mu       sync.Mutex
	stopFn   func()
}

func (l *loop) start(interval time.Duration, fn func(context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopFn == nil {
		l.stopFn = l.schedule(interval, fn)
	}
}

// stop ends the schedule and reports whether it had been started.
func (l *loop) stop() bool {
	l.mu.Lock()
	stop := l.stopFn
	l.stopFn = nil
	l.mu.Unlock()
	if stop == nil {
		return false
	}
	stop()
	return true
}
