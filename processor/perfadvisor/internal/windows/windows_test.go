package windows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
)

var (
	t0   = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	wall = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
)

const size, lateness = time.Minute, 10 * time.Second

func add(s *Set, at, arrival time.Time) *Window {
	w, _ := s.For(at, arrival)
	w.Accumulate(arrival, func(*attribution.Window) {})
	s.Observe(at)
	return w
}

func starts(ws []*Window) []time.Duration {
	var out []time.Duration
	for _, w := range ws {
		out = append(out, w.Start.Sub(t0))
	}
	return out
}

func TestDue(t *testing.T) {
	tests := []struct {
		name string
		// event times of the data, in arrival order (all arriving at wall)
		events []time.Duration
		// wall time elapsed after the last arrival when Due is asked
		after time.Duration
		want  []time.Duration // starts of the windows closed, oldest first
	}{
		{name: "open while the watermark is inside lateness", events: []time.Duration{5 * time.Second, 65 * time.Second}},
		{name: "closes once the watermark passes end+lateness", events: []time.Duration{5 * time.Second, 70 * time.Second}, want: []time.Duration{0}},
		{name: "several windows close in order", events: []time.Duration{5 * time.Second, 65 * time.Second, 200 * time.Second}, want: []time.Duration{0, time.Minute}},
		{name: "the last window closes after window+lateness of wall-clock idleness", events: []time.Duration{5 * time.Second}, after: size + lateness, want: []time.Duration{0}},
		{name: "and not before", events: []time.Duration{5 * time.Second}, after: size + lateness - time.Second},
		{name: "a replayed old window waits for a lull", events: []time.Duration{time.Hour, 5 * time.Second}, after: lateness - time.Second},
		{name: "a replayed old window closes after lateness of lull", events: []time.Duration{time.Hour, 5 * time.Second}, after: lateness, want: []time.Duration{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSet(size, lateness, 8)
			for _, e := range tt.events {
				add(s, t0.Add(e), wall)
			}
			assert.Equal(t, tt.want, starts(s.Due(wall.Add(tt.after))))
		})
	}
}

func TestEventTime(t *testing.T) {
	s := NewSet(size, lateness, 8)
	assert.Equal(t, wall, s.EventTime(time.Time{}, wall), "no time and nothing seen: the wall clock")
	s.Observe(t0)
	assert.Equal(t, t0, s.EventTime(time.Time{}, wall), "no time: the newest event time seen")
	assert.Equal(t, t0.Add(time.Hour), s.EventTime(t0.Add(time.Hour), wall))
}

func TestOverflowEvictsOldest(t *testing.T) {
	s := NewSet(size, lateness, 2)
	add(s, t0.Add(time.Hour), wall)
	add(s, t0.Add(5*time.Minute), wall) // late (replay)
	w, evicted := s.For(t0, wall)
	require.NotNil(t, evicted)
	assert.Equal(t, t0.Add(5*time.Minute), evicted.Start)
	assert.NotNil(t, evicted.Stats(), "an evicted window is closed and can be judged")
	assert.Equal(t, t0, w.Start)
	assert.Equal(t, 2, s.Len())
	assert.EqualValues(t, 1, s.Overflow())
}

func TestClosedWindowRefusesData(t *testing.T) {
	s := NewSet(size, lateness, 8)
	w := add(s, t0, wall)
	require.Len(t, s.CloseAll(), 1)
	assert.False(t, w.Accumulate(wall, func(*attribution.Window) { t.Fatal("ran on a closed window") }))
	assert.NotNil(t, w.Stats())
}
