package main

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// replay turns the bundled fixtures into an endless stream on a virtual
// event-time clock: each round covers the next `step` of event time. The
// clock starts `backfill` in the past and runs ahead of the wall clock until
// it reaches the present, so windows close within seconds; it never stamps
// data in the future.
type replay struct {
	cases   []demoCase
	metrics pmetric.Metrics
	step    time.Duration

	clock time.Time // end of the event time sent so far

	// The metrics fixture is played in a loop: cursor is the original time
	// sent so far, shift maps original time to event time in this pass.
	mFirst, mLast pcommon.Timestamp
	cursor        pcommon.Timestamp
	shift         time.Duration
}

func newReplay(cases []demoCase, metrics pmetric.Metrics, step time.Duration, start time.Time) *replay {
	r := &replay{cases: cases, metrics: metrics, step: step, clock: start}
	if metrics.DataPointCount() > 0 {
		r.mFirst, r.mLast = metricsSpan(metrics)
		r.rewind()
	}
	return r
}

// rewind starts a new pass over the metrics fixture at the current clock.
// The start timestamps move too, so a new pass reads as a restarted process.
func (r *replay) rewind() {
	r.cursor = r.mFirst - 1
	r.shift = time.Duration(r.clock.UnixNano() - int64(r.cursor))
}

// round is one batch of data: every case's profiles and the metric points
// of the next step, all stamped in (clock-step, clock].
type round struct {
	End      time.Time
	Profiles []pprofile.Profiles
	Metrics  pmetric.Metrics
}

// next advances the clock by one step and returns the data for it.
func (r *replay) next() round {
	hasMetrics := r.metrics.DataPointCount() > 0
	if hasMetrics && r.cursor >= r.mLast {
		r.rewind() // before the clock moves: the new pass starts in this step
	}
	r.clock = r.clock.Add(r.step)
	out := round{End: r.clock, Metrics: pmetric.NewMetrics()}
	for _, c := range r.cases {
		out.Profiles = append(out.Profiles, restampProfiles(c.Profiles, r.clock, r.step))
	}
	if hasMetrics {
		from := r.cursor
		to := from + pcommon.Timestamp(r.step)
		out.Metrics = sliceMetrics(r.metrics, from, to, r.shift)
		r.cursor = to
	}
	return out
}
