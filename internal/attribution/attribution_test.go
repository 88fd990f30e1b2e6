package attribution

import (
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/internal/stats"
)

const (
	rRegex    = "regex_compile_hot_path"
	rTLS      = "tls_handshake_overhead"
	rKafka    = "kafka_poll_inefficiency"
	rAlloc    = "alloc_gc_pressure"
	rDB       = "db_connection_churn"
	rDNS      = "dns_resolution_overhead"
	rProfiler = "profiler_overhead"
)

func newTestAnalyzer(t testing.TB, opts Options) *Analyzer {
	t.Helper()
	cat, err := catalog.Default()
	require.NoError(t, err)
	a, err := New(cat, opts)
	require.NoError(t, err)
	return a
}

// shares runs profiles through one window and returns each service's rule shares.
func shares(t *testing.T, a *Analyzer, b *tbuilder) map[string]map[string]float64 {
	t.Helper()
	w := NewWindow()
	require.NoError(t, a.Accumulate(b.pd, w))
	out := map[string]map[string]float64{}
	for name, ss := range w.Services {
		out[name] = map[string]float64{}
		for _, sig := range a.Evaluate(ss) {
			if sig.Level > 0 {
				out[name][sig.Rule] = sig.Level
			}
		}
	}
	return out
}

func TestAttributionByRuleAndDialect(t *testing.T) {
	handler := "net/http.HandlerFunc.ServeHTTP"
	tests := []struct {
		name string
		prof tprof
		want map[string]float64 // rule → share; rules not listed must be 0
	}{
		{
			name: "go regexp compiled per request",
			prof: cpuNanos("svc",
				s(30, handler, "main.validate", "regexp.MatchString", "regexp.Compile", "regexp.compile", "regexp/syntax.Parse"),
				s(70, handler, "main.work")),
			want: map[string]float64{rRegex: 0.30},
		},
		{
			name: "go regexp compiled at init is excluded",
			prof: cpuNanos("svc",
				s(50, "runtime.main", "runtime.doInit1", "example.com/x.init", "regexp.MustCompile", "regexp.compile"),
				s(50, handler, "main.work")),
			want: map[string]float64{},
		},
		{
			name: "go regexp compiled once under sync.Once is excluded",
			prof: cpuNanos("svc",
				s(20, handler, "sync.(*Once).Do", "sync.(*Once).doSlow", "main.load", "regexp.MustCompile"),
				s(80, handler, "main.work")),
			want: map[string]float64{},
		},
		{
			name: "go regexp matching with a precompiled pattern is not compile",
			prof: cpuNanos("svc",
				s(60, handler, "regexp.(*Regexp).MatchString", "regexp.(*Regexp).doExecute"),
				s(40, handler, "main.work")),
			want: map[string]float64{},
		},
		{
			name: "go tls full and resumed handshakes count, record encryption does not",
			prof: cpuNanos("svc",
				s(40, "net/http.(*conn).serve", "crypto/tls.(*Conn).HandshakeContext", "crypto/tls.(*Conn).handshakeContext",
					"crypto/tls.(*Conn).serverHandshake", "crypto/tls.(*serverHandshakeStateTLS13).handshake",
					"crypto/tls.(*serverHandshakeStateTLS13).sendServerCertificate", "crypto/ecdsa.SignASN1"),
				s(20, "net/http.(*conn).serve", "crypto/tls.(*Conn).HandshakeContext", "crypto/tls.(*Conn).handshakeContext",
					"crypto/tls.(*Conn).serverHandshake", "crypto/tls.(*serverHandshakeStateTLS13).handshake",
					"crypto/tls.(*serverHandshakeStateTLS13).checkForResumption", "crypto/tls.(*Config).decryptTicket"),
				s(40, "main.sender", "crypto/tls.(*Conn).Write", "crypto/tls.(*halfConn).encrypt",
					"crypto/internal/fips140/aes/gcm.gcmAesEnc")),
			want: map[string]float64{rTLS: 0.60},
		},
		{
			name: "go bulk tls transfer has no handshake",
			prof: cpuNanos("svc",
				s(90, "main.sender", "crypto/tls.(*Conn).Write", "crypto/tls.(*halfConn).encrypt"),
				s(10, "main.reader", "crypto/tls.(*Conn).Read", "crypto/tls.(*halfConn).decrypt")),
			want: map[string]float64{},
		},
		{
			name: "go franz-go: client frames count, the record handler below EachRecord does not",
			prof: cpuNanos("svc",
				s(20, "github.com/twmb/franz-go/pkg/kgo.(*source).loopFetch", "github.com/twmb/franz-go/pkg/kgo.(*source).fetch", "runtime.mallocgc"),
				s(10, "main.consume", "github.com/twmb/franz-go/pkg/kgo.(*Client).PollFetches", "github.com/twmb/franz-go/pkg/kgo.(*Client).PollRecords", "runtime.selectgo"),
				s(10, "github.com/twmb/franz-go/pkg/kgo.(*brokerCxn).handleResps", "github.com/twmb/franz-go/pkg/kgo.(*brokerCxn).readConn", "bufio.(*Reader).Read", "internal/poll.(*FD).Read"),
				s(10, "github.com/twmb/franz-go/pkg/kgo.(*source).fetch", "github.com/twmb/franz-go/pkg/kgo.decompress", "github.com/klauspost/compress/s2.Decode"),
				s(40, "main.consume", "github.com/twmb/franz-go/pkg/kgo.Fetches.EachRecord", "github.com/twmb/franz-go/pkg/kgo.Fetches.EachRecord.func1",
					"main.(*projector).apply", "encoding/json.Unmarshal"),
				s(10, "main.other")),
			// alloc counts the mallocgc under the fetch loop too: rules are independent.
			want: map[string]float64{rKafka: 0.50, rAlloc: 0.20},
		},
		{
			name: "go franz-go: a handler in a non-main module or a go.* module is the application",
			prof: cpuNanos("svc",
				s(10, "github.com/twmb/franz-go/pkg/kgo.(*source).fetch", "encoding/binary.BigEndian.Uint32"),
				s(30, "main.run", "github.com/twmb/franz-go/pkg/kgo.Fetches.EachPartition", "github.com/acme/inventory/projector.(*P).Apply", "go.uber.org/zap.(*Logger).Info"),
				s(30, "main.run", "github.com/twmb/franz-go/pkg/kgo.Fetches.EachRecord", "go.opentelemetry.io/otel/sdk/trace.(*tracer).Start"),
				s(30, "main.other")),
			want: map[string]float64{rKafka: 0.10},
		},
		{
			name: "go sarama: consumer counts, producer and ConsumeClaim handler do not",
			prof: cpuNanos("svc",
				s(20, "github.com/IBM/sarama.withRecover", "github.com/IBM/sarama.(*brokerConsumer).subscriptionConsumer", "github.com/IBM/sarama.(*Broker).Fetch"),
				s(30, "github.com/IBM/sarama.withRecover", "github.com/IBM/sarama.(*asyncProducer).dispatcher", "github.com/IBM/sarama.(*Broker).Produce"),
				s(30, "github.com/IBM/sarama.(*consumerGroupSession).consume", "main.(*handler).ConsumeClaim", "main.process"),
				s(20, "main.other")),
			want: map[string]float64{rKafka: 0.20},
		},
		{
			name: "go healthy long-polling consumer spends little in the client",
			prof: cpuNanos("svc",
				s(1, "github.com/twmb/franz-go/pkg/kgo.(*source).loopFetch", "github.com/twmb/franz-go/pkg/kgo.(*source).fetch"),
				s(199, "main.consume", "github.com/twmb/franz-go/pkg/kgo.Fetches.EachRecord", "main.apply", "main.compute")),
			want: map[string]float64{rKafka: 0.005},
		},
		{
			// the package-less assembly body is not counted (fixture truth:
			// ^runtime\.(...|wbBufFlush1?|gcWriteBarrier\w*)$); runtime.gcWriteBarrierN is
			name: "go allocation and gc, write barriers as the fixtures count them",
			prof: cpuNanos("svc",
				s(10, handler, "main.render", "runtime.newobject", "runtime.mallocgc", "runtime.mallocgcSmallScanNoHeader"),
				s(10, "runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.scanObject"),
				s(3, handler, "main.render", "runtime.gcWriteBarrier2"),
				s(5, handler, "main.render", "gcWriteBarrier"),
				s(72, handler, "main.render")),
			want: map[string]float64{rAlloc: 0.23},
		},
		{
			name: "go db connection per request with SCRAM, pooled queries do not count",
			prof: cpuNanos("svc",
				s(30, handler, "database/sql.Open"),
				s(20, handler, "database/sql.(*DB).PingContext", "database/sql.(*DB).conn", "database/sql.dsnConnector.Connect",
					"github.com/lib/pq.Driver.Open", "github.com/lib/pq.(*conn).auth", "crypto/internal/fips140/pbkdf2.Key[go.shape.func() hash.Hash]"),
				s(50, handler, "database/sql.(*DB).QueryContext", "github.com/lib/pq.(*conn).query")),
			want: map[string]float64{rDB: 0.50},
		},
		{
			name: "go dns lookups, the IP-literal fast path does not count",
			prof: cpuNanos("svc",
				s(30, "net.(*Resolver).goLookupIPCNAMEOrder.func3.1", "net.(*Resolver).tryOneName", "net.(*Resolver).exchange"),
				s(10, "net.doBlockingWithCtx[go.shape.[]net.IPAddr].func1", "net.cgoLookupIP.func1", "net.cgoLookupHostIP"),
				s(10, handler, "net.(*Resolver).lookupIPAddr", "net.ParseIP"),
				s(50, handler, "main.work")),
			want: map[string]float64{rDNS: 0.40},
		},
		{
			name: "go profiler: runtime/pprof writer, net/http/pprof and block events",
			prof: cpuNanos("svc",
				s(2, "runtime/pprof.profileWriter", "runtime/pprof.(*profileBuilder).addCPUData"),
				s(2, handler, "net/http/pprof.Index", "runtime/pprof.(*Profile).WriteTo"),
				s(1, "main.worker", "runtime.chanrecv2", "runtime.chanrecv", "runtime.blockevent", "runtime.saveblockevent"),
				s(95, handler, "main.work")),
			want: map[string]float64{rProfiler: 0.05},
		},
		{
			name: "busy but clean service has no findings",
			prof: cpuNanos("svc",
				s(60, handler, "main.score", "math.Exp"),
				s(40, handler, "encoding/json.Marshal")),
			want: map[string]float64{},
		},
		{
			name: "jvm regex in three spellings, static initialiser excluded",
			prof: cpuNanos("svc",
				s(10, "com/example/Svc.handle", "java/lang/String.replaceAll", "java/util/regex/Pattern.compile", "java/util/regex/Pattern.<init>"),
				s(10, "com.example.Svc.handle|Svc.java", "java.lang.String.matches|String.java", "java.util.regex.Pattern.compile|Pattern.java"),
				s(10, "[jvm]void com.example.Svc.handle(java.lang.String)", "[jvm]java.util.regex.Pattern java.util.regex.Pattern.compile(java.lang.String)"),
				s(20, "com/example/Rules.<clinit>", "java/util/regex/Pattern.compile"),
				s(50, "com/example/Svc.handle", "java/lang/String.split")),
			want: map[string]float64{rRegex: 0.30},
		},
		{
			name: "python compile in every file spelling, cache hit and import time excluded",
			prof: cpuNanos("svc",
				s(10, "handle (app/views.py)", "sub (re/__init__.py)", "_compile (re/__init__.py)", "compile (re/_compiler.py)"),
				s(10, "handle|/srv/app/views.py", "_compile|/usr/lib/python3.12/re/__init__.py", "compile|/usr/lib/python3.12/re/_compiler.py"),
				s(10, "app.views:handle", "re._compiler:compile"),
				s(10, "handle|app/views.py", "compile|./lib/python3.9/sre_compile.py"),
				s(20, "handle (app/views.py)", "sub (re/__init__.py)", "_compile (re/__init__.py)"),
				s(20, "<module> (app/main.py)", "_call_with_frames_removed|<frozen importlib._bootstrap>", "<module> (app/rules.py)", "compile (re/_compiler.py)"),
				s(20, "<module> (app/main.py)", "serve (app/main.py)")),
			want: map[string]float64{rRegex: 0.40},
		},
		{
			name: "native openssl: SSL_do_handshake counts, SSL_read/SSL_write records do not",
			prof: cpuNanos("svc",
				s(30, "ngx_ssl_handshake", "SSL_do_handshake", "ossl_statem_accept", "state_machine.isra.0", "tls_construct_server_certificate"),
				s(10, "ngx_ssl_handshake", "SSL_do_handshake", "ossl_statem_accept", "tls_decrypt_ticket"),
				s(40, "ngx_ssl_recv", "SSL_read", "ssl3_read_bytes.part.0", "aesni_gcm_decrypt"),
				s(20, "ngx_http_process_request_line")),
			want: map[string]float64{rTLS: 0.40},
		},
		{
			name: "native librdkafka consumer, kernel frames below count",
			prof: cpuNanos("svc",
				s(25, "rd_kafka_broker_thread_main", "rd_kafka_broker_serve", "rd_kafka_broker_consumer_serve", "rd_kafka_transport_io_serve", "[kernel]do_sys_poll"),
				s(25, "rd_kafka_broker_thread_main", "rd_kafka_broker_serve", "rd_kafka_broker_producer_serve"),
				s(50, "main", "app_loop")),
			want: map[string]float64{rKafka: 0.25},
		},
		{
			name: "native glibc resolver",
			prof: cpuNanos("svc",
				s(20, "app_connect", "getaddrinfo", "_nss_dns_gethostbyname4_r", "__res_context_search"),
				s(80, "app_loop")),
			want: map[string]float64{rDNS: 0.20},
		},
	}
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shares(t, a, newBuilder().add(tt.prof))["svc"]
			for rule, want := range tt.want {
				assert.InDelta(t, want, got[rule], 1e-9, "rule %s", rule)
			}
			for rule, v := range got {
				if _, ok := tt.want[rule]; !ok {
					t.Errorf("unexpected %s share %.4f", rule, v)
				}
			}
		})
	}
}

