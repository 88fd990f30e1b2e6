package pprofconv

import (
	"bytes"
	"compress/gzip"
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

const fixtures = "../../testdata/fixtures"

func fixturePprofs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures, "*", "*.pb.gz"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no pprof fixtures under %s", fixtures)
	return files
}

// sampleKey describes a sample by everything a round trip must keep:
// frames (with inlining, lines, columns), mapping, labels and units.
func sampleKey(s *profile.Sample) string {
	var b strings.Builder
	for _, l := range s.Location {
		fmt.Fprintf(&b, "@%#x folded=%v", l.Address, l.IsFolded)
		if m := l.Mapping; m != nil {
			fmt.Fprintf(&b, " map[%#x-%#x+%#x %s %s %v%v%v%v]", m.Start, m.Limit, m.Offset, m.File, m.BuildID,
				m.HasFunctions, m.HasFilenames, m.HasLineNumbers, m.HasInlineFrames)
		}
		for _, ln := range l.Line {
			if f := ln.Function; f != nil {
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

// totals sums the values of sample type ti per sampleKey, skipping zeros.
func totals(p *profile.Profile, ti int) map[string]int64 {
	out := map[string]int64{}
	for _, s := range p.Sample {
		if s.Value[ti] != 0 {
			out[sampleKey(s)] += s.Value[ti]
		}
	}
	return out
}

func readFixture(t testing.TB, path string) *profile.Profile {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	p, err := Parse(data, 0)
	require.NoError(t, err)
	return p
}

func assertRoundTrip(t *testing.T, src *profile.Profile) {
	t.Helper()
	pd, err := oracleFromPprof(src, map[string]string{"service.name": "svc"})
	require.NoError(t, err)
	require.Equal(t, 1, pd.ResourceProfiles().Len())
	rp := pd.ResourceProfiles().At(0)
	svc, ok := rp.Resource().Attributes().Get("service.name")
	require.True(t, ok)
	assert.Equal(t, "svc", svc.Str())
	profs := rp.ScopeProfiles().At(0).Profiles()
	require.Equal(t, len(src.SampleType), profs.Len())
	assertSentinels(t, pd.Dictionary())

	for ti, st := range src.SampleType {
		got, err := ToPprof(pd.Dictionary(), profs.At(ti))
		require.NoError(t, err)
		require.Len(t, got.SampleType, 1)
		assert.Equal(t, *st, *got.SampleType[0])
		if src.PeriodType != nil {
			require.NotNil(t, got.PeriodType)
			assert.Equal(t, *src.PeriodType, *got.PeriodType)
		}
		assert.Equal(t, src.Period, got.Period)
		assert.Equal(t, src.TimeNanos, got.TimeNanos)
		assert.Equal(t, src.DurationNanos, got.DurationNanos)
		assert.Equal(t, src.DefaultSampleType, got.DefaultSampleType)
		assert.Equal(t, src.Comments, got.Comments)
		assert.Equal(t, src.DropFrames, got.DropFrames)
		assert.Equal(t, src.KeepFrames, got.KeepFrames)
		assert.Equal(t, src.DocURL, got.DocURL)
		assert.Equal(t, totals(src, ti), totals(got, 0), "sample type %s", st.Type)
	}
}

func assertSentinels(t *testing.T, dict pprofile.ProfilesDictionary) {
	t.Helper()
	assert.Equal(t, "", dict.StringTable().At(0))
	assert.Equal(t, pprofile.NewFunction(), dict.FunctionTable().At(0))
	assert.Equal(t, pprofile.NewMapping(), dict.MappingTable().At(0))
	assert.Equal(t, pprofile.NewLocation(), dict.LocationTable().At(0))
	assert.Equal(t, pprofile.NewStack(), dict.StackTable().At(0))
	assert.Equal(t, pprofile.NewKeyValueAndUnit(), dict.AttributeTable().At(0))
	assert.Equal(t, 1, dict.LinkTable().Len())
}

func TestRoundTripFixtures(t *testing.T) {
	for _, path := range fixturePprofs(t) {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			assertRoundTrip(t, readFixture(t, path))
		})
	}
}

// handMade exercises what the Go fixtures lack: inlined frames, columns,
// labels with units, multi-valued labels, folded locations, comments.
func handMade() *profile.Profile {
	m := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x500000, Offset: 0x1000, File: "/bin/app", BuildID: "abc123", HasFunctions: true, HasInlineFrames: true}
	fMain := &profile.Function{ID: 1, Name: "main.main", SystemName: "main.main", Filename: "/app/main.go", StartLine: 3}
	fWork := &profile.Function{ID: 2, Name: "main.work", SystemName: "main.work", Filename: "/app/work.go", StartLine: 10}
	fInl := &profile.Function{ID: 3, Name: "strings.Index", Filename: "strings.go"}
	l1 := &profile.Location{ID: 1, Mapping: m, Address: 0x401000, Line: []profile.Line{{Function: fMain, Line: 5, Column: 2}}}
	l2 := &profile.Location{ID: 2, Mapping: m, Address: 0x402000, IsFolded: true, Line: []profile.Line{
		{Function: fInl, Line: 99, Column: 7}, {Function: fWork, Line: 12}}} // inlined callee first
	l3 := &profile.Location{ID: 3, Address: 0xdead} // unsymbolized, no mapping
	return &profile.Profile{
		SampleType:        []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		DefaultSampleType: "cpu",
		PeriodType:        &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:            10_000_000,
		TimeNanos:         1_700_000_000_000_000_000,
		DurationNanos:     10_000_000_000,
		Comments:          []string{"first", "second"},
		DropFrames:        "runtime\\..*",
		DocURL:            "https://example.com/doc",
		Mapping:           []*profile.Mapping{m},
		Function:          []*profile.Function{fMain, fWork, fInl},
		Location:          []*profile.Location{l1, l2, l3},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{l2, l1}, Value: []int64{3, 30_000_000},
				Label: map[string][]string{"span": {"a"}, "multi": {"x", "y"}}},
			{Location: []*profile.Location{l3, l2, l1}, Value: []int64{1, 10_000_000},
				NumLabel: map[string][]int64{"bytes": {512}, "pair": {1, 2}}, NumUnit: map[string][]string{"bytes": {"bytes"}, "pair": {"count", "count"}}},
			{Location: []*profile.Location{l1}, Value: []int64{0, 5}},
			{Value: []int64{2, 0}}, // no stack at all
		},
	}
}

