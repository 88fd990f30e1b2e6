package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

func oneProfile(start time.Time, dur time.Duration, sampleTimes ...time.Time) pprofile.Profiles {
	pd := pprofile.NewProfiles()
	p := pd.ResourceProfiles().AppendEmpty().ScopeProfiles().AppendEmpty().Profiles().AppendEmpty()
	if !start.IsZero() {
		p.SetTime(pcommon.NewTimestampFromTime(start))
	}
	p.SetDurationNano(uint64(dur))
	s := p.Samples().AppendEmpty()
	s.Values().Append(10_000_000)
	for _, t := range sampleTimes {
		s.TimestampsUnixNano().Append(uint64(t.UnixNano()))
	}
	return pd
}

func TestRestampProfiles(t *testing.T) {
	orig := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	end := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		in          pprofile.Profiles
		wantStart   time.Time
		wantDur     time.Duration
		wantSampleT []time.Time
	}{
		{
			name:      "keeps its duration and ends at the new end",
			in:        oneProfile(orig, 25*time.Second),
			wantStart: end.Add(-25 * time.Second),
			wantDur:   25 * time.Second,
		},
		{
			name:        "sample timestamps move with the profile",
			in:          oneProfile(orig, 20*time.Second, orig.Add(time.Second), orig.Add(19*time.Second)),
			wantStart:   end.Add(-20 * time.Second),
			wantDur:     20 * time.Second,
			wantSampleT: []time.Time{end.Add(-19 * time.Second), end.Add(-time.Second)},
		},
		{
			name:      "no duration takes the fallback step",
			in:        oneProfile(time.Time{}, 0),
			wantStart: end.Add(-30 * time.Second),
			wantDur:   30 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := pprofile.NewProfiles()
			tt.in.CopyTo(before)
			got := restampProfiles(tt.in, end, 30*time.Second)
			p := got.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0)
			assert.Equal(t, tt.wantStart.UnixNano(), int64(p.Time()))
			assert.Equal(t, uint64(tt.wantDur), p.DurationNano())
			ts := p.Samples().At(0).TimestampsUnixNano()
			require.Equal(t, len(tt.wantSampleT), ts.Len())
			for i, w := range tt.wantSampleT {
				assert.Equal(t, uint64(w.UnixNano()), ts.At(i))
			}
			assert.Equal(t, before, tt.in, "the source is not changed")
		})
	}
}

// cumulative returns one service's sum with a point every 15 s from t0.
func cumulative(t0 time.Time, values ...float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("process.cpu.time")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i, v := range values {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Hour)))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * 15 * time.Second)))
		dp.SetDoubleValue(v)
	}
	return md
}

func sumPoints(md pmetric.Metrics) pmetric.NumberDataPointSlice {
	if md.ResourceMetrics().Len() == 0 {
		return pmetric.NewNumberDataPointSlice()
	}
	return md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints()
}

func TestSliceMetrics(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	ts := func(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t0.Add(d)) }
	src := cumulative(t0, 1, 2, 3, 4)
	tests := []struct {
		name       string
		from, to   pcommon.Timestamp
		shift      time.Duration
		wantValues []float64
	}{
		{name: "first step takes the first two points", from: ts(-1), to: ts(15 * time.Second), shift: time.Hour, wantValues: []float64{1, 2}},
		{name: "the lower bound is exclusive", from: ts(15 * time.Second), to: ts(45 * time.Second), shift: time.Hour, wantValues: []float64{3, 4}},
		{name: "past the data nothing is left, not even empty resources", from: ts(time.Hour), to: ts(2 * time.Hour), wantValues: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sliceMetrics(src, tt.from, tt.to, tt.shift)
			if tt.wantValues == nil {
				assert.Equal(t, 0, got.ResourceMetrics().Len())
				return
			}
			dps := sumPoints(got)
			require.Equal(t, len(tt.wantValues), dps.Len())
			for i, w := range tt.wantValues {
				dp := dps.At(i)
				assert.Equal(t, w, dp.DoubleValue())
				assert.Greater(t, int64(dp.Timestamp()), int64(tt.from)+int64(tt.shift))
				assert.LessOrEqual(t, int64(dp.Timestamp()), int64(tt.to)+int64(tt.shift))
				assert.Equal(t, t0.Add(-time.Hour).Add(tt.shift).UnixNano(), int64(dp.StartTimestamp()), "start time moves with the point")
			}
		})
	}
	assert.Equal(t, 4, src.DataPointCount(), "the source is not changed")
}

func TestReplayRounds(t *testing.T) {
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	step := 30 * time.Second
	r := newReplay([]demoCase{{Name: "c", Service: "s", Profiles: oneProfile(t0, 25*time.Second)}},
		cumulative(t0, 1, 2, 3, 4), step, start)

	var ends []time.Time
	var values []float64
	var lastPoint int64
	for i := 0; i < 4; i++ {
		rd := r.next()
		ends = append(ends, rd.End)
		p := rd.Profiles[0].ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0)
		assert.Equal(t, rd.End.Add(-25*time.Second).UnixNano(), int64(p.Time()), "round %d: profile ends at the clock", i)
		dps := sumPoints(rd.Metrics)
		for j := 0; j < dps.Len(); j++ {
			dp := dps.At(j)
			values = append(values, dp.DoubleValue())
			assert.Greater(t, int64(dp.Timestamp()), lastPoint, "round %d: event time only moves forward", i)
			assert.LessOrEqual(t, int64(dp.Timestamp()), rd.End.UnixNano(), "round %d: no point after the round's end", i)
			lastPoint = int64(dp.Timestamp())
		}
	}
	assert.Equal(t, []time.Time{start.Add(step), start.Add(2 * step), start.Add(3 * step), start.Add(4 * step)}, ends)
	// Two passes over the 4-point fixture: the second replays it after the first.
	assert.Equal(t, []float64{1, 2, 3, 4, 1, 2, 3, 4}, values)
}
