package pprofconv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// looseKey is sampleKey without mapping ranges and flags: enough to compare
// the totals of two messages whose mapping tables may be laid out apart.
func looseKey(s *profile.Sample) string {
	var b strings.Builder
	for _, l := range s.Location {
		fmt.Fprintf(&b, "@%#x folded=%v", l.Address, l.IsFolded)
		if m := l.Mapping; m != nil {
			fmt.Fprintf(&b, " map[%s %s]", m.File, m.BuildID)
		}
		for _, ln := range l.Line {
			if f := ln.Function; f != nil && (f.Name != "" || f.SystemName != "" || f.Filename != "" || f.StartLine != 0) {
				fmt.Fprintf(&b, " {%s|%s|%s|%d}", f.Name, f.SystemName, f.Filename, f.StartLine)
			}
			fmt.Fprintf(&b, ":%d:%d", ln.Line, ln.Column)
		}
		b.WriteString("\n")
	}
	for _, k := range sortedKeys(s.Label) {
		fmt.Fprintf(&b, "L %s=%q\n", k, s.Label[k])
	}
	for _, k := range sortedKeys(s.NumLabel) {
		fmt.Fprintf(&b, "N %s=%v %q\n", k, s.NumLabel[k], s.NumUnit[k])
	}
	return b.String()
}

// otlpTotals converts every profile of the first resource back to pprof and
// sums values per looseKey, one map per sample type.
func otlpTotals(t testing.TB, pd pprofile.Profiles, ri int) ([]map[string]int64, []*profile.Profile) {
	t.Helper()
	profs := pd.ResourceProfiles().At(ri).ScopeProfiles().At(0).Profiles()
	var out []map[string]int64
	var pps []*profile.Profile
	for i := range profs.Len() {
		p, err := ToPprof(pd.Dictionary(), profs.At(i))
		if err != nil {
			t.Fatalf("ToPprof: %v", err)
		}
		m := map[string]int64{}
		for _, s := range p.Sample {
			m[looseKey(s)] += s.Value[0]
		}
		out = append(out, m)
		pps = append(pps, p)
	}
	return out, pps
}

func TestFromPprofBytesBadInput(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, handMade().WriteUncompressed(&buf))
	good := buf.Bytes()
	withSample := func(extra []byte) []byte { return append(append([]byte{}, good...), extra...) }

	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"empty", nil, "empty"},
		{"truncated", good[:len(good)-3], "pprof"},
		{"bad wire type", []byte{0x0f}, "wire type"},
		{"varint overflow", []byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "varint"},
		{"length past the end", []byte{0x12, 0x7f, 0x01}, "truncated"},
		{"no string table", []byte{0x0a, 0x00}, "string table"},
		// field 2 (sample): location id 99 does not exist.
		{"unknown location id", withSample([]byte{0x12, 0x07, 0x0a, 0x01, 99, 0x12, 0x02, 0x01, 0x01}), "unknown location id 99"},
		// field 2 (sample): one value for two sample types.
		{"value count mismatch", withSample([]byte{0x12, 0x03, 0x12, 0x01, 0x05}), "1 values for 2 sample types"},
		// field 2 (sample) with a label whose key string index is out of range.
		{"label key out of range", withSample([]byte{0x12, 0x0a, 0x12, 0x02, 0x01, 0x01, 0x1a, 0x04, 0x08, 0x7f, 0x10, 0x00}), "string index 127"},
		// field 5 (function) with id 0.
		{"function id 0", withSample([]byte{0x2a, 0x02, 0x10, 0x00}), "id 0"},
		// field 5 (function) with a duplicate id 1.
		{"duplicate function id", withSample([]byte{0x2a, 0x02, 0x08, 0x01}), "duplicate id 1"},
		// field 4 (location 51) with a line naming function 77.
		{"unknown function id", withSample([]byte{0x22, 0x06, 0x08, 51, 0x22, 0x02, 0x08, 77}), "unknown function id 77"},
		{"gzip bomb", gz(t, make([]byte, 2<<20)), "exceeds the limit"},
		{"many sample types times many empty samples", manyTypesManySamples(200_000), "0 values for 200000 sample types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromPprofBytes(tt.data, 1<<20, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestBuilderAppendBytesSharesDictionary(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtures, "profiler-a", "cpu.pb.gz"))
	require.NoError(t, err)
	pd := pprofile.NewProfiles()
	b, err := NewBuilder(pd)
	require.NoError(t, err)
	require.NoError(t, b.AppendBytes(data, 0, nil))
	n := pd.Dictionary().StackTable().Len()
	require.NoError(t, b.AppendBytes(data, 0, nil))
	assert.Equal(t, n, pd.Dictionary().StackTable().Len(), "the second copy adds no stack")
	assert.Equal(t, 2, pd.ResourceProfiles().Len())
	first, _ := otlpTotals(t, pd, 0)
	second, _ := otlpTotals(t, pd, 1)
	assert.Equal(t, first, second)
}

// manyTypesManySamples is a small input whose sample-type count times
// sample count is huge: allocation must follow the input size, not that
// product.
func manyTypesManySamples(n int) []byte {
	b := []byte{0x32, 0x00} // string_table[0] = ""
	for range n {
		b = append(b, 0x0a, 0x00) // an empty sample_type
	}
	for range n {
		b = append(b, 0x12, 0x00) // an empty sample
	}
	return b
}

// marshal encodes a copy: the marshaler moves resource attributes into the
// string table of what it is given.
func marshal(t testing.TB, pd pprofile.Profiles) []byte {
	t.Helper()
	cp := pprofile.NewProfiles()
	pd.CopyTo(cp)
	b, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(cp)
	require.NoError(t, err)
	return b
}

// A string table over MaxStrings is refused with a clear error before it is
// materialised.
func TestStringTableCap(t *testing.T) {
	var raw []byte
	entry := []byte{6<<3 | 2, 1, 'x'} // field 6 (string_table), length 1, "x"
	raw = append(raw, 6<<3|2, 0)      // the empty string at index 0
	for range MaxStrings {
		raw = append(raw, entry...)
	}
	_, err := FromPprofBytes(raw, int64(len(raw))+1, nil)
	require.Error(t, err)
	require.Contains(t, err.Error(), "string table has more than")
}