func TestRoundTripHandMade(t *testing.T) {
	assertRoundTrip(t, handMade())
}

func TestFromPprofLayout(t *testing.T) {
	pd, err := oracleFromPprof(handMade(), nil)
	require.NoError(t, err)
	dict := pd.Dictionary()
	profs := pd.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles()
	cpu := profs.At(1)
	str := func(i int32) string { return dict.StringTable().At(int(i)) }
	assert.Equal(t, "cpu", str(cpu.SampleType().TypeStrindex()))
	assert.Equal(t, 3, cpu.Samples().Len(), "zero-valued sample dropped")

	// Stacks are leaf first, and an inlined location keeps both lines.
	st := dict.StackTable().At(int(cpu.Samples().At(0).StackIndex()))
	leaf := dict.LocationTable().At(int(st.LocationIndices().At(0)))
	require.Equal(t, 2, leaf.Lines().Len())
	assert.Equal(t, "strings.Index", str(dict.FunctionTable().At(int(leaf.Lines().At(0).FunctionIndex())).NameStrindex()))
	assert.Equal(t, int64(7), leaf.Lines().At(0).Column())

	// The build id is a mapping attribute.
	m := dict.MappingTable().At(int(leaf.MappingIndex()))
	attrs, err := pprofile.FromAttributeIndices(dict.AttributeTable(), m, dict)
	require.NoError(t, err)
	bid, ok := attrs.Get(BuildIDAttr)
	require.True(t, ok)
	assert.Equal(t, "abc123", bid.Str())

	// Numeric labels keep their unit.
	s1 := cpu.Samples().At(1)
	found := false
	for _, ai := range s1.AttributeIndices().All() {
		a := dict.AttributeTable().At(int(ai))
		if str(a.KeyStrindex()) == "bytes" {
			found = true
			assert.Equal(t, int64(512), a.Value().Int())
			assert.Equal(t, "bytes", str(a.UnitStrindex()))
		}
	}
	assert.True(t, found)

	// Both sample types share the stacks: no table entry is duplicated.
	seen := map[string]bool{}
	for i := 1; i < dict.FunctionTable().Len(); i++ {
		f := dict.FunctionTable().At(i)
		k := fmt.Sprint(f.NameStrindex(), f.SystemNameStrindex(), f.FilenameStrindex(), f.StartLine())
		assert.False(t, seen[k], "duplicate function %s", k)
		seen[k] = true
	}
}

