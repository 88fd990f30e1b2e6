// Package windows holds the processor's event-time windows of profile
// statistics: which window a profile belongs to and when a window closes.
package windows

import (
	"sort"
	"sync"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
)

// Window is one span [Start, End) of event time and the statistics of the
// profiles that fell in it. Its own lock lets batches for different windows
// be analysed in parallel.
type Window struct {
	Start, End time.Time

	mu     sync.Mutex
	stats  *attribution.Window
	closed bool
	// late: opened behind the watermark (a replay of old data); it closes on
	// wall-clock idleness instead of at once, so a replayed window is judged whole.
	late        bool
	lastArrival time.Time // wall clock
}

// Accumulate runs fn on the window's statistics unless the window has
// closed meanwhile; it reports whether fn ran.
func (w *Window) Accumulate(wall time.Time, fn func(*attribution.Window)) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return false
	}
	fn(w.stats)
	if wall.After(w.lastArrival) {
		w.lastArrival = wall
	}
	return true
}

// Stats returns the statistics of a closed window; nil while it is open.
func (w *Window) Stats() *attribution.Window {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		return nil
	}
	return w.stats
}

func (w *Window) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

func (w *Window) idleSince() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastArrival
}

// Set holds the open windows. Not safe for concurrent use: the caller holds
// its own lock around Set calls (Window.Accumulate needs no outer lock).
type Set struct {
	size, lateness time.Duration
	max            int
	open           map[int64]*Window // by Start in unix nanoseconds
	watermark      time.Time         // newest event time seen
	overflow       int64
}

// NewSet returns a Set of windows of the given size; at most max stay open.
func NewSet(size, lateness time.Duration, max int) *Set {
	if max < 1 {
		max = 1
	}
	return &Set{size: size, lateness: lateness, max: max, open: map[int64]*Window{}}
}

// Watermark is the newest event time seen (zero before any).
func (s *Set) Watermark() time.Time { return s.watermark }

// Len is the number of open windows.
func (s *Set) Len() int { return len(s.open) }

// Overflow counts windows closed early because max windows were open.
func (s *Set) Overflow() int64 { return s.overflow }

// EventTime is the time a profile is windowed at: its own time if set, else
// the newest event time seen, else the wall clock.
func (s *Set) EventTime(t, wall time.Time) time.Time {
	switch {
	case !t.IsZero() && t.UnixNano() > 0:
		return t
	case !s.watermark.IsZero():
		return s.watermark
	default:
		return wall
	}
}

// Observe advances the watermark to t if t is newer.
func (s *Set) Observe(t time.Time) {
	if t.After(s.watermark) {
		s.watermark = t
	}
}

// Start is the start of the window event time t falls in.
func (s *Set) Start(t time.Time) time.Time { return t.Truncate(s.size) }

// For returns the window event time t falls in, opening it if needed. When
// max windows are open, the oldest is closed early and returned as evicted
// so the caller can still judge it.
func (s *Set) For(t, wall time.Time) (w *Window, evicted *Window) {
	start := s.Start(t)
	key := start.UnixNano()
	if w, ok := s.open[key]; ok {
		return w, nil
	}
	if len(s.open) >= s.max {
		evicted = s.oldest()
		delete(s.open, evicted.Start.UnixNano())
		evicted.close()
		s.overflow++
	}
	end := start.Add(s.size)
	w = &Window{
		Start: start, End: end,
		stats:       attribution.NewWindow(),
		late:        !s.watermark.IsZero() && !end.Add(s.lateness).After(s.watermark),
		lastArrival: wall,
	}
	s.open[key] = w
	return w, evicted
}

func (s *Set) oldest() *Window {
	var o *Window
	for _, w := range s.open {
		if o == nil || w.Start.Before(o.Start) {
			o = w
		}
	}
	return o
}

// Due closes and returns, oldest first, the windows that are done: the
// watermark passed End+lateness (live windows), or no data arrived for
// size+lateness of wall-clock time (the last window of a stream), or, for a
// window opened behind the watermark, no data arrived for lateness (min 1s).
func (s *Set) Due(wall time.Time) []*Window {
	var due []*Window
	idleLive := s.size + s.lateness
	idleLate := max(s.lateness, time.Second)
	for k, w := range s.open {
		idle := wall.Sub(w.idleSince())
		var done bool
		if w.late {
			done = idle >= idleLate
		} else {
			done = !w.End.Add(s.lateness).After(s.watermark) || idle >= idleLive
		}
		if done {
			delete(s.open, k)
			w.close()
			due = append(due, w)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Start.Before(due[j].Start) })
	return due
}

// CloseAll closes and returns every open window, oldest first.
func (s *Set) CloseAll() []*Window {
	var all []*Window
	for k, w := range s.open {
		delete(s.open, k)
		w.close()
		all = append(all, w)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Start.Before(all[j].Start) })
	return all
}