func TestEBPFSamplesWithTimestampsOnly(t *testing.T) {
	poll := "[jvm]org.apache.kafka.clients.consumer.ConsumerRecords org.apache.kafka.clients.consumer.KafkaConsumer.poll(java.time.Duration)|KafkaConsumer.java"
	main := "[jvm]void app.Main.main(java.lang.String[])|Main.java"
	b := newBuilder().add(
		ebpf("fraud",
			ev(3, "[native]start_thread", main, poll, "[jvm]int sun.nio.ch.EPoll.wait(int, long, int, int)", "[kernel]do_epoll_wait.isra.0"),
			ev(1, "[native]start_thread", "[jvm]void org.apache.kafka.clients.consumer.internals.AbstractCoordinator$HeartbeatThread.run()",
				"[jvm]void org.apache.kafka.common.network.Selector.poll(long)"),
			ev(6, "[native]start_thread", main, "[jvm]double app.Scorer.score(app.Order)")),
		ebpf("checkout", // a second process in the same message
			ev(4, "[go]regexp.MustCompile", "[go]regexp.compile"),
			ev(4, "[go]main.work")),
	)
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	w := NewWindow()
	require.NoError(t, a.Accumulate(b.pd, w))
	require.Len(t, w.Services, 2)
	fraud := w.Services["fraud"]
	assert.Equal(t, int64(10), fraud.CPUSamples)
	assert.InDelta(t, 10*50e6, fraud.CPUValue, 1e-6, "events × period")
	assert.InDelta(t, 0.3, fraud.Rules[rKafka].CPUValue/fraud.CPUValue, 1e-9, "heartbeat thread excluded, kernel below poll included")
	assert.Equal(t, "jvm", findRuntime(a, fraud))
	co := w.Services["checkout"]
	assert.InDelta(t, 0.5, co.Rules[rRegex].CPUValue/co.CPUValue, 1e-9)
}

