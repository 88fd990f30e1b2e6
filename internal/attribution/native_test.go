package attribution

import (
	"debug/elf"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"

	"github.com/perfadvisor/perfadvisor/internal/symbolize"
)

// realNative finds a function's virtual address (mid-function, as a sampled PC is) and
// the file's build ID with debug/elf; the test is skipped where the file is missing.
func realNative(t *testing.T, path, name string) (uint64, string, elf.ProgHeader) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	defer f.Close()
	var id string
	if s := f.Section(".note.gnu.build-id"); s != nil {
		if d, err := s.Data(); err == nil && len(d) > 16 {
			id = hex.EncodeToString(d[16:])
		}
	}
	for _, read := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		syms, _ := read()
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Size > 1 &&
				(s.Name == name || symbolize.Demangle(s.Name) == name) {
				va := s.Value + s.Size/2
				for _, p := range f.Progs {
					if p.Type == elf.PT_LOAD && va >= p.Vaddr && va < p.Vaddr+p.Memsz {
						return va, id, p.ProgHeader
					}
				}
			}
		}
	}
	t.Skipf("%s has no %s", path, name)
	return 0, "", elf.ProgHeader{}
}

// nativeFrame is a frame spec the builder turns into a location without lines:
// what the OTel eBPF profiler sends for native code (base file name, build ID,
// ELF virtual address; the mapping starts at the virtual address of offset 0).
func nativeFrame(t *testing.T, path, name string) (spec string, fix func(b *tbuilder)) {
	va, id, load := realNative(t, path, name)
	spec = "[native]" + path + "#" + name
	return spec, func(b *tbuilder) {
		b.unsymbolize(spec, path[strings.LastIndexByte(path, '/')+1:], id, va, load)
	}
}

// unsymbolize strips a built location's lines and gives it a mapping and address.
func (b *tbuilder) unsymbolize(spec, file, buildID string, addr uint64, load elf.ProgHeader) {
	d := b.pd.Dictionary()
	mt := d.MappingTable()
	m := mt.AppendEmpty()
	m.SetFilenameStrindex(b.str(file))
	m.SetMemoryStart(load.Vaddr)
	m.SetMemoryLimit(load.Vaddr + load.Memsz)
	m.SetFileOffset(load.Off)
	m.AttributeIndices().Append(b.attr(buildIDAttr, buildID))
	l := d.LocationTable().At(int(b.locs[spec]))
	l.Lines().RemoveIf(func(pprofile.Line) bool { return true })
	l.SetMappingIndex(int32(mt.Len() - 1))
	l.SetAddress(addr)
}

// mapsOf is a /proc of the test's making: one process (pid 4242) that maps the files,
// its root the host's.
func mapsOf(t *testing.T, paths ...string) string {
	t.Helper()
	root := t.TempDir()
	var maps strings.Builder
	for _, p := range paths {
		maps.WriteString("7f0000000000-7f0000100000 r-xp 00000000 08:01 1 " + p + "\n")
	}
	require.NoError(t, os.MkdirAll(root+"/4242", 0o755))
	require.NoError(t, os.WriteFile(root+"/4242/maps", []byte(maps.String()), 0o644))
	require.NoError(t, os.Symlink("/", root+"/4242/root"))
	return root
}

