package symbolize

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realSymbol finds name's virtual address and the file's build ID with debug/elf, skipping
// when the binary is not on this machine.
func realSymbol(t *testing.T, path, name string, dynamic bool) (va uint64, id string, load elf.ProgHeader) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if dynamic || err != nil {
		syms, err = f.DynamicSymbols()
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if (s.Name == name || Demangle(s.Name) == name) && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			va = s.Value + s.Size/2
			break
		}
	}
	if va == 0 {
		t.Skipf("%s has no %s", path, name)
	}
	id = buildID(f)
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && va >= p.Vaddr && va < p.Vaddr+p.Memsz {
			load = p.ProgHeader
		}
	}
	return va, id, load
}

func TestRealBinaries(t *testing.T) {
	cases := []struct {
		path, symbol string
		dynamic      bool
	}{
		{"/usr/bin/node", "v8::internal::RegExpImpl::Compile", false},
		{"/lib/x86_64-linux-gnu/libc.so.6", "getaddrinfo", true},
		{"/lib/x86_64-linux-gnu/libssl.so.3", "SSL_do_handshake", true},
		// The consumer API an application thread polls with; the broker
		// thread's fetch functions are static and need a debug file.
		{"/usr/lib/x86_64-linux-gnu/librdkafka.so.1", "rd_kafka_consumer_poll", true},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			va, id, load := realSymbol(t, c.path, c.symbol, c.dynamic)
			// A process 4242 that maps the file, seen through a /proc of the test's making.
			procRoot := t.TempDir()
			os.MkdirAll(filepath.Join(procRoot, "4242"), 0o755)
			os.WriteFile(filepath.Join(procRoot, "4242", "maps"), []byte("7f0000000000-7f0000100000 r-xp 00000000 08:01 1234 /opt/other/"+filepath.Base(c.path)+".bak\n"+
				"7f0000100000-7f0000200000 r-xp 00000000 08:01 1235 "+c.path+"\n"), 0o644)
			os.Symlink("/", filepath.Join(procRoot, "4242", "root"))
			s := New(Config{NoHostPaths: true, ProcRoot: procRoot})
			frames := map[string]Frame{
				// The eBPF profiler: the file's base name, ELF virtual addresses, mapping
				// start = the virtual address of its file offset.
				"ebpf": {PIDs: []int64{1 << 30, 4242}, File: filepath.Base(c.path), BuildID: id, Start: load.Vaddr, Limit: load.Vaddr + load.Memsz, FileOffset: load.Off, Address: va},
				// pprof style: runtime addresses in a mapping loaded at 0x7f0000000000.
				"runtime": {PIDs: []int64{1 << 30, 4242}, File: c.path, BuildID: strings.ToUpper(id), Start: 0x7f0000000000, Limit: 0x7f0000000000 + load.Memsz, FileOffset: load.Off, Address: 0x7f0000000000 + va - load.Vaddr},
				"va only": {PIDs: []int64{1 << 30, 4242}, File: c.path, BuildID: id, Address: va},
			}
			for name, f := range frames {
				got, ok := s.Symbolize(f)
				if !ok || got != c.symbol {
					t.Errorf("%s: Symbolize = %q, %v; want %q", name, got, ok, c.symbol)
				}
			}
			if st := s.Stats(); st.Loaded != 1 {
				t.Errorf("loaded %d files, want 1 (cached per build ID)", st.Loaded)
			}
			wrong := frames["ebpf"]
			wrong.BuildID = strings.Repeat("ab", 20)
			if got, ok := New(Config{}).Symbolize(wrong); ok {
				t.Errorf("wrong build ID accepted: %q", got)
			}
		})
	}
}