func findRuntime(a *Analyzer, ss *ServiceStats) string {
	a.Evaluate(ss)
	return ss.Runtime
}

func TestGoPprofPairIsCountedOnce(t *testing.T) {
	b := newBuilder()
	rp := b.pd.ResourceProfiles().AppendEmpty()
	rp.Resource().Attributes().PutStr("service.name", "svc")
	sp := rp.ScopeProfiles().AppendEmpty()
	count := tprof{sampleType: [2]string{"samples", "count"}, periodType: [2]string{"cpu", "nanoseconds"}, period: 10_000_000,
		samples: []tsample{{stack: []string{"main.a", "regexp.Compile"}, value: 3}, {stack: []string{"main.b"}, value: 7}}}
	nanos := cpuNanos("", s(3, "main.a", "regexp.Compile"), s(7, "main.b"))
	b.profile(sp, count)
	b.profile(sp, nanos)
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	w := NewWindow()
	require.NoError(t, a.Accumulate(b.pd, w))
	ss := w.Services["svc"]
	assert.Equal(t, int64(10), ss.CPUSamples)
	assert.InDelta(t, 100e6, ss.CPUValue, 1e-6)
	assert.InDelta(t, 0.3, ss.Rules[rRegex].CPUValue/ss.CPUValue, 1e-9)
	assert.Equal(t, 100.0, ss.SamplingHz)

	// The same pair split over two resources of one service (as a receiver
	// may send it) is still counted once.
	b2 := newBuilder()
	count.service = "svc"
	nanos.service = "svc"
	b2.add(count, nanos)
	w2 := NewWindow()
	require.NoError(t, a.Accumulate(b2.pd, w2))
	assert.InDelta(t, 100e6, w2.Services["svc"].CPUValue, 1e-6)
}

