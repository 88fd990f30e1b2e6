package svcname

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

func TestResolveProcess(t *testing.T) {
	tests := []struct {
		name     string
		attrs    map[string]any
		mainFile string
		want     string
		wantOK   bool
	}{
		{"attributes still win", map[string]any{"process.pid": int64(1), "k8s.deployment.name": "cart"}, "/usr/bin/cart-bin", "cart", true},
		{"executable name", map[string]any{"process.pid": int64(1), "process.executable.name": "envoy"}, "/usr/local/bin/other", "envoy", true},
		{"executable path base name", map[string]any{"process.pid": int64(1), "process.executable.path": "/srv/fraud/fraud-detection"}, "", "fraud-detection", true},
		{"main mapping base name", map[string]any{"process.pid": int64(1), "host.name": "node-1"}, "/app/bin/checkout", "checkout", true},
		{"no mapping: the pid and host", map[string]any{"process.pid": int64(4242), "host.name": "node-1"}, "", "process.pid=4242@node-1", true},
		{"no mapping, no host: the pid", map[string]any{"process.pid": int64(4242)}, "", "process.pid=4242", true},
		{"kernel mapping is no name", map[string]any{"process.pid": int64(9)}, "[vdso]", "process.pid=9", true},
		{"no pid: left to the caller's default", map[string]any{"host.name": "node-1"}, "/app/bin/checkout", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			if err := m.FromRaw(tt.attrs); err != nil {
				t.Fatal(err)
			}
			got, ok := ResolveProcess(m, nil, tt.mainFile)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("ResolveProcess = (%q, %v), want (%q, %v)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// ebpfHost builds one message as the eBPF profiler sends a host without
// Kubernetes metadata: one resource per process, each with only
// process.pid, and stacks leaf first through shared libraries into the
// process's executable.
func ebpfHost(t *testing.T, procs []struct {
	pid   int64
	files []string // mapping files of one stack, leaf first
}) pprofile.Profiles {
	t.Helper()
	pd := pprofile.NewProfiles()
	dict := pd.Dictionary()
	dict.StringTable().Append("")
	dict.MappingTable().AppendEmpty()
	dict.LocationTable().AppendEmpty()
	dict.StackTable().AppendEmpty()
	mappings := map[string]int32{}
	for _, p := range procs {
		rp := pd.ResourceProfiles().AppendEmpty()
		rp.Resource().Attributes().PutInt("process.pid", p.pid)
		rp.Resource().Attributes().PutStr("host.name", "node-1")
		prof := rp.ScopeProfiles().AppendEmpty().Profiles().AppendEmpty()
		st := dict.StackTable().AppendEmpty()
		for _, f := range p.files {
			mi, ok := mappings[f]
			if !ok {
				dict.StringTable().Append(f)
				m := dict.MappingTable().AppendEmpty()
				m.SetFilenameStrindex(int32(dict.StringTable().Len() - 1))
				mi = int32(dict.MappingTable().Len() - 1)
				mappings[f] = mi
			}
			l := dict.LocationTable().AppendEmpty()
			l.SetMappingIndex(mi)
			st.LocationIndices().Append(int32(dict.LocationTable().Len() - 1))
		}
		s := prof.Samples().AppendEmpty()
		s.SetStackIndex(int32(dict.StackTable().Len() - 1))
		s.TimestampsUnixNano().Append(1)
	}
	return pd
}

func TestResolveResourceSplitsAHost(t *testing.T) {
	pd := ebpfHost(t, []struct {
		pid   int64
		files []string
	}{
		{101, []string{"[kernel.kallsyms]", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/local/bin/checkout"}},
		{102, []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/sbin/nginx (deleted)"}},
		{103, []string{"[vdso]", "/usr/lib/libssl.so.3"}}, // no executable frame: its pid
		{104, []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/local/bin/checkout"}},
	})
	want := []string{"checkout", "nginx", "process.pid=103@node-1", "checkout"}
	for i, rp := range pd.ResourceProfiles().All() {
		got, ok := ResolveResource(pd.Dictionary(), rp, nil)
		if !ok || got != want[i] {
			t.Errorf("resource %d: ResolveResource = (%q, %v), want %q", i, got, ok, want[i])
		}
	}
}

func TestMainMappingFile(t *testing.T) {
	pd := ebpfHost(t, []struct {
		pid   int64
		files []string
	}{
		// The executable's mapping comes first in the dictionary, but the
		// stack reaches it last: table order decides, not stack order.
		{1, []string{"/app/server", "/lib/libc.so.6"}},
		{2, []string{"/lib/libc.so.6", "/usr/bin/python3.12", "/app/server"}},
	})
	dict := pd.Dictionary()
	if got := MainMappingFile(dict, pd.ResourceProfiles().At(0)); got != "/app/server" {
		t.Errorf("process 1: %q", got)
	}
	if got := MainMappingFile(dict, pd.ResourceProfiles().At(1)); got != "/app/server" {
		t.Errorf("process 2: %q, want the first executable mapping of the table", got)
	}
	// Out-of-range indices are skipped, not a panic.
	dict.LocationTable().At(1).SetMappingIndex(99)
	dict.StackTable().At(1).LocationIndices().Append(1 << 20)
	_ = MainMappingFile(dict, pd.ResourceProfiles().At(0))
}
