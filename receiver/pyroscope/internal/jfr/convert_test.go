package jfr

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func recording(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/jfr/" + name)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return b
}

// kinds lists "name sampletype/unit,… period-type" per converted profile.
func kinds(t *testing.T, res Result) []string {
	var out []string
	for _, p := range res.Profiles {
		pp, err := profile.ParseData(p.Pprof)
		require.NoError(t, err)
		var types []string
		for _, st := range pp.SampleType {
			types = append(types, st.Type+"/"+st.Unit)
		}
		period := ""
		if pp.PeriodType != nil {
			period = pp.PeriodType.Type + "/" + pp.PeriodType.Unit
		}
		out = append(out, p.Name+" "+strings.Join(types, ",")+" "+period)
	}
	return out
}

// TestEventSampleTypes is the JFR event → sample type table the receiver
// documents.
func TestEventSampleTypes(t *testing.T) {
	tests := []struct {
		file  string
		event string
		want  []string
	}{
		{"dump1.jfr.gz", "itimer", []string{"process_cpu cpu/nanoseconds cpu/nanoseconds"}},
		{"new_spancontext.jfr.gz", "ctimer", []string{"process_cpu cpu/nanoseconds cpu/nanoseconds"}},
		{"wall_tick_sample.jfr.gz", "wall", []string{"wall wall/nanoseconds wall/nanoseconds"}},
		{"example.jfr.gz", "cpu", []string{
			"memory alloc_in_new_tlab_objects/count,alloc_in_new_tlab_bytes/bytes space/bytes",
			"memory alloc_outside_tlab_objects/count,alloc_outside_tlab_bytes/bytes space/bytes",
			"mutex contentions/count,delay/nanoseconds mutex/count",
			"process_cpu cpu/nanoseconds cpu/nanoseconds",
		}},
		{"dd-trace-java.jfr.gz", "", []string{
			"block contentions/count,delay/nanoseconds block/count",
			"memory alloc_in_new_tlab_objects/count,alloc_in_new_tlab_bytes/bytes space/bytes",
			"memory alloc_outside_tlab_objects/count,alloc_outside_tlab_bytes/bytes space/bytes",
			"process_cpu cpu/nanoseconds cpu/nanoseconds",
		}},
		{"object-allocation-sample.jfr.gz", "", []string{
			"block contentions/count,delay/nanoseconds block/count",
			"memory alloc_sample_objects/count,alloc_sample_bytes/bytes space/bytes",
			"process_cpu cpu/nanoseconds cpu/nanoseconds",
		}},
		{"nativemem.jfr.gz", "", []string{"memory malloc_objects/count,malloc_bytes/bytes /"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := Convert(recording(t, tt.file), nil, Input{Start: time.Unix(1700000000, 0), End: time.Unix(1700000010, 0)})
			require.NoError(t, err)
			assert.Equal(t, tt.event, res.Event)
			assert.Equal(t, tt.want, kinds(t, res))
		})
	}
}

func TestCPUValuesAndPeriod(t *testing.T) {
	res, err := Convert(recording(t, "dump1.jfr.gz"), nil, Input{Start: time.Unix(1700000000, 0), End: time.Unix(1700000010, 0), SampleRate: 100})
	require.NoError(t, err)
	p, err := profile.ParseData(res.Profiles[0].Pprof)
	require.NoError(t, err)
	assert.Equal(t, int64(1e7), p.Period, "the period of 100 Hz")
	assert.Equal(t, int64(1700000000e9), p.TimeNanos)
	assert.Equal(t, int64(10e9), p.DurationNanos)
	for _, s := range p.Sample {
		require.Zero(t, s.Value[0]%p.Period, "values are whole samples")
	}
	assert.Contains(t, p.Function[0].Name, ".", "frames are Class.method")
}

func TestLabels(t *testing.T) {
	lab := recording(t, "dump1.labels.pb.gz")
	res, err := Convert(recording(t, "dump1.jfr.gz"), lab, Input{})
	require.NoError(t, err)
	p, err := profile.ParseData(res.Profiles[0].Pprof)
	require.NoError(t, err)
	labelled := 0
	for _, s := range p.Sample {
		if len(s.Label) > 0 {
			labelled++
		}
	}
	assert.Positive(t, labelled, "samples carry their context's labels")

	_, err = Convert(recording(t, "dump1.jfr.gz"), []byte{0xff, 0xff}, Input{})
	assert.ErrorContains(t, err, "labels")
}