func TestNonCPUProfilesAreEvidenceOnly(t *testing.T) {
	block := tprof{service: "svc", sampleType: [2]string{"contentions", "count"}, periodType: [2]string{"contentions", "count"}, period: 1,
		samples: []tsample{{stack: []string{"main.worker", "runtime.chanrecv1"}, value: 12}}}
	mutex := tprof{service: "svc", sampleType: [2]string{"delay", "nanoseconds"}, periodType: [2]string{"contentions", "count"}, period: 1,
		samples: []tsample{{stack: []string{"main.worker", "sync.(*Mutex).Unlock"}, value: 5000}}}
	named := tprof{service: "svc", sampleType: [2]string{"contentions", "count"}, periodType: [2]string{"contentions", "count"}, period: 1,
		profileName: "block", samples: []tsample{{stack: []string{"main.worker", "sync.(*Mutex).Unlock"}, value: 2}}}
	wall := tprof{service: "svc", sampleType: [2]string{"wall", "nanoseconds"}, periodType: [2]string{"wall", "nanoseconds"}, period: 10_000_000,
		samples: []tsample{{stack: []string{"main.sleep", "regexp.Compile"}, value: 1e9}}}
	alloc := tprof{service: "svc", sampleType: [2]string{"alloc_space", "bytes"}, periodType: [2]string{"space", "bytes"}, period: 524288,
		samples: []tsample{{stack: []string{"main.a", "runtime.mallocgc"}, value: 1 << 30}}}
	cpu := cpuNanos("svc", s(100, "main.work"))

	a := newTestAnalyzer(t, Options{MinSamples: 1})
	w := NewWindow()
	require.NoError(t, a.Accumulate(newBuilder().add(block, mutex, named, wall, alloc, cpu).pd, w))
	ss := w.Services["svc"]
	assert.True(t, ss.BlockProfile)
	assert.True(t, ss.MutexProfile)
	assert.Equal(t, int64(14), ss.BlockEvents, "leaf kind and profile name tell block from mutex")
	assert.Empty(t, ss.Rules, "wall, alloc and contention profiles never add CPU")
	assert.InDelta(t, 1e9, ss.CPUValue, 1e-6)

	sigs := a.Evaluate(ss)
	require.Len(t, sigs, 1)
	assert.Equal(t, rProfiler, sigs[0].Rule)
	assert.False(t, sigs[0].Active, "metadata alone does not raise profiler_overhead by default")
	assert.Len(t, sigs[0].Finding.Evidence, 3, "block, mutex and the 100 Hz sampling rate")

	cat, err := catalog.Default()
	require.NoError(t, err)
	for i := range cat.Rules {
		if cat.Rules[i].ID == rProfiler {
			cat.Rules[i].RaiseOnMetadata = true
		}
	}
	a2, err := New(cat, Options{MinSamples: 1})
	require.NoError(t, err)
	sig := a2.Evaluate(ss)[0]
	assert.True(t, sig.Active)
	assert.Equal(t, report.SeverityInfo, sig.Finding.Severity)
}

