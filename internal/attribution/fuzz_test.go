package attribution

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
)

// fuzzVocabulary: strings that steer the builder into every engine path
// (rule roots, exclusions, cut-offs, CPU and contention types, frame types).
var fuzzVocabulary = []string{
	"", "cpu", "nanoseconds", "samples", "count", "contentions", "delay", "wall",
	"profile.frame.type", "go", "jvm", "kernel", "native", "cpython", "service.name",
	"pyroscope.profile.name", "mutex", "block", "regexp.Compile", "runtime.doInit1",
	"github.com/twmb/franz-go/pkg/kgo.(*source).fetch", "main.(*p).apply", "runtime.mallocgc",
	"compile", "re/_compiler.py", "compile (re/_compiler.py)", "sync.(*Mutex).Unlock",
	"java.util.regex.Pattern java.util.regex.Pattern.compile(java.lang.String)",
	"java/util/regex/Pattern.compile", "Foo.<clinit>", "SSL_do_handshake", "tls_decrypt_ticket",
	"crypto/tls.(*Conn).handshakeContext", "crypto/x509.(*Certificate).Verify",
	"net.(*Resolver).lookupHost[go.shape.int]", "foo.isra.0.cold", "x [clone .constprop.0]",
	"kafka.consumer.group:poll", "a.py:12 - f", "[[[", "]]", "(", "v8::internal::RegExp::Compile(int)",
}

// fuzzReader hands out bytes, then zeros.
type fuzzReader struct {
	b []byte
	i int
}

func (r *fuzzReader) u8() int {
	if r.i >= len(r.b) {
		return 0
	}
	v := r.b[r.i]
	r.i++
	return int(v)
}

// idx returns a table index that is out of range now and then.
func (r *fuzzReader) idx() int32 { return int32(int8(r.u8())) }

func (r *fuzzReader) i64() int64 {
	var buf [8]byte
	n := r.u8() % 9
	for i := 0; i < n; i++ {
		buf[i] = byte(r.u8())
	}
	return int64(binary.LittleEndian.Uint64(buf[:]))
}

// buildFuzzProfiles builds an arbitrary (often invalid) OTLP profiles message.
func buildFuzzProfiles(data []byte) pprofile.Profiles {
	r := &fuzzReader{b: data}
	pd := pprofile.NewProfiles()
	d := pd.Dictionary()
	for i, n := 0, r.u8()%24; i < n; i++ {
		d.StringTable().Append(fuzzVocabulary[r.u8()%len(fuzzVocabulary)])
	}
	for i, n := 0, r.u8()%16; i < n; i++ {
		f := d.FunctionTable().AppendEmpty()
		f.SetNameStrindex(r.idx())
		f.SetFilenameStrindex(r.idx())
	}
	for i, n := 0, r.u8()%8; i < n; i++ {
		a := d.AttributeTable().AppendEmpty()
		a.SetKeyStrindex(r.idx())
		a.Value().SetStr(fuzzVocabulary[r.u8()%len(fuzzVocabulary)])
	}
	for i, n := 0, r.u8()%16; i < n; i++ {
		l := d.LocationTable().AppendEmpty()
		for j, m := 0, r.u8()%4; j < m; j++ {
			l.Lines().AppendEmpty().SetFunctionIndex(r.idx())
		}
		if r.u8()%2 == 0 {
			l.AttributeIndices().Append(r.idx())
		}
	}
	for i, n := 0, r.u8()%8; i < n; i++ {
		s := d.StackTable().AppendEmpty()
		m := r.u8() % 12
		if m == 11 { // a huge stack, deeper than the classification cap
			m = 6000
		}
		for j := 0; j < m; j++ {
			s.LocationIndices().Append(r.idx())
		}
	}
	for i, n := 0, 1+r.u8()%3; i < n; i++ {
		rp := pd.ResourceProfiles().AppendEmpty()
		if r.u8()%2 == 0 {
			rp.Resource().Attributes().PutStr("service.name", fuzzVocabulary[r.u8()%len(fuzzVocabulary)])
		}
		sp := rp.ScopeProfiles().AppendEmpty()
		for j, m := 0, 1+r.u8()%3; j < m; j++ {
			p := sp.Profiles().AppendEmpty()
			p.SampleType().SetTypeStrindex(r.idx())
			p.SampleType().SetUnitStrindex(r.idx())
			p.PeriodType().SetTypeStrindex(r.idx())
			p.PeriodType().SetUnitStrindex(r.idx())
			p.SetPeriod(r.i64())
			p.SetTime(pcommon.Timestamp(uint64(r.i64())))
			p.SetDurationNano(uint64(r.i64()))
			if r.u8()%3 == 0 {
				p.AttributeIndices().Append(r.idx())
			}
			for k, q := 0, r.u8()%10; k < q; k++ {
				s := p.Samples().AppendEmpty()
				s.SetStackIndex(r.idx())
				for v, nv := 0, r.u8()%3; v < nv; v++ {
					s.Values().Append(r.i64())
				}
				for t, nt := 0, r.u8()%3; t < nt; t++ {
					s.TimestampsUnixNano().Append(uint64(r.i64()))
				}
			}
		}
	}
	return pd
}

// FuzzAccumulate feeds arbitrary dictionaries (indices out of range, empty
// tables, repeated and huge stacks, negative values) through the engine:
// it must never panic, and what it reports must stay consistent.
func FuzzAccumulate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{5, 1, 2, 3, 4, 5, 3, 1, 2, 3, 4, 5, 6, 2, 1, 2, 2, 1, 0, 2, 1, 1, 1, 1, 2, 3, 1, 1, 2, 1, 2, 3, 4, 5, 6})
	f.Add([]byte("\x10\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x08\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d"))
	if b, err := os.ReadFile(filepath.Join(fixturesDir, "jvm-regex-a-otlp", "profiles.pb")); err == nil && len(b) < 1<<16 {
		f.Add(b)
	}
	cat, err := catalog.Default()
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(cat, Options{DefaultService: "fuzz", MaxStackDepth: 512})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pd := buildFuzzProfiles(data)
		if decoded, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(data); err == nil {
			checkEngine(t, a, decoded)
		}
		checkEngine(t, a, pd)
	})
}

func checkEngine(t *testing.T, a *Analyzer, pd pprofile.Profiles) {
	w := NewWindow()
	_ = a.Accumulate(pd, w)
	for name, ss := range w.Services {
		if ss.CPUValue < 0 || math.IsNaN(ss.CPUValue) || math.IsInf(ss.CPUValue, 0) {
			t.Fatalf("%s: CPU %v", name, ss.CPUValue)
		}
		for id, rs := range ss.Rules {
			if rs.CPUValue > ss.CPUValue*(1+1e-9) || rs.CPUValue < 0 {
				t.Fatalf("%s/%s: rule CPU %v exceeds service CPU %v", name, id, rs.CPUValue, ss.CPUValue)
			}
		}
		for _, sig := range a.Evaluate(ss) {
			if sig.Level < 0 || sig.Level > 1 || math.IsNaN(sig.Level) {
				t.Fatalf("%s/%s: share %v", name, sig.Rule, sig.Level)
			}
			if iv := sig.Finding.CPURatioInterval; len(iv) != 2 || iv[0] > iv[1] {
				t.Fatalf("%s/%s: interval %v", name, sig.Rule, iv)
			}
		}
	}
}