func TestAppendPprofSharesDictionary(t *testing.T) {
	files := fixturePprofs(t)
	cpu := readFixture(t, filepath.Join(fixtures, "profiler-a", "cpu.pb.gz"))
	block := readFixture(t, filepath.Join(fixtures, "profiler-a", "block.pb.gz"))
	require.NotEmpty(t, files)

	one, err := oracleFromPprof(cpu, nil)
	require.NoError(t, err)
	nFuncs := one.Dictionary().FunctionTable().Len()

	pd := pprofile.NewProfiles()
	require.NoError(t, oracleAppendPprof(pd, cpu, map[string]string{"service.name": "a"}))
	require.NoError(t, oracleAppendPprof(pd, cpu, map[string]string{"service.name": "a"}))
	assert.Equal(t, nFuncs, pd.Dictionary().FunctionTable().Len(), "second copy reuses every function")
	require.NoError(t, oracleAppendPprof(pd, block, map[string]string{"service.name": "a"}))
	require.Equal(t, 3, pd.ResourceProfiles().Len())

	// Each appended resource still round-trips against the shared dictionary.
	for i, src := range []*profile.Profile{cpu, cpu, block} {
		profs := pd.ResourceProfiles().At(i).ScopeProfiles().At(0).Profiles()
		for ti := range src.SampleType {
			got, err := ToPprof(pd.Dictionary(), profs.At(ti))
			require.NoError(t, err)
			assert.Equal(t, totals(src, ti), totals(got, 0))
		}
	}
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestParseBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join(fixtures, "regex-a", "cpu.pb.gz"))
	require.NoError(t, err)
	raw, err := Decompress(good, 0)
	require.NoError(t, err)
	bomb := gz(t, make([]byte, 8<<20)) // 8 MiB of zeros in ~8 KiB

	tests := []struct {
		name    string
		data    []byte
		max     int64
		wantErr string
	}{
		{"empty file", nil, 0, "empty"},
		{"random bytes", []byte("\x8a\x03not a protobuf at all \xff\xff\xff"), 0, "pprof"},
		{"truncated gzip", good[:len(good)/2], 0, "gzip"},
		{"gzip header only", good[:10], 0, "gzip"},
		{"gzip bomb over the cap", bomb, 1 << 20, "exceeds the limit"},
		{"gzip of garbage", gz(t, []byte("garbage garbage garbage")), 0, "pprof"},
		{"truncated protobuf", raw[:len(raw)/3], 0, "pprof"},
		{"gzipped empty", gz(t, nil), 0, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.data, tt.max)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestDecompress(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		max     int64
		want    []byte
		wantErr bool
	}{
		{"plain passes through", []byte("abc"), 10, []byte("abc"), false},
		{"gzip under the cap", gz(t, []byte("hello")), 5, []byte("hello"), false},
		{"gzip one byte over the cap", gz(t, []byte("hello!")), 5, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decompress(tt.data, tt.max)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrTooLarge)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// validOTLP is a small valid message that the corruption cases start from.
func validOTLP(t testing.TB) pprofile.Profiles {
	pd, err := oracleFromPprof(handMade(), nil)
	require.NoError(t, err)
	return pd
}

func TestToPprofBadIndices(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(pd pprofile.Profiles)
		wantErr string
	}{
		{"stack index past the table", func(pd pprofile.Profiles) { firstSample(pd).SetStackIndex(1 << 20) }, "sample stack"},
		{"negative stack index", func(pd pprofile.Profiles) { firstSample(pd).SetStackIndex(-1) }, "sample stack"},
		{"sample attribute past the table", func(pd pprofile.Profiles) { firstSample(pd).AttributeIndices().Append(9999) }, "sample attribute"},
		{"link index past the table", func(pd pprofile.Profiles) { firstSample(pd).SetLinkIndex(7) }, "sample link"},
		{"stack location past the table", func(pd pprofile.Profiles) {
			pd.Dictionary().StackTable().At(1).LocationIndices().Append(1 << 30)
		}, "stack location"},
		{"line function past the table", func(pd pprofile.Profiles) {
			pd.Dictionary().LocationTable().At(1).Lines().AppendEmpty().SetFunctionIndex(4242)
		}, "line function"},
		{"location mapping negative", func(pd pprofile.Profiles) { pd.Dictionary().LocationTable().At(1).SetMappingIndex(-3) }, "location mapping"},
		{"function name string past the table", func(pd pprofile.Profiles) {
			pd.Dictionary().FunctionTable().At(1).SetNameStrindex(1 << 25)
		}, "function name string"},
		{"attribute key string past the table", func(pd pprofile.Profiles) {
			pd.Dictionary().AttributeTable().At(1).SetKeyStrindex(123456)
		}, "attribute key string"},
		{"sample type string past the table", func(pd pprofile.Profiles) { firstProfile(pd).SampleType().SetTypeStrindex(5000) }, "profile value type"},
		{"profile attribute past the table", func(pd pprofile.Profiles) { firstProfile(pd).AttributeIndices().Append(-1) }, "profile attribute"},
		{"mapping attribute past the table", func(pd pprofile.Profiles) {
			pd.Dictionary().MappingTable().At(1).AttributeIndices().Append(77777)
		}, "mapping attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pd := validOTLP(t)
			tt.corrupt(pd)
			got, err := ToPprof(pd.Dictionary(), firstProfile(pd))
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestToPprofTimestampsOnly(t *testing.T) {
	pd := validOTLP(t)
	s := firstSample(pd)
	s.Values().FromRaw(nil)
	s.TimestampsUnixNano().FromRaw([]uint64{1, 2, 3, 4})
	got, err := ToPprof(pd.Dictionary(), firstProfile(pd))
	require.NoError(t, err)
	assert.Equal(t, int64(4), got.Sample[0].Value[0], "one event per timestamp")
}

func TestAppendPprofRejectsBadDestination(t *testing.T) {
	pd := validOTLP(t)
	pd.Dictionary().StackTable().At(1).LocationIndices().Append(1 << 30)
	err := oracleAppendPprof(pd, handMade(), nil)
	require.Error(t, err)
	assert.Equal(t, 1, pd.ResourceProfiles().Len(), "nothing appended")
}

func TestFromPprofRejectsInvalid(t *testing.T) {
	p := handMade()
	p.Sample[0].Value = []int64{1} // fewer values than sample types
	_, err := oracleFromPprof(p, nil)
	require.Error(t, err)
	_, err = oracleFromPprof(nil, nil)
	require.Error(t, err)
	_, err = oracleFromPprof(&profile.Profile{}, nil)
	require.Error(t, err)
}

func firstProfile(pd pprofile.Profiles) pprofile.Profile {
	return pd.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0)
}

func firstSample(pd pprofile.Profiles) pprofile.Sample { return firstProfile(pd).Samples().At(0) }