func TestMinimumSamplesFloor(t *testing.T) {
	a := newTestAnalyzer(t, Options{MinSamples: 50})
	w := NewWindow()
	require.NoError(t, a.Accumulate(newBuilder().add(cpuNanos("svc",
		s(20, "main.h", "regexp.MustCompile"), s(20, "main.work"))).pd, w))
	sig := signal(t, a.Evaluate(w.Services["svc"]), rRegex)
	assert.InDelta(t, 0.5, sig.Level, 1e-9)
	assert.False(t, sig.Active, "40 samples are below the floor of 50")
	iv := sig.Finding.CPURatioInterval
	assert.Less(t, iv[0], 0.5)
	assert.Greater(t, iv[1], 0.5)
}

func TestFindingContents(t *testing.T) {
	a := newTestAnalyzer(t, Options{MinSamples: 1, MaxEvidenceStacks: 2})
	w := NewWindow()
	require.NoError(t, a.Accumulate(newBuilder().add(cpuNanos("svc",
		s(40, "net/http.(*conn).serve", "crypto/tls.(*Conn).handshakeContext", "crypto/tls.(*Conn).serverHandshake",
			"crypto/tls.(*serverHandshakeState).doFullHandshake", "crypto/rsa.SignPKCS1v15"),
		s(20, "net/http.(*conn).serve", "crypto/tls.(*Conn).handshakeContext", "crypto/tls.(*Conn).serverHandshake",
			"crypto/tls.(*serverHandshakeState).doResumeHandshake"),
		s(10, "net/http.(*conn).serve", "crypto/tls.(*Conn).handshakeContext", "crypto/tls.(*Conn).readHandshake"),
		s(30, "main.work"))).pd, w))
	sig := signal(t, a.Evaluate(w.Services["svc"]), rTLS)
	f := sig.Finding
	assert.True(t, sig.Active)
	assert.Equal(t, rTLS, f.Rule)
	assert.InDelta(t, 0.70, *f.CPURatio, 1e-9)
	assert.Equal(t, report.SeverityCritical, f.Severity)
	assert.InDelta(t, 0.56, f.Expected(), 1e-9, "0.8 × 0.70")
	assert.Equal(t, "go", f.Runtime)
	assert.Contains(t, f.Recommendation, "ClientSessionCache")
	require.GreaterOrEqual(t, len(f.Evidence), 2)
	assert.Equal(t, "stack", f.Evidence[0].Kind)
	assert.InDelta(t, 0.40, *f.Evidence[0].Share, 1e-9)
	assert.Equal(t, []string{"net/http.(*conn).serve", "crypto/tls.(*Conn).handshakeContext", "crypto/tls.(*Conn).serverHandshake",
		"crypto/tls.(*serverHandshakeState).doFullHandshake", "crypto/rsa.SignPKCS1v15"}, f.Evidence[0].Frames)
	tags := map[string]float64{}
	for _, e := range f.Evidence {
		if e.Kind == "metadata" && e.Value != nil {
			tags[e.Series] = *e.Value
		}
	}
	assert.InDelta(t, 40.0/70, tags["tag:full"], 1e-4)
	assert.InDelta(t, 20.0/70, tags["tag:resumed"], 1e-4)
	assert.InDelta(t, 10.0/70, tags["tag:other"], 1e-4)
}

