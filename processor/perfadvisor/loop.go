package perfadvisor

import (
	"context"
	"sync"
	"time"
)

// loop runs fn every interval on a goroutine owned by one processor
// instance: started in Start, stopped (and waited for) in Shutdown.
type loop struct {
	mu      sync.Mutex
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

func (l *loop) start(interval time.Duration, fn func(context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return
	}
	// Not the Start context: it ends when Start returns.
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.started = cancel, true
	l.wg.Go(func() {
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
}

// stop ends the goroutine and reports whether it had been started.
func (l *loop) stop() bool {
	l.mu.Lock()
	started := l.started
	if started {
		l.cancel()
		l.started = false
	}
	l.mu.Unlock()
	l.wg.Wait()
	return started
}
