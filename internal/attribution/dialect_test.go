package attribution

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stacks that mix runtimes (eBPF profiler, --native samplers): every frame
// is matched against its own dialect's signatures, whatever the root frames.
func TestPerFrameDialects(t *testing.T) {
	nodeRoot := []string{"[native]_start", "[native]node::Start", "[native]node::SpinEventLoop", "[v8js]processTicksAndRejections|node:internal/process/task_queues"}
	tests := []struct {
		name    string
		stack   []string
		rule    string
		runtime string // the advice's runtime (the matched frame's)
	}{
		{"node dns lookup under native roots (frame type)", append(nodeRoot, "[v8js]lookup|node:dns", "[native]uv_getaddrinfo"), "dns_resolution_overhead", "node"},
		{"node dns lookup spelled with its module", []string{"_start", "node::Start", "lookup (node:dns)", "getaddrinfo"}, "dns_resolution_overhead", "node"},
		{"node dns onlookup callback", append(nodeRoot, "[v8js]onlookup|node:dns"), "dns_resolution_overhead", "node"},
		{"jvm native GC with a library prefix", []string{"[native]_start", "[native]libjvm.so.thread_native_entry", "[native]libjvm.so.G1EvacuateRegionsBaseTask::work",
			"[native]libjvm.so.G1ParScanThreadState::trim_queue_to_threshold"}, "alloc_gc_pressure", "native"},
		{"dotnet regex in pyroscope-dotnet spelling", []string{"MyApp!Program.Main", "MyApp!Api.Handle",
			"System.Text.RegularExpressions!System.Text.RegularExpressions.Regex..ctor", "System.Text.RegularExpressions!System.Text.RegularExpressions.RegexParser.Parse"}, "regex_compile_hot_path", "dotnet"},
		{"dotnet GC behind a module", []string{"MyApp!Program.Main", "libcoreclr.so!WKS::gc_heap::garbage_collect", "libcoreclr.so!WKS::gc_heap::mark_phase"}, "alloc_gc_pressure", "native"},
		{"python regex with C and kernel frames below", []string{"[native]_start", "[cpython]<module>|app.py", "[cpython]compile|/usr/lib/python3.12/re/_compiler.py",
			"[native]libc.so.6.malloc", "[kernel]asm_exc_page_fault"}, "regex_compile_hot_path", "python"},
	}
	a := newTestAnalyzer(t, Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			other := []string{"[native]_start", "[native]main"}
			if tc.stack[0][0] != '[' {
				other = []string{"main"}
			}
			b := newBuilder().add(cpuNanos("svc", s(40, tc.stack...), s(60, other...)))
			w := NewWindow()
			require.NoError(t, a.Accumulate(b.pd, w))
			ss := w.Services["svc"]
			require.NotNil(t, ss)
			rs := ss.Rules[tc.rule]
			require.NotNil(t, rs, "rule %s not charged; rules: %v", tc.rule, ss.Rules)
			assert.InDelta(t, 0.4, rs.CPUValue/ss.CPUValue, 1e-9)
			for _, sig := range a.Evaluate(ss) {
				if sig.Rule == tc.rule {
					_, rt := a.stackEvidence(ss, tc.rule)
					assert.Equal(t, tc.runtime, rt)
				}
			}
		})
	}
}
