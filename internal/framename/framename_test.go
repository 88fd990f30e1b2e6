package framename

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, file string
		hint           Dialect
		want           Frame
	}{
		{"go plain", "regexp.MustCompile", "/usr/local/go/src/regexp/regexp.go", Unknown,
			Frame{Name: "regexp.MustCompile", File: "/usr/local/go/src/regexp/regexp.go", Dialect: Go}},
		{"go generic shape mid-name", "net.doBlockingWithCtx[go.shape.[]net.IPAddr].func1", "", Unknown,
			Frame{Name: "net.doBlockingWithCtx.func1", Dialect: Go}},
		{"go generic method receiver", "github.com/jackc/puddle/v2.(*Pool[go.shape.*uint8]).createNewResource", "", Go,
			Frame{Name: "github.com/jackc/puddle/v2.(*Pool).createNewResource", Dialect: Go, Explicit: true}},
		{"go abi0 suffix", "runtime.sigtramp.abi0", "x.s", Go,
			Frame{Name: "runtime.sigtramp", File: "x.s", Dialect: Go, Explicit: true}},
		{"jvm slashes", "java/util/regex/Pattern.compile", "", Unknown,
			Frame{Name: "java.util.regex.Pattern.compile", Dialect: JVM}},
		{"jvm dotted with file", "java.util.regex.Pattern.compile", "Pattern.java", Unknown,
			Frame{Name: "java.util.regex.Pattern.compile", File: "Pattern.java", Dialect: JVM}},
		{"jvm ebpf return type and args", "java.util.regex.Pattern java.util.regex.Pattern.compile(java.lang.String)", "Pattern.java", JVM,
			Frame{Name: "java.util.regex.Pattern.compile", File: "Pattern.java", Dialect: JVM, Explicit: true}},
		{"jvm ebpf inferred", "void frauddetection.MainKt.main(java.lang.String[])", "", Unknown,
			Frame{Name: "frauddetection.MainKt.main", Dialect: JVM}},
		{"jvm async-profiler annotation", "java/lang/String.split_[j]", "", Unknown,
			Frame{Name: "java.lang.String.split", Dialect: JVM}},
		{"jvm constructor", "java/util/regex/Pattern.<init>", "", Unknown,
			Frame{Name: "java.util.regex.Pattern.<init>", Dialect: JVM}},
		{"jvm async-profiler signature style", "java/util/regex/Pattern.compile(Ljava/lang/String;I)Ljava/util/regex/Pattern;", "", Unknown,
			Frame{Name: "java.util.regex.Pattern.compile", Dialect: JVM}},
		{"jvm async-profiler signature, annotated", "com/example/Api.handle([BI)V_[j]", "", Unknown,
			Frame{Name: "com.example.Api.handle", Dialect: JVM}},
		{"jvm async-profiler signature, dotted, no semicolons", "java.util.regex.Pattern.compile(Ljava/lang/String|)Ljava/util/regex/Pattern|", "", Unknown,
			Frame{Name: "java.util.regex.Pattern.compile", Dialect: JVM}},
		{"jvm async-profiler signature, no arguments", "org/apache/kafka/clients/consumer/internals/ConsumerNetworkThread.run()V", "", Unknown,
			Frame{Name: "org.apache.kafka.clients.consumer.internals.ConsumerNetworkThread.run", Dialect: JVM}},
		{"go method value is not a jvm descriptor", "main.(*S).run", "", Unknown,
			Frame{Name: "main.(*S).run", Dialect: Go}},
		{"async-profiler kernel annotation", "do_syscall_64_[k]", "", Unknown,
			Frame{Name: "do_syscall_64", Dialect: Kernel}},
		{"jvm dotted without a file", "java.util.regex.Pattern.compile", "", Unknown,
			Frame{Name: "java.util.regex.Pattern.compile", Dialect: JVM}},
		{"jvm dotted nested class and constructor", "org.apache.kafka.clients.consumer.internals.AbstractCoordinator$HeartbeatThread.<init>", "", Unknown,
			Frame{Name: "org.apache.kafka.clients.consumer.internals.AbstractCoordinator$HeartbeatThread.<init>", Dialect: JVM}},
		{"jvm default-package static initialiser", "Rules.<clinit>", "", Unknown,
			Frame{Name: "Rules.<clinit>", Dialect: JVM}},
		{"jvm one-segment package nested class", "frauddetection.FraudRules$Velocity.check", "", Unknown,
			Frame{Name: "frauddetection.FraudRules$Velocity.check", Dialect: JVM}},
		{"go value method stays go", "net.IP.String", "", Unknown,
			Frame{Name: "net.IP.String", Dialect: Go}},
		{"go closure stays go", "runtime.gcBgMarkWorker.func2", "", Unknown,
			Frame{Name: "runtime.gcBgMarkWorker.func2", Dialect: Go}},
		{"go method on a main type stays go", "main.Handler.ServeHTTP", "", Unknown,
			Frame{Name: "main.Handler.ServeHTTP", Dialect: Go}},
		{"dotnet constructor without frame type", "System.Text.RegularExpressions.Regex..ctor", "", Unknown,
			Frame{Name: "System.Text.RegularExpressions.Regex..ctor", Dialect: DotNet}},
		{"dotnet PerfView module and arguments", "System.Private.CoreLib!System.Net.Security.SslStream.AuthenticateAsClient(class System.String)", "", Unknown,
			Frame{Name: "System.Net.Security.SslStream.AuthenticateAsClient", Dialect: DotNet}},
		{"dotnet async state machine", "System.Net.Security.SslStream+<ForceAuthenticationAsync>d__175`1.MoveNext", "", Unknown,
			Frame{Name: "System.Net.Security.SslStream+<ForceAuthenticationAsync>d__175`1.MoveNext", Dialect: DotNet}},
		{"dotnet explicit frame type with arguments", "Npgsql.NpgsqlConnector.Open(Npgsql.Util.NpgsqlTimeout, bool)", "", DotNet,
			Frame{Name: "Npgsql.NpgsqlConnector.Open", Dialect: DotNet, Explicit: true}},
		{"py-spy native frame with a shared library", "gc_collect_main (libpython3.11.so.1.0)", "", Unknown,
			Frame{Name: "gc_collect_main", File: "libpython3.11.so.1.0", Dialect: Native}},
		{"py-spy native frame with a C file and line", "SSL_do_handshake (ssl/ssl_lib.c:4651)", "", Unknown,
			Frame{Name: "SSL_do_handshake", File: "ssl/ssl_lib.c", Dialect: Native}},
		{"c++ call operator is not a file", "std::function<void ()>::operator()() const", "", Unknown,
			Frame{Name: "std::function<void ()>::operator()() const", Dialect: Native}},
		{"python name and file in name", "compile (re/_compiler.py)", "re/_compiler.py", Unknown,
			Frame{Name: "compile", File: "re/_compiler.py", Dialect: Python}},
		{"python py-spy with line number", "compile (/usr/lib/python3.11/re/_compiler.py:759)", "", Unknown,
			Frame{Name: "compile", File: "/usr/lib/python3.11/re/_compiler.py", Dialect: Python}},
		{"python frozen import machinery", "_call_with_frames_removed (<frozen importlib._bootstrap>:241)", "", Unknown,
			Frame{Name: "_call_with_frames_removed", File: "<frozen importlib._bootstrap>", Dialect: Python}},
		{"python absolute file field", "compile", "/usr/lib/python3.12/re/_compiler.py", Python,
			Frame{Name: "compile", File: "/usr/lib/python3.12/re/_compiler.py", Dialect: Python, Explicit: true}},
		{"python relative dot path", "do_handshake", "./lib/ssl.py", Unknown,
			Frame{Name: "do_handshake", File: "lib/ssl.py", Dialect: Python}},
		{"python module:function", "kafka.consumer.group:poll", "", Unknown,
			Frame{Name: "poll", File: "kafka/consumer/group.py", Dialect: Python}},
		{"python old pyroscope text", "app/views.py:42 - handle", "", Unknown,
			Frame{Name: "handle", File: "app/views.py", Dialect: Python}},
		{"python qualname from ebpf", "SSLSocket.do_handshake", "/usr/lib/python3.11/ssl.py", Python,
			Frame{Name: "SSLSocket.do_handshake", File: "/usr/lib/python3.11/ssl.py", Dialect: Python, Explicit: true}},
		{"c isra clone", "tcp_sendmsg_locked.isra.0", "", Kernel,
			Frame{Name: "tcp_sendmsg_locked", Dialect: Kernel, Explicit: true}},
		{"c constprop and cold", "rd_kafka_fetch_reply_handle.constprop.0.cold", "", Unknown,
			Frame{Name: "rd_kafka_fetch_reply_handle", Dialect: Native}},
		{"c part clone", "ssl3_read_bytes.part.0", "", Native,
			Frame{Name: "ssl3_read_bytes", Dialect: Native, Explicit: true}},
		{"c++ clone annotation and args", "bssl::ssl_run_handshake(bssl::SSL_HANDSHAKE*, bool*) [clone .constprop.0]", "", Unknown,
			Frame{Name: "bssl::ssl_run_handshake", Dialect: Native}},
		{"c symbol stays native", "SSL_do_handshake", "", Unknown,
			Frame{Name: "SSL_do_handshake", Dialect: Native}},
		{"native library prefix (eBPF without symbols for the DSO path)", "libjvm.so.G1ParScanThreadState::trim_queue_to_threshold", "", Unknown,
			Frame{Name: "G1ParScanThreadState::trim_queue_to_threshold", Dialect: Native}},
		{"native library prefix with a version", "libc.so.6.__memcpy_avx_unaligned_erms", "", Native,
			Frame{Name: "__memcpy_avx_unaligned_erms", Dialect: Native, Explicit: true}},
		{"native library prefix with a dotted version", "libpython3.11.so.1.0._PyEval_EvalFrameDefault", "", Unknown,
			Frame{Name: "_PyEval_EvalFrameDefault", Dialect: Native}},
		{"a bare library name is kept", "libc.so.6", "", Native,
			Frame{Name: "libc.so.6", Dialect: Native, Explicit: true}},
		{"glibc symbol version @@", "pthread_cond_timedwait@@GLIBC_2.3.2", "", Unknown,
			Frame{Name: "pthread_cond_timedwait", Dialect: Native}},
		{"glibc symbol version @", "memcpy@GLIBC_2.2.5", "", Native,
			Frame{Name: "memcpy", Dialect: Native, Explicit: true}},
		{"pyroscope-dotnet Assembly!Ns.Type.Method", "System.Text.RegularExpressions!System.Text.RegularExpressions.Regex..ctor", "", Unknown,
			Frame{Name: "System.Text.RegularExpressions.Regex..ctor", Dialect: DotNet}},
		{"pyroscope-dotnet two-segment app method", "MyApp!Program.Main", "", Unknown,
			Frame{Name: "Program.Main", Dialect: DotNet}},
		{"native runtime frame behind a module", "libcoreclr.so!WKS::gc_heap::mark_phase", "", Unknown,
			Frame{Name: "WKS::gc_heap::mark_phase", Dialect: Native}},
		{"node frame with a builtin module", "lookup (node:dns)", "", Unknown,
			Frame{Name: "lookup", File: "node:dns", Dialect: Node}},
		{"node frame with a script, line and column", "handler (/srv/app/server.js:12:5)", "", Unknown,
			Frame{Name: "handler", File: "/srv/app/server.js", Dialect: Node}},
		{"unbalanced brackets kept", "pkg.f[go.shape", "", Go,
			Frame{Name: "pkg.f[go.shape", Dialect: Go, Explicit: true}},
		{"unknown frame type is other", "main", "", Other,
			Frame{Name: "main", Dialect: Other, Explicit: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in, tt.file, tt.hint); got != tt.want {
				t.Errorf("Normalize(%q, %q, %v) = %+v, want %+v", tt.in, tt.file, tt.hint, got, tt.want)
			}
		})
	}
}

func TestFromFrameType(t *testing.T) {
	for in, want := range map[string]Dialect{
		"go": Go, "jvm": JVM, "cpython": Python, "v8js": Node, "dotnet": DotNet,
		"native": Native, "kernel": Kernel, "ruby": Other, "": Unknown,
	} {
		if got := FromFrameType(in); got != want {
			t.Errorf("FromFrameType(%q) = %v, want %v", in, got, want)
		}
	}
}