func TestInvalidProfilesAreDroppedAndCounted(t *testing.T) {
	b := newBuilder().add(cpuNanos("good", s(10, "main.a", "regexp.Compile")), cpuNanos("bad", s(10, "main.b")))
	// Point the bad service's sample at a stack that does not exist.
	bad := b.pd.ResourceProfiles().At(1).ScopeProfiles().At(0).Profiles().At(0).Samples().At(0)
	bad.SetStackIndex(999)
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	w := NewWindow()
	err := a.Accumulate(b.pd, w)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid stack index 999")
	assert.Equal(t, int64(1), w.DroppedProfiles)
	assert.InDelta(t, 1.0, w.Services["good"].Rules[rRegex].CPUValue/w.Services["good"].CPUValue, 1e-9)
	assert.Zero(t, w.Services["bad"].CPUValue, "nothing of the invalid profile is kept")

	// A function whose name index is out of range invalidates its stacks.
	b2 := newBuilder().add(cpuNanos("svc", s(10, "main.a")))
	b2.pd.Dictionary().FunctionTable().At(1).SetNameStrindex(-5)
	w2 := NewWindow()
	require.Error(t, a.Accumulate(b2.pd, w2))
	assert.Equal(t, int64(1), w2.DroppedProfiles)

	// A flood of invalid profiles is counted in full but reported briefly.
	b3 := newBuilder()
	for i := 0; i < 20; i++ {
		b3.add(cpuNanos("svc", s(1, "main.a")))
	}
	for _, rp := range b3.pd.ResourceProfiles().All() {
		rp.ScopeProfiles().At(0).Profiles().At(0).Samples().At(0).SetStackIndex(-1)
	}
	w3 := NewWindow()
	err = a.Accumulate(b3.pd, w3)
	assert.Equal(t, int64(20), w3.DroppedProfiles)
	assert.ErrorContains(t, err, "and 12 more invalid profiles")
}

