package pyroscope

import (
	"bytes"
	"compress/gzip"
	"errors"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConverterTiming: the request's from/until (or the arrival) fill in
// only what the pprof leaves out, on every profile it becomes.
func TestConverterTiming(t *testing.T) {
	types := [2]*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}
	period := &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}
	now := time.Unix(1_800_000_000, 5)
	from, until := time.Unix(1_700_000_000, 0), time.Unix(1_700_000_010, 0)
	tests := []struct {
		name               string
		pprofTime, pprofDu int64
		timing             timing
		wantTime, wantDur  int64
	}{
		{name: "the pprof's own time and duration win", pprofTime: 42, pprofDu: 7, timing: timing{from: from, until: until}, wantTime: 42, wantDur: 7},
		{name: "from and until fill both", timing: timing{from: from, until: until}, wantTime: from.UnixNano(), wantDur: 10e9},
		{name: "duration from until-from only when missing", pprofDu: 7, timing: timing{from: from, until: until}, wantTime: from.UnixNano(), wantDur: 7},
		{name: "time from the pprof, duration from the request", pprofTime: 42, timing: timing{from: from, until: until}, wantTime: 42, wantDur: 10e9},
		{name: "no from: arrival time, no duration", timing: timing{until: until}, wantTime: now.UnixNano()},
		{name: "from without until: no duration", timing: timing{from: from}, wantTime: from.UnixNano()},
		{name: "until equal to from: no duration", timing: timing{from: from, until: from}, wantTime: from.UnixNano()},
		{name: "negative pprof time counts as none", pprofTime: -1, pprofDu: -1, wantTime: now.UnixNano()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := newConverter(createDefaultConfig().(*Config), now)
			require.NoError(t, err)
			data, err := c.decode(smallPprof(t, types, period, tt.pprofTime, tt.pprofDu))
			require.NoError(t, err)
			a, err := c.add(data, map[string]string{"__name__": "process_cpu", "env": "prod"}, "svc", tt.timing)
			require.NoError(t, err)
			n := 0
			for op := range c.profilesOf(a) {
				n++
				assert.Equal(t, tt.wantTime, int64(op.Time()))
				assert.Equal(t, tt.wantDur, int64(op.DurationNano()))
			}
			assert.Equal(t, 2, n)
			assert.Equal(t, []string{"samples", "cpu"}, c.sampleTypes(a))
		})
	}
}

// TestConverterBudget: every decompressed byte of a request is charged once,
// whoever decodes the pprof afterwards.
func TestConverterBudget(t *testing.T) {
	types := [2]*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}
	raw := smallPprof(t, types, nil, 1, 1)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	cfg := createDefaultConfig().(*Config)
	cfg.MaxDecompressedSize = int64(2*len(raw) + 1)
	c, err := newConverter(cfg, time.Now())
	require.NoError(t, err)
	for range 2 {
		data, err := c.decode(gz.Bytes())
		require.NoError(t, err)
		_, err = c.add(data, nil, "svc", timing{})
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1), c.budget)
	_, err = c.decode(gz.Bytes())
	var in *inputError
	require.True(t, errors.As(err, &in))
	assert.Equal(t, reasonTooLarge, in.reason)

	// A plain pprof that is not one is bad input, after its bytes are charged.
	c, err = newConverter(cfg, time.Now())
	require.NoError(t, err)
	data, err := c.decode([]byte("not a profile"))
	require.NoError(t, err)
	_, err = c.add(data, nil, "svc", timing{})
	require.True(t, errors.As(err, &in))
	assert.Equal(t, reasonBadProfile, in.reason)
	assert.Equal(t, 0, c.profiles)
	assert.Equal(t, 0, c.pd.ResourceProfiles().Len())
}