// patch returns a copy of b with n written big-endian at off.
func patch(b []byte, off int, n uint64) []byte {
	c := bytes.Clone(b)
	binary.BigEndian.PutUint64(c[off:], n)
	return c
}

// withMetaStringCount re-encodes the metadata's string count as a 5-byte
// varint of n (the chunk grows by the extra bytes).
func withMetaStringCount(t *testing.T, b []byte, n uint32) []byte {
	size := binary.BigEndian.Uint64(b[8:])
	meta := int(binary.BigEndian.Uint64(b[24:]))
	r := &reader{b: b, pos: meta, end: int(size)}
	_, _ = r.varint(32)
	_, _ = r.varint(32)
	for range 3 {
		_, _ = r.varLong()
	}
	at := r.pos
	_, err := r.varint(32)
	require.NoError(t, err)
	enc := []byte{byte(n) | 0x80, byte(n>>7) | 0x80, byte(n>>14) | 0x80, byte(n>>21) | 0x80, byte(n >> 28)}
	out := append(append(append([]byte{}, b[:at]...), enc...), b[r.pos:size]...)
	binary.BigEndian.PutUint64(out[8:], uint64(len(out)))
	return out
}

// withPoolDelta sets the first constant pool's link (a 1-byte varint in
// the test recording) to d.
func withPoolDelta(t *testing.T, b []byte, d byte) []byte {
	cp := int(binary.BigEndian.Uint64(b[16:]))
	r := &reader{b: b, pos: cp, end: len(b)}
	for range 4 { // size, type, start, duration
		_, _ = r.varLong()
	}
	require.Equal(t, byte(0), b[r.pos], "a single pool, delta 0")
	c := bytes.Clone(b)
	c[r.pos] = d
	return c
}

func TestHostileRecordings(t *testing.T) {
	good := recording(t, "wall_tick_sample.jfr.gz")
	require.NoError(t, Check(good, nil))
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"not jfr", []byte(strings.Repeat("x", 100)), "magic"},
		{"truncated header", good[:40], "truncated"},
		{"huge chunk size", patch(good, 8, 1<<62), "chunk size"},
		{"chunk size past the body", patch(good, 8, uint64(len(good)+1)), "chunk size"},
		{"constant pool offset past the chunk", patch(good, 16, 1<<40), "offsets"},
		{"metadata offset past the chunk", patch(good, 24, 1<<40), "offsets"},
		{"huge metadata string count", withMetaStringCount(t, good, 1<<31), "count"},
		{"constant pool linking into itself", withPoolDelta(t, good, 1), "overlap"},
		{"truncated body", good[:len(good)/2], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Convert(tt.body, nil, Input{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// TestRefsCap: a context with many labels referenced by every event would
// make the converter copy its labels into each sample.
func TestRefsCap(t *testing.T) {
	rec := recording(t, "dump1.jfr.gz")
	require.NoError(t, Check(rec, func(uint64) int { return 8 }))
	err := Check(rec, func(uint64) int { return maxRefs / 64 })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stack frames and labels")
}

// TestNestedEmptyClasses: classes whose fields take no bytes, nested, would
// make a walk without a work bound take exponential time on a tiny body.
func TestNestedEmptyClasses(t *testing.T) {
	ct := &chunkTypes{classes: map[int64]*class{}, tInt: 1, tLong: 2, tShort: 3, tFloat: 4, tBool: 5, tString: 6, stackTrace: -1}
	for id := int64(1); id <= 6; id++ {
		ct.classes[id] = &class{id: id, name: "primitive"}
	}
	ct.classes[10] = &class{id: 10, name: "Empty"}
	for id := int64(11); id <= 16; id++ {
		c := &class{id: id, name: "Nest"}
		for range 1000 {
			c.fields = append(c.fields, field{name: "f", typ: id - 1})
		}
		ct.classes[id] = c
	}
	for _, c := range ct.classes {
		ct.width(c)
	}
	ct.maxSteps = stepsPerByte*16 + 1<<16
	_, err := ct.value(&reader{b: make([]byte, 16), end: 16}, ct.classes[16], 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too complex")
	assert.Equal(t, maxWidth, ct.classes[16].width, "widths are capped, not overflowed")
}