func TestBoundedServicesAndStacks(t *testing.T) {
	a := newTestAnalyzer(t, Options{MinSamples: 1, MaxServices: 2, MaxStackDepth: 8})
	deep := make([]string, 0, 50)
	deep = append(deep, "main.main", "main.h", "regexp.MustCompile")
	for i := 0; i < 47; i++ {
		deep = append(deep, "regexp/syntax.(*parser).push")
	}
	w := NewWindow()
	require.NoError(t, a.Accumulate(newBuilder().add(
		cpuNanos("a", s(1, deep...)), cpuNanos("b", s(1, "main.x")), cpuNanos("c", s(1, "main.y"))).pd, w))
	assert.Len(t, w.Services, 2)
	assert.Equal(t, int64(1), w.DroppedServices)
	assert.Equal(t, int64(1), w.TruncatedStacks)
	// The root side of a truncated stack is kept: the compile at depth 3 still counts.
	assert.Contains(t, w.Services["a"].Rules, rRegex)
}

func TestCustomRuleNeedsNoEngineChange(t *testing.T) {
	base, err := catalog.Default()
	require.NoError(t, err)
	cat, err := base.With(map[string]catalog.Override{rAlloc: {Enabled: boolPtr(false)}}, []catalog.Rule{{
		ID: "json_hot_path", Threshold: 0.1,
		Signatures:      []catalog.Signature{{Dialect: "go", Roots: []catalog.Pattern{{Name: `^encoding/json\.(Unmarshal|Marshal)$`}}}},
		Recommendations: map[string]string{"default": "Use a code-generated codec."},
	}})
	require.NoError(t, err)
	a, err := New(cat, Options{MinSamples: 1})
	require.NoError(t, err)
	got := shares(t, a, newBuilder().add(cpuNanos("svc",
		s(30, "main.h", "encoding/json.Unmarshal", "runtime.mallocgc"), s(70, "main.work"))))["svc"]
	assert.Equal(t, map[string]float64{"json_hot_path": 0.30}, got, "disabled alloc rule is not attributed")
}

