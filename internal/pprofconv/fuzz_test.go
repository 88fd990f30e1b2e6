package pprofconv

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/pprofile"
)

// fuzzMax keeps a decompressed fuzz input small, as a real caller's cap would.
const fuzzMax = 4 << 20

// addPprofSeeds seeds with small profiles only: the fuzzer minimises every
// new input it finds, which takes minutes on a 500 KB fixture.
func addPprofSeeds(f *testing.F) {
	var buf bytes.Buffer
	if err := handMade().WriteUncompressed(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	buf.Reset()
	if err := handMade().Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	for _, c := range []string{"clean-python", "python-regex-a", "native-tls-a", "jvm-regex-neg"} {
		data, err := os.ReadFile(filepath.Join(fixtures, c, "cpu.pb.gz"))
		if err != nil {
			f.Fatal(err)
		}
		raw, err := Decompress(data, 0)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw) // the mutator works far better on uncompressed bytes
	}
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b})
}

func FuzzParse(f *testing.F) {
	addPprofSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, fuzzMax)
		if err != nil {
			return
		}
		if _, err := oracleFromPprof(p, nil); err != nil {
			return
		}
	})
}

func FuzzFromPprofRoundTrip(f *testing.F) {
	addPprofSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := Parse(data, fuzzMax)
		if err != nil {
			return
		}
		// The production decoder's output must convert back to what
		// google/pprof read from the same bytes.
		pd, err := FromPprofBytes(data, fuzzMax, map[string]string{"service.name": "fuzz"})
		if err != nil {
			return
		}
		profs := pd.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles()
		if profs.Len() != len(src.SampleType) {
			t.Fatalf("%d profiles for %d sample types", profs.Len(), len(src.SampleType))
		}
		for ti := range src.SampleType {
			got, err := ToPprof(pd.Dictionary(), profs.At(ti))
			if err != nil {
				t.Fatalf("ToPprof of our own output: %v", err)
			}
			want, have := totals(src, ti), totals(got, 0)
			if len(want) != len(have) {
				t.Fatalf("sample type %d: %d distinct samples, want %d", ti, len(have), len(want))
			}
			for k, v := range want {
				if have[k] != v {
					t.Fatalf("sample type %d: value %d, want %d for\n%s", ti, have[k], v, k)
				}
			}
		}
	})
}

func FuzzToPprof(f *testing.F) {
	for _, path := range []string{
		filepath.Join(fixtures, "jvm-regex-a-otlp", "profiles.pb"),
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	pd, err := oracleFromPprof(handMade(), nil)
	if err != nil {
		f.Fatal(err)
	}
	b, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(pd)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(data)
		if err != nil {
			return
		}
		for _, rp := range pd.ResourceProfiles().All() {
			for _, sp := range rp.ScopeProfiles().All() {
				for _, p := range sp.Profiles().All() {
					_, _ = ToPprof(pd.Dictionary(), p)
				}
			}
		}
		// Appending to an arbitrary dictionary must validate it, not panic.
		_ = oracleAppendPprof(pd, handMade(), nil)
	})
}