// buildC compiles a small C program with a build ID; it skips without a C compiler.
func buildC(t *testing.T, dir string) (path, id string, va uint64) {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	src := filepath.Join(dir, "p.c")
	os.WriteFile(src, []byte("static int hidden(int x){ int s=0; for(int i=0;i<x;i++) s+=i*i; return s; }\nint main(int c, char **v){ return hidden(c); }\n"), 0o644)
	path = filepath.Join(dir, "prog")
	if out, err := exec.Command(cc, "-O0", "-Wl,--build-id", "-o", path, src).CombinedOutput(); err != nil {
		t.Skipf("cc: %v %s", err, out)
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, _ := f.Symbols()
	for _, s := range syms {
		if s.Name == "hidden" {
			va = s.Value + 4
		}
	}
	return path, buildID(f), va
}

func TestSearchPaths(t *testing.T) {
	dir := t.TempDir()
	prog, id, va := buildC(t, dir)
	if id == "" || va == 0 {
		t.Skip("compiler made no build ID or symbol")
	}
	data, _ := os.ReadFile(prog)
	debugDir, copyDir, flatDir, badDir := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(debugDir, ".build-id", id[:2]), 0o755)
	os.WriteFile(filepath.Join(debugDir, ".build-id", id[:2], id[2:]+".debug"), data, 0o644)
	os.MkdirAll(filepath.Join(copyDir, "opt/app"), 0o755)
	os.WriteFile(filepath.Join(copyDir, "opt/app/prog"), data, 0o644)
	os.WriteFile(filepath.Join(flatDir, "prog"), data, 0o644)
	os.WriteFile(filepath.Join(badDir, "prog"), []byte("\x7fELF\x02\x01\x01garbage"), 0o644)

	cases := []struct {
		name   string
		cfg    Config
		frame  Frame
		want   string
		failed int
	}{
		{"build-id debug file", Config{SearchPaths: []string{debugDir}, NoHostPaths: true}, Frame{File: "/opt/app/prog", BuildID: id, Address: va}, "hidden", 0},
		{"full path under a symbol dir", Config{SearchPaths: []string{copyDir}, NoHostPaths: true}, Frame{File: "/opt/app/prog", BuildID: id, Address: va}, "hidden", 0},
		{"base name in a flat dir", Config{SearchPaths: []string{flatDir}, NoHostPaths: true}, Frame{File: "/opt/app/prog", BuildID: id, Address: va}, "hidden", 0},
		{"host path", Config{}, Frame{File: prog, BuildID: id, Address: va}, "hidden", 0},
		{"host path refused", Config{NoHostPaths: true}, Frame{File: prog, BuildID: id, Address: va}, "", 0},
		{"bad ELF is an error", Config{SearchPaths: []string{badDir}, NoHostPaths: true}, Frame{File: "/x/prog", BuildID: id, Address: va}, "", 1},
		{"no build ID", Config{}, Frame{File: prog, Address: va}, "", 0},
		{"address outside mapping", Config{}, Frame{File: prog, BuildID: id, Start: 0x1000, Limit: 0x2000, Address: 0x5000}, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(c.cfg)
			got, ok := s.Symbolize(c.frame)
			if got != c.want || ok != (c.want != "") {
				t.Errorf("Symbolize = %q, %v; want %q", got, ok, c.want)
			}
			if st := s.Stats(); st.Failed != c.failed {
				t.Errorf("failed = %d, want %d", st.Failed, c.failed)
			}
		})
	}
}

func TestCacheBounds(t *testing.T) {
	libs := []struct{ path, sym string }{
		{"/lib/x86_64-linux-gnu/libc.so.6", "getaddrinfo"},
		{"/lib/x86_64-linux-gnu/libssl.so.3", "SSL_do_handshake"},
	}
	cases := []struct {
		name    string
		cfg     Config
		evicted int
	}{
		{"room for both", Config{}, 0},
		{"one file", Config{MaxFiles: 1}, 1},
		{"tiny byte budget", Config{MaxSymbolBytes: 1}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(c.cfg)
			for _, l := range libs {
				va, id, _ := realSymbol(t, l.path, l.sym, true)
				if got, ok := s.Symbolize(Frame{File: l.path, BuildID: id, Address: va}); !ok || got != l.sym {
					t.Errorf("%s: %q %v", l.path, got, ok)
				}
			}
			if st := s.Stats(); st.Evicted != c.evicted {
				t.Errorf("evicted %d, want %d (%+v)", st.Evicted, c.evicted, st)
			}
		})
	}
}

func TestDemangle(t *testing.T) {
	cases := []struct{ in, want string }{
		{"_ZN2v88internal10RegExpImpl7CompileEPNS0_7IsolateEPNS0_4ZoneEPNS0_17RegExpCompileDataENS_4base5FlagsINS0_10RegExpFlagEiEENS0_6HandleINS0_6StringEEESE_bRj", "v8::internal::RegExpImpl::Compile"},
		{"getaddrinfo", "getaddrinfo"},
		{"_Znot a mangled name", "_Znot a mangled name"},
	}
	for _, c := range cases {
		if got := Demangle(c.in); got != c.want {
			t.Errorf("Demangle(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzReadTable(f *testing.F) {
	if data, err := os.ReadFile("/lib/x86_64-linux-gnu/libssl.so.3"); err == nil && len(data) > 4096 {
		f.Add(data[:4096])
	}
	f.Add([]byte("\x7fELF\x02\x01\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := readTable(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, a := range []uint64{0, 1, 0x1000, ^uint64(0)} {
			tab.lookup(a)
			tab.toVirtual(a, 0x1000, 0x2000, 0)
		}
	})
}

func TestRetryMissing(t *testing.T) {
	dir := t.TempDir()
	prog, id, va := buildC(t, dir)
	data, _ := os.ReadFile(prog)
	symDir := t.TempDir()
	frame := Frame{File: "/srv/prog", BuildID: id, Address: va}
	cases := []struct {
		name  string
		retry time.Duration
		want  bool
	}{
		{"remembered as missing", time.Hour, false},
		{"looked for again", time.Nanosecond, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(filepath.Join(symDir, "prog"))
			s := New(Config{SearchPaths: []string{symDir}, NoHostPaths: true, RetryMissing: c.retry})
			if _, ok := s.Symbolize(frame); ok {
				t.Fatal("symbolized before the file exists")
			}
			os.WriteFile(filepath.Join(symDir, "prog"), data, 0o644)
			time.Sleep(time.Millisecond)
			if _, ok := s.Symbolize(frame); ok != c.want {
				t.Errorf("after the file appeared: ok = %v, want %v", ok, c.want)
			}
		})
	}
}