func TestWilson(t *testing.T) {
	lo, hi := stats.Wilson(50, 100)
	assert.InDelta(t, 0.4038, lo, 1e-4)
	assert.InDelta(t, 0.5962, hi, 1e-4)
	lo, hi = stats.Wilson(0, 0)
	assert.Equal(t, []float64{0, 1}, []float64{lo, hi})
	lo, _ = stats.Wilson(0, 10)
	assert.Equal(t, 0.0, lo)
	assert.False(t, math.IsNaN(hi))
}

func signal(t *testing.T, sigs []report.Signal, rule string) report.Signal {
	t.Helper()
	for _, s := range sigs {
		if s.Rule == rule {
			return s
		}
	}
	t.Fatalf("no %s signal in %d signals", rule, len(sigs))
	return report.Signal{}
}

func boolPtr(b bool) *bool { return &b }

// TestAccumulateLeavesTelemetryUntouched: the processor passes data on
// unchanged, so analysis must not write to it.
func TestAccumulateLeavesTelemetryUntouched(t *testing.T) {
	pd := loadProfiles(t, filepath.Join(fixturesDir, "ebpf-jvm-kafka", "profiles.pb"))
	before, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(copyProfiles(pd))
	require.NoError(t, err)
	a := newTestAnalyzer(t, Options{})
	require.NoError(t, a.Accumulate(pd, NewWindow()))
	after, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(copyProfiles(pd))
	require.NoError(t, err)
	assert.Equal(t, before, after)
}

func copyProfiles(pd pprofile.Profiles) pprofile.Profiles {
	c := pprofile.NewProfiles()
	pd.CopyTo(c)
	return c
}

// TestConcurrentAccumulate: one Analyzer (shared class cache, pooled memo
// tables) serves several pipelines at once; each gets the sequential answer.
func TestConcurrentAccumulate(t *testing.T) {
	inputs := []string{"kafka-a/cpu.pb.gz", "tls-a/cpu.pb.gz", "jvm-regex-a-otlp/profiles.pb", "ebpf-jvm-kafka/profiles.pb", "python-regex-a/cpu.pb.gz"}
	var pds []pprofile.Profiles
	for _, in := range inputs {
		pds = append(pds, loadProfiles(t, filepath.Join(fixturesDir, in)))
	}
	a := newTestAnalyzer(t, Options{DefaultService: "svc", MaxFunctions: 500}) // small cache: resets under load too
	want := make([]map[string]float64, len(pds))
	for i, pd := range pds {
		want[i] = ruleCPU(t, a, pd)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for round := 0; round < 5; round++ {
				for i, pd := range pds {
					got := ruleCPU(t, a, pd)
					if !assert.ObjectsAreEqual(want[i], got) {
						errs <- fmt.Sprintf("%s: %v, want %v", inputs[i], got, want[i])
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func ruleCPU(t *testing.T, a *Analyzer, pd pprofile.Profiles) map[string]float64 {
	w := NewWindow()
	if err := a.Accumulate(pd, w); err != nil {
		t.Error(err)
	}
	out := map[string]float64{}
	for name, ss := range w.Services {
		out[name] = ss.CPUValue
		for id, rs := range ss.Rules {
			out[name+"/"+id] = rs.CPUValue
		}
		for _, sig := range a.Evaluate(ss) {
			out[name+"/"+sig.Rule+"/evidence"] = float64(len(sig.Finding.Evidence))
		}
	}
	return out
}