func TestNativeSymbolization(t *testing.T) {
	node, libc, libssl := "/usr/bin/node", "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libssl.so.3"
	libjvm := "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so"
	regexp, fixRegexp := nativeFrame(t, node, "v8::internal::RegExpImpl::Compile")
	exec, fixExec := nativeFrame(t, node, "v8::internal::RegExpImpl::IrregexpExec")
	gai, fixGai := nativeFrame(t, libc, "getaddrinfo")
	hs, fixHs := nativeFrame(t, libssl, "SSL_do_handshake")
	gc, fixGC := nativeFrame(t, libjvm, "G1ParScanThreadState::trim_queue_to_threshold")
	fixes := map[string]func(*tbuilder){regexp: fixRegexp, exec: fixExec, gai: fixGai, hs: fixHs, gc: fixGC}
	js := []string{"[native]_start", "[native]node::Start", "[v8js]handle|/app/server.js"}
	py := []string{"[native]_start", "[cpython]<module>|/app/app.py", "[cpython]fetch|/app/app.py"}
	// One symbolizer for the table, as an advisor keeps one: node is read once.
	sym := symbolize.New(symbolize.Config{ProcRoot: mapsOf(t, node, libc, libssl, libjvm), NoHostPaths: true})

	tests := []struct {
		name  string
		sym   bool
		stack []string
		rule  string // "" when no rule may be charged
		note  bool   // the coverage says native frames are unsymbolized
	}{
		{"V8 regexp compilation under JavaScript frames", true, append(js, regexp), "regex_compile_hot_path", false},
		{"V8 regexp execution is not compilation", true, append(js, exec), "", false},
		{"glibc getaddrinfo on libuv's thread pool", true, []string{"[native]start_thread", gai}, "dns_resolution_overhead", false},
		{"OpenSSL handshake under Python frames", true, append(py, hs), "tls_handshake_overhead", false},
		{"HotSpot G1 worker thread", true, []string{"[native]start_thread", "[native]thread_native_entry", gc}, "alloc_gc_pressure", false},
		{"without a symbolizer nothing matches, and coverage says why", false, append(js, regexp), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{}
			if tc.sym {
				opts.Symbolizer = sym
			}
			a := newTestAnalyzer(t, opts)
			b := newBuilder().add(ebpf("svc", ev(40, tc.stack...), ev(60, "[native]_start", "[native]main")))
			for spec, fix := range fixes {
				if _, ok := b.locs[spec]; ok {
					fix(b)
				}
			}
			b.pd.ResourceProfiles().At(0).Resource().Attributes().PutInt(pidAttr, 4242)
			before := marshal(t, b.pd)
			w := NewWindow()
			require.NoError(t, a.Accumulate(b.pd, w))
			assert.Equal(t, before, marshal(t, b.pd), "the profile is not modified")
			ss := w.Services["svc"]
			require.NotNil(t, ss, "services: %v", w.Services)
			for id, rs := range ss.Rules {
				if id == tc.rule {
					assert.InDelta(t, 0.4, rs.CPUValue/ss.CPUValue, 1e-9)
				} else {
					t.Errorf("rule %s charged %.2f", id, rs.CPUValue/ss.CPUValue)
				}
			}
			if tc.rule != "" {
				assert.Contains(t, ss.Rules, tc.rule)
			}
			cov := a.Coverage(ss)
			assert.Equal(t, tc.note, strings.HasPrefix(cov.Note, "native frames unsymbolized"), "note %q", cov.Note)
		})
	}
}

// countingSymbolizer counts calls: a location is named once per message, not per sample.
type countingSymbolizer struct{ calls int }

func (c *countingSymbolizer) Symbolize(f symbolize.Frame) (string, bool) {
	c.calls++
	return "getaddrinfo", true
}

func TestNativeSymbolizedOncePerLocation(t *testing.T) {
	tests := []struct {
		name      string
		samples   int
		wantCalls int
	}{
		{"one sample", 1, 1},
		{"many samples of one stack", 500, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sym := &countingSymbolizer{}
			a := newTestAnalyzer(t, Options{Symbolizer: sym})
			var samples []tsample
			for i := 0; i < tc.samples; i++ {
				samples = append(samples, ev(1, "[native]_start", "[native]libc.so.6+0x1234"))
			}
			b := newBuilder().add(ebpf("svc", samples...))
			b.unsymbolize("[native]libc.so.6+0x1234", "libc.so.6", "abcd", 0x1234, elf.ProgHeader{Memsz: 1 << 20})
			w := NewWindow()
			require.NoError(t, a.Accumulate(b.pd, w))
			assert.Equal(t, tc.wantCalls, sym.calls)
			assert.InDelta(t, 1.0, w.Services["svc"].Rules["dns_resolution_overhead"].CPUValue/w.Services["svc"].CPUValue, 1e-9)
		})
	}
}

// marshal encodes a copy: the encoder may intern attributes into its input.
func marshal(t *testing.T, pd pprofile.Profiles) []byte {
	t.Helper()
	cp := pprofile.NewProfiles()
	pd.CopyTo(cp)
	b, err := pprofileotlp.NewExportRequestFromProfiles(cp).MarshalProto()
	require.NoError(t, err)
	return b
}
