package attribution

// Variant regression tests: the problems of the public fixtures in other
// runtimes, producers' spellings and code shapes, each with a share known by
// construction, plus negatives (busy but clean services, init-time work,
// record encryption, heartbeats, producer-only clients, pools, caches).
// Frame names come from the reference signature catalog or from the Go
// 1.26 / module sources; see the comments on the less obvious ones.

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
)

// variantTol is how far an engine share may sit from the constructed one.
const variantTol = 0.02

// Frame spellings per producer. JVM: JFR / pyroscope-java (internal class
// names), async-profiler (slashes, optional _[j] annotation), the eBPF
// profiler (`<ret> pkg.Class.method(args)`, frame type jvm).
func jfr(class, method string) string   { return class + "." + method }
func apj(class, method string) string   { return class + "." + method + "_[j]" }
func ebpfJVM(sig string) string         { return "[jvm]" + sig }
func pyspy(name, file string) string    { return name + " (" + file + ")" }
func pyFile(name, file string) string   { return name + "|" + file }
func ebpfPy(qual, file string) string   { return "[cpython]" + qual + "|" + file }
func ebpfGo(name string) string         { return "[go]" + name }
func native(name string) string         { return "[native]" + name }
func kernel(name string) string         { return "[kernel]" + name }
func dotnet(name string) string         { return "[dotnet]" + name }
func node(name, file string) string     { return name + "|" + file }
func ebpfNode(name, file string) string { return "[v8js]" + name + "|" + file }

const (
	goHTTP = "net/http.HandlerFunc.ServeHTTP"
	pyMain = "<module> (/srv/app/main.py)"
)

type variantCase struct {
	name  string
	profs []tprof
	// want: rule → share for service "svc" (±variantTol). Rules not
	// listed must stay below their threshold.
	want map[string]float64
}

func v(name string, want map[string]float64, profs ...tprof) variantCase {
	return variantCase{name: name, profs: profs, want: want}
}

func none() map[string]float64 { return map[string]float64{} }

func goVariants() []variantCase {
	kgo := "github.com/twmb/franz-go/pkg/kgo."
	kgoV := "github.com/segmentio/kafka-go."
	sarama := "github.com/IBM/sarama."
	ckg := "github.com/confluentinc/confluent-kafka-go/v2/kafka."
	pgx := "github.com/jackc/pgx/v5."
	pgconn := "github.com/jackc/pgx/v5/pgconn."
	miekg := "github.com/miekg/dns." // v1.1.73 client.go
	return []variantCase{
		// ---- DNS
		v("go dns: cgo resolver goroutine, with the eBPF profiler's libc frames below cgocall",
			map[string]float64{rDNS: 0.35},
			cpuNanos("svc",
				s(20, "net.doBlockingWithCtx[go.shape.[]net.IPAddr].func1", "net.cgoLookupIP.func1", "net.cgoLookupHostIP",
					"net._C_getaddrinfo", "net._C_getaddrinfo.func1", "net._C2func_getaddrinfo", "runtime.cgocall"),
				s(15, "net.doBlockingWithCtx[go.shape.[]net.IPAddr].func1", "net.cgoLookupIP.func1", "net.cgoLookupHostIP",
					"net._C2func_getaddrinfo", "runtime.cgocall", "getaddrinfo", "_nss_dns_gethostbyname4_r", "__res_context_send"),
				s(65, goHTTP, "main.work"))),
		v("go dns: pure-Go lookups behind an http.Transport dial, singleflight goroutine and per-type queries",
			map[string]float64{rDNS: 0.40},
			cpuNanos("svc",
				s(10, "internal/singleflight.(*Group).doCall", "net.(*Resolver).lookupIPAddr.func1", "net.init.func1",
					"net.(*Resolver).lookupIP", "net.(*conf).hostLookupOrder", "net.(*nsswitchConfig).tryUpdate", "time.Now"),
				s(25, "net.(*Resolver).goLookupIPCNAMEOrder.func3.1", "net.(*Resolver).tryOneName", "net.(*Resolver).exchange",
					"net.(*Resolver).dial", "net.(*Dialer).DialContext", "net.socket", "syscall.Socket"),
				s(5, "net.(*Resolver).goLookupIPCNAMEOrder.func3.1", "net.(*Resolver).tryOneName", "net.(*Resolver).exchange",
					"net.dnsPacketRoundTrip", "net.(*conn).Write", "internal/poll.(*FD).Write", "syscall.write"),
				s(30, "net/http.(*persistConn).writeLoop", "net/http.(*persistConn).writeLoop.func1", "bufio.(*Writer).Flush"),
				s(30, goHTTP, "main.work"))),
		v("go dns: LookupHost / LookupNetIP callers",
			map[string]float64{rDNS: 0.30},
			cpuNanos("svc",
				s(20, goHTTP, "net.(*Resolver).LookupHost", "net.(*Resolver).lookupHost", "net.(*Resolver).goLookupHostOrder", "net.lookupStaticHost"),
				s(10, goHTTP, "net.(*Resolver).LookupNetIP", "net.(*Resolver).LookupIP", "net.(*Resolver).lookupIPAddr",
					"internal/singleflight.(*Group).DoChan"),
				s(10, "internal/singleflight.(*Group).doCall", "net.(*Resolver).lookupIPAddr.func1", "net.init.func1", "net.(*Resolver).lookupIP",
					"net.(*Resolver).goLookupIPCNAMEOrder", "net.(*Resolver).goLookupIPCNAMEOrder.func3.1", "net.(*Resolver).tryOneName"),
				s(60, goHTTP, "main.work")),
			// LookupNetIP → lookupIPAddr itself waits on the singleflight: only its worker counts.
		),
		v("go dns: miekg/dns client exchanges count, the in-process miekg/dns server does not",
			map[string]float64{rDNS: 0.30},
			cpuNanos("svc",
				s(15, "main.resolveAll", miekg+"(*Client).Exchange", miekg+"(*Client).Dial", miekg+"(*Client).DialContext", "net.(*Dialer).DialContext"),
				s(10, "main.resolveAll", miekg+"(*Client).ExchangeContext", miekg+"(*Client).ExchangeWithConnContext", miekg+"(*Msg).Unpack"),
				s(5, "main.resolveAll", miekg+"Exchange", miekg+"(*Client).Exchange", miekg+"(*Client).ExchangeWithConn",
					miekg+"(*Client).ExchangeWithConnContext", miekg+"(*Conn).WriteMsg"),
				s(30, miekg+"(*Server).serveUDP", miekg+"(*Server).serveUDPPacket", miekg+"(*Server).serveDNS", "main.handleDNS"),
				s(40, goHTTP, "main.work"))),
		v("go dns negative: an in-process cache and IP literals never reach the resolver",
			none(),
			cpuNanos("svc",
				s(30, goHTTP, "main.(*dnsCache).get", "sync.(*RWMutex).RLock"),
				s(10, goHTTP, "net.(*Resolver).LookupNetIP", "net.(*Resolver).LookupIP", "net.(*Resolver).lookupIPAddr", "net.ParseIP"),
				s(10, goHTTP, "net.(*Dialer).DialContext", "net.(*Resolver).resolveAddrList", "net.(*Resolver).internetAddrList", "net.ParseIP"),
				s(50, goHTTP, "main.work"))),

		// ---- regex
		v("go regex: grafana/regexp and regexp2 per request, eBPF without inline expansion",
			map[string]float64{rRegex: 0.45},
			cpuNanos("svc",
				s(15, goHTTP, "main.route", "github.com/grafana/regexp.MustCompile", "github.com/grafana/regexp.compile", "regexp/syntax.Parse"),
				s(10, goHTTP, "main.route", "github.com/dlclark/regexp2.MustCompile", "github.com/dlclark/regexp2.Compile"),
				s(20, goHTTP, "main.validate", "regexp.MatchString", "regexp.compile", "regexp.compileOnePass", "regexp.onePassCopy"),
				s(55, goHTTP, "main.work"))),
		v("go regex eBPF frames: compile per request counts, matching does not",
			map[string]float64{rRegex: 0.25},
			ebpf("svc",
				ev(5, ebpfGo("net/http.(*conn).serve"), ebpfGo("main.handler"), ebpfGo("regexp.compile"), ebpfGo("regexp/syntax.Compile")),
				ev(10, ebpfGo("net/http.(*conn).serve"), ebpfGo("main.handler"), ebpfGo("regexp.(*Regexp).doExecute")),
				ev(5, ebpfGo("net/http.(*conn).serve"), ebpfGo("main.handler"), ebpfGo("main.render")))),
		v("go regex negative: init, init.0, sync.OnceValue and precompiled matching",
			none(),
			cpuNanos("svc",
				s(30, "runtime.main", "runtime.doInit", "runtime.doInit1", "example.com/svc/rules.init", "regexp.MustCompile", "regexp.compile"),
				s(10, "runtime.main", "runtime.doInit", "runtime.doInit1", "example.com/svc/rules.init.0", "regexp.MustCompile", "regexp.Compile"),
				s(10, goHTTP, "sync.OnceValue[go.shape.*uint8].func2", "sync.(*Once).doSlow", "sync.OnceValue[go.shape.*uint8].func1",
					"main.loadPatterns", "regexp.MustCompile", "regexp.compile"),
				s(40, goHTTP, "regexp.(*Regexp).ReplaceAllString", "regexp.(*Regexp).replaceAll", "regexp.(*Regexp).doExecute"),
				s(10, goHTTP, "regexp.QuoteMeta"))),

		// ---- TLS
		v("go tls: http client dials on addTLS goroutines, gRPC creds and a QUIC handshake goroutine",
			map[string]float64{rTLS: 0.50},
			cpuNanos("svc",
				s(20, "net/http.(*persistConn).addTLS.func2", "crypto/tls.(*Conn).HandshakeContext", "crypto/tls.(*Conn).handshakeContext",
					"crypto/tls.(*Conn).clientHandshake", "crypto/tls.(*clientHandshakeStateTLS13).handshake",
					"crypto/tls.(*clientHandshakeStateTLS13).readServerCertificate", "crypto/tls.(*Conn).verifyServerCertificate",
					"crypto/x509.(*Certificate).Verify"),
				// grpc v1.85 credentials/tls.go: go func() { errChannel <- conn.Handshake() }()
				s(10, "google.golang.org/grpc/credentials.(*tlsCreds).ClientHandshake.func1", "crypto/tls.(*Conn).Handshake", "crypto/tls.(*Conn).HandshakeContext",
					"crypto/tls.(*Conn).handshakeContext", "crypto/tls.(*Conn).clientHandshake", "crypto/ecdh.x25519ScalarMult"),
				s(10, "crypto/tls.(*QUICConn).Start.gowrap1", "crypto/tls.(*Conn).HandshakeContext", "crypto/tls.(*Conn).handshakeContext",
					"crypto/tls.(*Conn).clientHandshake", "crypto/tls.(*Conn).loadSession"),
				s(10, "main.client", "crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Handshake", "crypto/tls.(*Conn).HandshakeContext",
					"crypto/tls.(*Conn).handshakeContext", "crypto/tls.(*Conn).clientHandshake"),
				s(50, goHTTP, "main.work"))),
		v("go tls negative: record layer, post-handshake tickets, key loading at start-up, JWT signing",
			none(),
			cpuNanos("svc",
				s(30, "main.stream", "crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).writeRecordLocked", "crypto/tls.(*halfConn).encrypt",
					"crypto/internal/fips140/aes/gcm.gcmAesEnc"),
				s(20, "main.stream", "crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).readRecordOrCCS", "crypto/tls.(*halfConn).decrypt"),
				s(1, "main.stream", "crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).handlePostHandshakeMessage", "crypto/tls.(*Conn).handleNewSessionTicket"),
				s(9, "main.main", "crypto/tls.X509KeyPair", "crypto/x509.ParsePKCS8PrivateKey"),
				s(20, goHTTP, "main.issueToken", "crypto/ecdsa.SignASN1", "crypto/internal/fips140/ecdsa.Sign[go.shape.*crypto/internal/fips140/nistec.P256Point]"),
				s(20, goHTTP, "main.work"))),

		// ---- DB
		v("go db: pgx native connect per request with SCRAM, close, and a pgxpool built per request",
			map[string]float64{rDB: 0.50},
			cpuNanos("svc",
				s(20, goHTTP, "main.handler", pgx+"Connect", pgx+"ConnectConfig", pgx+"connect", pgconn+"ConnectConfig",
					pgconn+"connectPreferred", pgconn+"connectOne", pgconn+"(*PgConn).scramAuth",
					"crypto/pbkdf2.Key[go.shape.*crypto/internal/fips140/sha256.Digest]"),
				s(5, goHTTP, "main.handler", pgx+"(*Conn).Close", pgconn+"(*PgConn).Close", "net.(*conn).Close"),
				s(5, goHTTP, "main.handler", "github.com/jackc/pgx/v5/pgxpool.NewWithConfig"),
				s(10, "github.com/jackc/puddle/v2.(*Pool[go.shape.*uint8]).createNewResource", "github.com/jackc/pgx/v5/pgxpool.NewWithConfig.func1",
					pgx+"ConnectConfig", pgx+"connect", pgconn+"ConnectConfig"),
				s(10, goHTTP, "main.handler", "database/sql.(*DB).conn", "github.com/go-sql-driver/mysql.(*connector).Connect",
					"github.com/go-sql-driver/mysql.(*mysqlConn).readHandshakePacket"),
				s(50, goHTTP, "main.handler", pgx+"(*Conn).Query", pgconn+"(*PgConn).Exec"))),
		v("go db negative: pooled database/sql and pgxpool, pool warm-up in init",
			none(),
			cpuNanos("svc",
				s(40, goHTTP, "database/sql.(*DB).QueryContext", "database/sql.(*DB).query", "database/sql.(*DB).conn", "sync.(*Mutex).Lock"),
				s(30, goHTTP, "github.com/jackc/pgx/v5/pgxpool.(*Pool).Acquire", "github.com/jackc/puddle/v2.(*Pool[go.shape.*uint8]).Acquire"),
				s(5, "runtime.main", "runtime.doInit1", "main.init", "database/sql.Open"),
				s(25, goHTTP, "main.work"))),

		// ---- Kafka
		v("go kafka-go reader: fetch goroutine counts, the ReadMessage handler loop and the group heartbeat do not",
			map[string]float64{rKafka: 0.30},
			cpuNanos("svc",
				s(20, kgoV+"(*Reader).start.func1", kgoV+"(*reader).run", kgoV+"(*reader).read", kgoV+"(*Batch).ReadMessage",
					kgoV+"(*messageSetReader).readMessageV2"),
				s(10, "main.consume", kgoV+"(*Reader).ReadMessage", kgoV+"(*Reader).FetchMessage", "runtime.selectgo"),
				// Generation.Start runs the heartbeat closure on its own goroutine (kafka-go groups.go).
				s(10, kgoV+"(*Generation).Start.func1", kgoV+"(*Generation).heartbeatLoop.func1", kgoV+"(*Conn).heartbeat"),
				s(60, "main.consume", "main.apply", "encoding/json.Unmarshal"))),
		v("go sarama consumer group: heartbeat goroutine excluded, claim handler cut off",
			map[string]float64{rKafka: 0.20},
			cpuNanos("svc",
				s(20, sarama+"withRecover", sarama+"(*partitionConsumer).responseFeeder", sarama+"(*partitionConsumer).parseResponse"),
				s(10, sarama+"(*consumerGroupSession).heartbeatLoop", sarama+"(*Broker).Heartbeat", sarama+"(*Broker).sendAndReceive"),
				s(30, sarama+"(*consumerGroupSession).consume", "main.(*handler).ConsumeClaim", "main.process"),
				s(40, "main.other"))),
		v("go producer-only clients: sarama, kafka-go Writer and confluent-kafka-go's producer poller",
			none(),
			cpuNanos("svc",
				s(20, sarama+"withRecover", sarama+"(*asyncProducer).dispatcher"),
				s(10, sarama+"withRecover", sarama+"(*brokerProducer).run", sarama+"(*Broker).AsyncProduce"),
				s(20, "main.publish", kgoV+"(*Writer).WriteMessages", kgoV+"(*Writer).produce"),
				s(10, kgoV+"(*partitionWriter).writeBatch", kgoV+"(*Writer).produce", kgoV+"(*Client).Produce", kgoV+"(*Transport).RoundTrip"),
				// confluent-kafka-go producer.go: `go poller(p, ...)` → p.handle.eventPoll(...)
				s(15, ckg+"poller", ckg+"(*handle).eventPoll", ckg+"_Cfunc__rk_queue_poll", "runtime.cgocall"),
				s(10, "main.publish", ckg+"(*Producer).Produce", ckg+"(*Producer).produce", "runtime.cgocall"),
				s(15, goHTTP, "main.work"))),
		v("go franz-go producer-only: produce serialisation and response handling below the shared broker goroutines",
			// franz-go v1.2x sink.go / broker.go; what remains is the shared
			// goroutines' socket I/O and metadata
			map[string]float64{rKafka: 0.02},
			cpuNanos("svc",
				s(20, "main.publish", kgo+"(*Client).ProduceSync", kgo+"(*Client).Produce", kgo+"(*recBuf).bufferRecord", kgo+"(*recBatch).tryBuffer"),
				s(20, kgo+"(*sink).drain", kgo+"(*sink).produce", kgo+"(*sink).createReq"),
				s(15, kgo+"(*broker).handleReqs", kgo+"(*broker).handleReq", kgo+"(*brokerCxn).writeRequest",
					"github.com/twmb/franz-go/pkg/kmsg.(*RequestFormatter).AppendRequest", kgo+"(*produceRequest).AppendTo",
					kgo+"seqRecBatch.appendTo", kgo+"(*compressor).compress", "github.com/klauspost/compress/s2.Encode"),
				s(1, kgo+"(*broker).handleReqs", kgo+"(*broker).handleReq", kgo+"(*brokerCxn).writeRequest", "net.(*conn).Write"),
				s(10, kgo+"(*brokerCxn).handleResps", kgo+"(*brokerCxn).handleResp", "github.com/twmb/franz-go/pkg/kmsg.(*ProduceResponse).ReadFrom"),
				s(10, kgo+"(*brokerCxn).handleResps", kgo+"(*brokerCxn).handleResp", kgo+"(*sink).handleReqResp", kgo+"(*sink).handleReqRespNoack"),
				s(1, kgo+"(*Client).updateMetadataLoop", kgo+"(*Client).updateMetadata"),
				s(23, goHTTP, "main.work"))),
		v("go confluent-kafka-go consumer: Poll and the channel-mode reader",
			map[string]float64{rKafka: 0.25},
			cpuNanos("svc",
				s(15, "main.consume", ckg+"(*Consumer).Poll", ckg+"(*handle).eventPoll", ckg+"_Cfunc__rk_queue_poll", "runtime.cgocall"),
				s(10, ckg+"consumerReader", ckg+"(*handle).eventPoll", ckg+"(*handle).newMessageFromC"),
				s(75, "main.consume", "main.apply"))),
		v("go franz-go consumer through an internal module handler",
			map[string]float64{rKafka: 0.20},
			cpuNanos("svc",
				s(20, kgo+"(*source).loopFetch", kgo+"(*source).fetch", kgo+"(*source).handleReqResp", kgo+"(*cursorOffsetNext).processRespPartition"),
				s(30, "main.run", kgo+"Fetches.EachRecord", kgo+"Fetches.EachRecord.func1", "example.com/shop/orders.(*Projector).Apply", "strings.ToLower"),
				s(50, "main.other"))),

		// ---- profiler
		v("go profiler: pyroscope-go session upload and godeltaprof",
			map[string]float64{rProfiler: 0.05},
			cpuNanos("svc",
				s(2, "github.com/grafana/pyroscope-go.(*Session).takeSnapshots", "github.com/grafana/pyroscope-go.(*Session).dumpHeapProfile", "runtime.GC"),
				s(2, "github.com/grafana/pyroscope-go/godeltaprof.(*HeapProfiler).Profile", "github.com/grafana/pyroscope-go/godeltaprof/internal/pprof.(*profileBuilder).Build"),
				s(1, "github.com/grafana/pyroscope-go/upstream/remote.(*Remote).handleJobs", "github.com/grafana/pyroscope-go/upstream/remote.(*Remote).safeUpload",
					"net/http.(*Client).Do", "compress/gzip.(*Writer).Write"),
				// pyroscope-go v1.5.0 api.go: TagWrapper = pprof.Do(ctx, labels, func(c) { cb(c) })
				s(45, goHTTP, "github.com/grafana/pyroscope-go.TagWrapper", "runtime/pprof.Do", "github.com/grafana/pyroscope-go.TagWrapper.func1",
					"main.handler", "main.work"),
				s(50, goHTTP, "main.work")),
		),
		v("go profiler negative: pprof labels around handlers are not profiling",
			none(),
			cpuNanos("svc",
				s(50, goHTTP, "runtime/pprof.Do", "main.handler", "main.work"),
				s(5, goHTTP, "runtime/pprof.WithLabels"),
				s(45, goHTTP, "main.work"))),
		v("go busy but clean: json, math, compression of responses",
			none(),
			cpuNanos("svc",
				s(40, goHTTP, "encoding/json.Marshal", "encoding/json.(*encodeState).marshal"),
				s(30, goHTTP, "main.score", "math.Exp"),
				s(30, goHTTP, "compress/gzip.(*Writer).Write", "compress/flate.(*compressor).deflate"))),
	}
}

func jvmVariants() []variantCase {
	pat := "java/util/regex/Pattern"
	return []variantCase{
		v("jvm regex, async-profiler annotated frames, Kotlin Regex and String.matches",
			map[string]float64{rRegex: 0.30},
			cpuNanos("svc",
				s(10, apj("com/example/Api", "handle"), apj("java/lang/String", "matches"), apj(pat, "matches"), apj(pat, "compile"), "java/util/regex/Pattern.<init>_[i]", apj(pat, "expr")),
				s(10, apj("com/example/Api", "handle"), apj("kotlin/text/Regex", "<init>"), apj(pat, "compile")),
				s(10, jfr("com/example/Api", "handle"), jfr("java/lang/String", "replaceAll"), jfr(pat, "compile"), jfr(pat, "<init>")),
				s(20, jfr("com/example/Api", "handle"), jfr(pat, "matcher"), jfr("java/util/regex/Matcher", "match")),
				s(10, jfr("com/example/Api", "handle"), jfr("java/lang/String", "split"), jfr("java/lang/String", "indexOf")),
				s(40, jfr("com/example/Api", "handle"), jfr("com/example/Api", "render")))),
		v("jvm regex eBPF: return types, argument lists, static initialiser lambdas excluded",
			map[string]float64{rRegex: 0.20},
			ebpf("svc",
				ev(4, ebpfJVM("void com.example.Api.handle(java.lang.String)"), ebpfJVM("java.util.regex.Pattern java.util.regex.Pattern.compile(java.lang.String, int)"),
					ebpfJVM("void java.util.regex.Pattern.<init>(java.lang.String, int)"), ebpfJVM("java.util.regex.Pattern$Node java.util.regex.Pattern.expr(java.util.regex.Pattern$Node)")),
				ev(4, ebpfJVM("void com.example.Rules.<clinit>()"), ebpfJVM("void com.example.Rules.lambda$static$0(java.lang.String)"),
					ebpfJVM("java.util.regex.Pattern java.util.regex.Pattern.compile(java.lang.String)")),
				ev(12, ebpfJVM("void com.example.Api.handle(java.lang.String)"), ebpfJVM("boolean java.util.regex.Matcher.matches()")))),
		v("jvm tls: SSLSocket handshakes, SSLEngine handshakes in HttpClient and netty; records excluded",
			map[string]float64{rTLS: 0.40},
			cpuNanos("svc",
				s(15, jfr("com/example/Client", "call"), jfr("sun/security/ssl/SSLSocketImpl$AppOutputStream", "write"), jfr("sun/security/ssl/SSLSocketImpl", "ensureNegotiated"),
					jfr("sun/security/ssl/SSLSocketImpl", "startHandshake"), jfr("sun/security/ssl/TransportContext", "kickstart"),
					jfr("sun/security/ssl/X509TrustManagerImpl", "checkServerTrusted")),
				s(15, jfr("jdk/internal/net/http/common/SSLFlowDelegate$Reader", "processData"), jfr("jdk/internal/net/http/common/SSLFlowDelegate", "unwrapBuffer"),
					jfr("sun/security/ssl/SSLEngineImpl", "unwrap"), jfr("sun/security/ssl/SSLEngineImpl", "readRecord"), jfr("sun/security/ssl/TransportContext", "dispatch"),
					jfr("sun/security/ssl/HandshakeContext", "dispatch"), jfr("sun/security/ssl/SSLHandshake", "consume"),
					jfr("sun/security/ec/ECDSASignature", "engineVerify")),
				s(10, jfr("io/netty/channel/nio/NioEventLoop", "run"), jfr("io/netty/handler/ssl/SslHandler", "unwrap"),
					jfr("sun/security/ssl/SSLEngineImpl", "unwrap"), jfr("sun/security/ssl/SSLEngineImpl", "readRecord"),
					jfr("sun/security/ssl/TransportContext", "dispatch"), jfr("sun/security/ssl/HandshakeContext", "dispatch")),
				s(30, jfr("com/example/Client", "stream"), jfr("sun/security/ssl/SSLSocketImpl$AppInputStream", "read"), jfr("sun/security/ssl/SSLSocketImpl", "readApplicationRecord"),
					jfr("sun/security/ssl/SSLCipher$T13GcmReadCipherGenerator$GcmReadCipher", "decrypt"), jfr("com/sun/crypto/provider/GaloisCounterMode", "decryptFinal")),
				s(30, jfr("com/example/Client", "render")))),
		v("jvm kafka: Spring listener poll counts, handler, heartbeat thread and producer Sender do not",
			map[string]float64{rKafka: 0.25},
			cpuNanos("svc",
				s(15, jfr("org/springframework/kafka/listener/KafkaMessageListenerContainer$ListenerConsumer", "pollAndInvoke"),
					jfr("org/springframework/kafka/listener/KafkaMessageListenerContainer$ListenerConsumer", "doPoll"),
					jfr("org/apache/kafka/clients/consumer/KafkaConsumer", "poll"), jfr("org/apache/kafka/clients/consumer/internals/ClassicKafkaConsumer", "poll"),
					jfr("org/apache/kafka/clients/consumer/internals/Fetcher", "collectFetch")),
				s(10, jfr("org/apache/kafka/clients/consumer/internals/ConsumerNetworkThread", "run"),
					jfr("org/apache/kafka/clients/consumer/internals/ConsumerNetworkThread", "runOnce"), jfr("org/apache/kafka/clients/NetworkClient", "poll")),
				s(30, jfr("org/springframework/kafka/listener/KafkaMessageListenerContainer$ListenerConsumer", "pollAndInvoke"),
					jfr("org/springframework/kafka/listener/KafkaMessageListenerContainer$ListenerConsumer", "invokeListener"), jfr("com/example/OrderListener", "onMessage")),
				s(10, jfr("org/apache/kafka/clients/consumer/internals/AbstractCoordinator$HeartbeatThread", "run"),
					jfr("org/apache/kafka/clients/consumer/internals/ConsumerNetworkClient", "pollNoWakeup"), jfr("org/apache/kafka/common/network/Selector", "poll")),
				s(20, jfr("org/apache/kafka/clients/producer/internals/Sender", "run"), jfr("org/apache/kafka/clients/producer/internals/Sender", "runOnce"),
					jfr("org/apache/kafka/clients/NetworkClient", "poll")),
				s(15, jfr("com/example/Api", "handle"), jfr("org/apache/kafka/clients/producer/KafkaProducer", "send"), jfr("org/apache/kafka/clients/producer/KafkaProducer", "doSend")))),
		v("jvm kafka new consumer protocol: network thread counts, its heartbeat manager does not",
			map[string]float64{rKafka: 0.20},
			ebpf("svc",
				ev(3, ebpfJVM("void org.apache.kafka.clients.consumer.internals.ConsumerNetworkThread.run()"),
					ebpfJVM("void org.apache.kafka.clients.consumer.internals.ConsumerNetworkThread.runOnce()"),
					ebpfJVM("long org.apache.kafka.clients.consumer.internals.FetchRequestManager.poll(long)")),
				ev(2, ebpfJVM("void org.apache.kafka.clients.consumer.internals.ConsumerNetworkThread.run()"),
					ebpfJVM("void org.apache.kafka.clients.consumer.internals.ConsumerNetworkThread.runOnce()"),
					ebpfJVM("org.apache.kafka.clients.consumer.internals.NetworkClientDelegate$PollResult org.apache.kafka.clients.consumer.internals.AbstractHeartbeatRequestManager.poll(long)")),
				ev(1, ebpfJVM("void app.Main.main(java.lang.String[])"),
					ebpfJVM("org.apache.kafka.clients.consumer.ConsumerRecords org.apache.kafka.clients.consumer.KafkaConsumer.poll(java.time.Duration)"),
					ebpfJVM("org.apache.kafka.clients.consumer.ConsumerRecords org.apache.kafka.clients.consumer.internals.AsyncKafkaConsumer.poll(java.time.Duration)")),
				ev(14, ebpfJVM("void app.Main.main(java.lang.String[])"), ebpfJVM("void app.Handler.handle(org.apache.kafka.clients.consumer.ConsumerRecord)")))),
		v("jvm dns: lookups through the name service count, cache hits and literals do not",
			map[string]float64{rDNS: 0.20},
			cpuNanos("svc",
				s(20, jfr("com/example/Client", "call"), jfr("java/net/InetAddress", "getAllByName"), jfr("java/net/InetAddress", "getAllByName0"),
					jfr("java/net/InetAddress$NameServiceAddresses", "get"), jfr("java/net/InetAddress", "getAddressesFromNameService"),
					jfr("java/net/InetAddress$PlatformResolver", "lookupByName"), jfr("java/net/Inet6AddressImpl", "lookupAllHostAddr"), "getaddrinfo"),
				s(10, jfr("com/example/Client", "call"), jfr("java/net/InetAddress", "getAllByName"), jfr("java/net/InetAddress", "getAllByName0"),
					jfr("java/net/InetAddress$CachedLookup", "get")),
				s(70, jfr("com/example/Client", "render")))),
		v("jvm async-profiler with method signatures (sig option)",
			map[string]float64{rRegex: 0.10, rKafka: 0.20},
			cpuNanos("svc",
				s(10, "com/example/Api.handle(Ljava/lang/String;)V_[j]", "java/lang/String.replaceAll(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;_[j]",
					"java/util/regex/Pattern.compile(Ljava/lang/String;)Ljava/util/regex/Pattern;_[j]", "java/util/regex/Pattern.<init>(Ljava/lang/String;I)V_[i]"),
				s(20, "com/example/Worker.run()V", "org/apache/kafka/clients/consumer/KafkaConsumer.poll(Ljava/time/Duration;)Lorg/apache/kafka/clients/consumer/ConsumerRecords;",
					"sun/nio/ch/EPoll.wait(IJII)I", "epoll_wait", "do_syscall_64_[k]"),
				s(20, "com/example/Rules.<clinit>()V", "java/util/regex/Pattern.compile(Ljava/lang/String;)Ljava/util/regex/Pattern;"),
				s(50, "com/example/Api.handle(Ljava/lang/String;)V", "com/example/Api.render([BI)I"))),
		v("jvm dotted names without files (async-profiler --dot, converted JFR): regex, tls, kafka, dns",
			map[string]float64{rRegex: 0.10, rTLS: 0.10, rKafka: 0.10, rDNS: 0.10},
			cpuNanos("svc",
				s(10, "com.example.search.web.SearchController.search", "java.lang.String.replaceAll", "java.util.regex.Pattern.compile", "java.util.regex.Pattern.<init>"),
				s(5, "com.example.search.query.QueryTokenizer.<clinit>", "java.util.regex.Pattern.compile", "java.util.regex.Pattern.expr"),
				s(5, "Rules.<clinit>", "Rules.lambda$static$0", "java.util.regex.Pattern.compile"),
				s(10, "okhttp3.internal.connection.RealConnection.connectTls", "sun.security.ssl.SSLSocketImpl.startHandshake", "sun.security.ssl.TransportContext.kickstart"),
				s(10, "frauddetection.MainKt.main", "org.apache.kafka.clients.consumer.KafkaConsumer.poll", "org.apache.kafka.clients.consumer.internals.Fetcher.collectFetch"),
				s(5, "org.apache.kafka.clients.consumer.internals.AbstractCoordinator$HeartbeatThread.run", "org.apache.kafka.common.network.Selector.poll"),
				s(10, "okhttp3.Dns$Companion$DnsSystem.lookup", "java.net.InetAddress.getAllByName", "java.net.InetAddress.getAllByName0",
					"java.net.InetAddress$NameServiceAddresses.get", "java.net.Inet6AddressImpl.lookupAllHostAddr"),
				s(5, "okhttp3.Dns$Companion$DnsSystem.lookup", "java.net.InetAddress.getAllByName", "java.net.InetAddress.getAllByName0", "java.net.InetAddress$CachedLookup.get"),
				s(40, "com.example.search.web.SearchController.search", "org.apache.lucene.search.IndexSearcher.search"))),
		v("jvm profiler: pyroscope agent threads count, code run under Pyroscope.LabelsWrapper does not",
			map[string]float64{rProfiler: 0.04},
			cpuNanos("svc",
				s(2, "io.pyroscope.javaagent.impl.ContinuousProfilingScheduler.lambda$start$0", "io.pyroscope.javaagent.impl.ContinuousProfilingScheduler.schedulerTick",
					"io.pyroscope.javaagent.AsyncProfilerDelegate.dumpProfile", "one.profiler.AsyncProfiler.stop0"),
				s(2, "io.pyroscope.javaagent.impl.QueuedExporter.exportLoop", "io.pyroscope.javaagent.impl.PyroscopeExporter.export",
					"io.pyroscope.javaagent.impl.PyroscopeExporter.uploadSnapshot", "java.util.zip.Deflater.deflateBytesBytes"),
				s(46, "com.example.Api.handle", "io.pyroscope.labels.v2.Pyroscope$LabelsWrapper.run", "com.example.Api.lambda$handle$0", "com.example.Api.render"),
				s(50, "com.example.Api.handle", "com.example.Api.render"))),
		v("jvm busy but clean service",
			none(),
			cpuNanos("svc",
				s(50, jfr("com/example/Api", "handle"), jfr("com/fasterxml/jackson/databind/ObjectMapper", "writeValueAsString")),
				s(50, jfr("com/example/Api", "handle"), jfr("java/util/HashMap", "get")))),
	}
}

func pythonVariants() []variantCase {
	py := "/usr/lib/python3.11/"
	site := "/usr/lib/python3/dist-packages/"
	return []variantCase{
		v("python regex: eBPF CPython qualnames with absolute files; import time and cache hits excluded",
			map[string]float64{rRegex: 0.25},
			ebpf("svc",
				ev(5, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("handle", "/srv/app/views.py"), ebpfPy("sub", py+"re/__init__.py"),
					ebpfPy("_compile", py+"re/__init__.py"), ebpfPy("compile", py+"re/_compiler.py"), ebpfPy("parse", py+"re/_parser.py")),
				ev(4, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("_find_and_load", "<frozen importlib._bootstrap>"),
					ebpfPy("_load_unlocked", "<frozen importlib._bootstrap>"), ebpfPy("SourceLoader.exec_module", "<frozen importlib._bootstrap_external>"),
					ebpfPy("_call_with_frames_removed", "<frozen importlib._bootstrap>"), ebpfPy("<module>", "/srv/app/rules.py"),
					ebpfPy("compile", py+"re/_compiler.py")),
				ev(3, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("handle", "/srv/app/views.py"), ebpfPy("_compile", py+"re/__init__.py")),
				ev(8, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("handle", "/srv/app/views.py"), ebpfPy("render", "/srv/app/views.py")))),
		v("python regex: pyroscope-python (name + absolute file), py-spy with line numbers, relative paths",
			map[string]float64{rRegex: 0.30},
			cpuNanos("svc",
				s(10, pyFile("handle", "/srv/app/views.py"), pyFile("match", py+"re/__init__.py"), pyFile("_compile", py+"re/__init__.py"), pyFile("compile", py+"re/_compiler.py")),
				s(10, "handle (/srv/app/views.py:12)", "match (/usr/lib/python3.11/re/__init__.py:166)", "compile (/usr/lib/python3.11/re/_compiler.py:738)"),
				s(10, pyFile("handle", "app/views.py"), pyFile("compile", "lib/python3.9/sre_compile.py"), pyFile("_code", "lib/python3.9/sre_compile.py")),
				s(70, pyFile("handle", "/srv/app/views.py"), pyFile("render", "/srv/app/views.py")))),
		v("python tls: py-spy handshakes via urllib3 and asyncio sslproto; reads excluded",
			map[string]float64{rTLS: 0.20},
			cpuNanos("svc",
				s(10, pyMain, pyspy("create_connection", site+"urllib3/connection.py"), pyspy("wrap_socket", py+"ssl.py"), pyspy("_create", py+"ssl.py"), pyspy("do_handshake", py+"ssl.py")),
				s(10, pyMain, pyspy("_start_handshake", py+"asyncio/sslproto.py"), pyspy("_do_handshake", py+"asyncio/sslproto.py"), pyspy("do_handshake", py+"ssl.py")),
				s(20, pyMain, pyspy("recv_into", py+"ssl.py"), pyspy("read", py+"ssl.py")),
				s(60, pyMain, pyspy("render", "/srv/app/views.py")))),
		v("python tls from the eBPF profiler: qualnames over libssl",
			map[string]float64{rTLS: 0.50},
			ebpf("svc",
				ev(10, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("SSLContext.wrap_socket", py+"ssl.py"), ebpfPy("SSLSocket._create", py+"ssl.py"),
					ebpfPy("SSLSocket.do_handshake", py+"ssl.py"), native("SSL_do_handshake")),
				ev(10, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("SSLSocket.sendall", py+"ssl.py"), native("SSL_write")))),
		v("python kafka-python: poll counts, heartbeat thread and producer sender do not",
			map[string]float64{rKafka: 0.20},
			cpuNanos("svc",
				s(10, pyMain, pyspy("consume", "/srv/app/worker.py"), pyspy("poll", site+"kafka/consumer/group.py"), pyspy("_poll_once", site+"kafka/consumer/group.py"),
					pyspy("poll", site+"kafka/client_async.py"), pyspy("select", py+"selectors.py")),
				s(10, pyMain, pyspy("consume", "/srv/app/worker.py"), pyspy("__next__", site+"kafka/consumer/group.py"), pyspy("_message_generator_v2", site+"kafka/consumer/group.py"),
					pyspy("fetched_records", site+"kafka/consumer/fetcher.py")),
				s(10, pyspy("_bootstrap", py+"threading.py"), pyspy("run", site+"kafka/coordinator/base.py"), pyspy("poll", site+"kafka/client_async.py")),
				s(10, pyspy("_bootstrap", py+"threading.py"), pyspy("run", site+"kafka/producer/sender.py"), pyspy("run_once", site+"kafka/producer/sender.py"),
					pyspy("poll", site+"kafka/client_async.py")),
				s(60, pyMain, pyspy("consume", "/srv/app/worker.py"), pyspy("handle", "/srv/app/worker.py")))),
		v("python confluent_kafka consumer seen natively, producer poll not",
			map[string]float64{rKafka: 0.10},
			ebpf("svc",
				ev(2, ebpfPy("consume", "/srv/app/worker.py"), native("Consumer_poll"), native("rd_kafka_consumer_poll"), native("rd_kafka_q_pop_serve")),
				ev(2, native("start_thread"), native("rd_kafka_broker_thread_main"), native("rd_kafka_broker_serve"), native("rd_kafka_broker_producer_serve")),
				ev(2, ebpfPy("publish", "/srv/app/worker.py"), native("Producer_poll"), native("rd_kafka_poll")),
				ev(14, ebpfPy("consume", "/srv/app/worker.py"), ebpfPy("handle", "/srv/app/worker.py")))),
		v("python dns and db connect per request",
			map[string]float64{rDNS: 0.10, rDB: 0.20},
			cpuNanos("svc",
				s(10, pyMain, pyspy("create_connection", py+"socket.py"), pyspy("getaddrinfo", py+"socket.py")),
				s(20, pyMain, pyspy("handle", "/srv/app/views.py"), pyspy("connect", site+"psycopg2/__init__.py")),
				s(70, pyMain, pyspy("handle", "/srv/app/views.py")))),
		v("python profiler: pyroscope SDK frames and its Rust sampler thread",
			map[string]float64{rProfiler: 0.10},
			ebpf("svc",
				ev(1, native("start_thread"), native("std::sys::pal::unix::thread::Thread::new::thread_start"),
					native("pyroscope::pyroscope::PyroscopeAgent<S>::start"), native("py_spy::python_spy::PythonSpy::get_stack_traces")),
				ev(1, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("configure", site+"pyroscope/__init__.py")),
				ev(18, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("handle", "/srv/app/views.py")))),
		v("python py-spy --native: interpreter GC and libssl frames in `symbol (file)` form",
			map[string]float64{rAlloc: 0.10, rTLS: 0.10},
			cpuNanos("svc",
				s(10, pyMain, pyspy("handle", "/srv/app/views.py"), "_PyObject_GC_Link (libpython3.11.so.1.0)", "gc_collect_main (libpython3.11.so.1.0)"),
				s(10, pyMain, pyspy("connect", py+"ssl.py"), "_ssl__SSLSocket_do_handshake (_ssl.c:983)", "SSL_do_handshake (ssl/ssl_lib.c:4651)"),
				s(10, pyMain, pyspy("recv", py+"ssl.py"), "SSL_read (ssl/ssl_lib.c:1850)"),
				s(70, pyMain, pyspy("handle", "/srv/app/views.py")))),
		v("python busy but clean service",
			none(),
			cpuNanos("svc",
				s(50, pyMain, pyspy("handle", "/srv/app/views.py"), pyspy("dumps", py+"json/__init__.py")),
				s(50, pyMain, pyspy("handle", "/srv/app/views.py"), pyspy("search", py+"re/__init__.py"), pyspy("_compile", py+"re/__init__.py")))),
	}
}

func nativeAndOtherVariants() []variantCase {
	return []variantCase{
		v("native openssl: implicit handshakes under SSL_read/SSL_write count, records do not",
			map[string]float64{rTLS: 0.30},
			cpuNanos("svc",
				s(10, "node::crypto::TLSWrap::ClearOut()", "SSL_read", "ssl_read_internal", "ssl3_read_bytes", "ossl_statem_connect", "state_machine",
					"tls_process_server_certificate", "X509_verify_cert"),
				s(10, "curl_easy_perform", "ossl_connect_common", "SSL_connect", "ossl_statem_connect", "state_machine.part.0"),
				s(10, "ngx_ssl_handshake", "SSL_do_handshake", "ossl_statem_accept", "state_machine", "tls_construct_cert_verify"),
				s(40, "ngx_ssl_send_chain", "SSL_write", "ssl3_write_bytes", "do_ssl3_write", "tls13_enc", "aesni_gcm_encrypt"),
				s(30, "ngx_http_process_request_line"))),
		v("native kernel frames under a handshake count",
			map[string]float64{rTLS: 0.20},
			ebpf("svc",
				ev(4, native("ngx_ssl_handshake"), native("SSL_do_handshake"), native("ossl_statem_accept"), kernel("entry_SYSCALL_64_after_hwframe"), kernel("__x64_sys_sendto")),
				ev(16, native("ngx_http_process_request_line")))),
		v("dotnet db: Npgsql physical connections (sync and async) count, pooled Open does not",
			map[string]float64{rDB: 0.20},
			ebpf("svc",
				ev(2, dotnet("App.Repo.Load"), dotnet("Npgsql.NpgsqlConnection.Open"), dotnet("Npgsql.NpgsqlConnector.Open"), dotnet("Npgsql.NpgsqlConnector.Authenticate")),
				ev(2, dotnet("System.Threading.ThreadPoolWorkQueue.Dispatch"), dotnet("Npgsql.NpgsqlConnector/<Open>d__213.MoveNext"), dotnet("Npgsql.NpgsqlConnector.RawOpen")),
				ev(6, dotnet("App.Repo.Load"), dotnet("Npgsql.NpgsqlConnection.Open"), dotnet("Npgsql.PoolingDataSource.Get")),
				ev(10, dotnet("App.Repo.Load"), dotnet("Npgsql.NpgsqlCommand.ExecuteReader")))),
		v("node eBPF: dns lookup and the V8 garbage collector",
			map[string]float64{rDNS: 0.25},
			ebpf("svc",
				ev(5, ebpfNode("processTicksAndRejections", "node:internal/process/task_queues"), ebpfNode("lookup", "node:dns"), native("uv_getaddrinfo")),
				ev(15, ebpfNode("handle", "/srv/app/server.js"), ebpfNode("render", "/srv/app/server.js")))),
		v("go cgo dns with producer-given frame types down to the kernel",
			map[string]float64{rDNS: 0.40},
			ebpf("svc",
				ev(8, ebpfGo("net.doBlockingWithCtx[go.shape.[]net.IPAddr].func1"), ebpfGo("net.cgoLookupHostIP"), ebpfGo("runtime.cgocall"),
					native("getaddrinfo"), native("_nss_dns_gethostbyname4_r"), kernel("__x64_sys_sendto")),
				ev(12, ebpfGo("net/http.(*conn).serve"), ebpfGo("main.work")))),
		v("dotnet without frame types (PerfView / dotnet-trace spelling: Module!Namespace.Type.Method(args))",
			map[string]float64{rRegex: 0.20, rTLS: 0.10, rDNS: 0.10},
			cpuNanos("svc",
				s(20, "App!App.Controllers.OrderController.Get()", "System.Text.RegularExpressions!System.Text.RegularExpressions.Regex.IsMatch(class System.String,class System.String)",
					"System.Text.RegularExpressions!System.Text.RegularExpressions.RegexCache.GetOrAdd(class System.String)",
					"System.Text.RegularExpressions!System.Text.RegularExpressions.Regex..ctor(class System.String)"),
				s(10, "App!App.Rules..cctor()", "System.Text.RegularExpressions!System.Text.RegularExpressions.Regex..ctor(class System.String)"),
				s(10, "System.Net.Security!System.Net.Security.SslStream+<ForceAuthenticationAsync>d__175`1.MoveNext()", "System.Net.Security!System.Net.Security.SslStreamPal.HandshakeInternal()"),
				s(10, "System.Net.NameResolution!System.Net.Dns.GetHostAddresses(class System.String)", "System.Net.NameResolution!System.Net.NameResolutionPal.TryGetAddrInfo()"),
				s(50, "App!App.Controllers.OrderController.Get()", "System.Text.Json!System.Text.Json.JsonSerializer.Serialize()"))),
		v("dotnet regex: constructor and the static-method cache miss; static constructor excluded",
			map[string]float64{rRegex: 0.20},
			ebpf("svc",
				ev(2, dotnet("App.Controllers.OrderController.Get"), dotnet("System.Text.RegularExpressions.Regex..ctor"), dotnet("System.Text.RegularExpressions.RegexParser.Parse")),
				ev(2, dotnet("App.Controllers.OrderController.Get"), dotnet("System.Text.RegularExpressions.Regex.IsMatch"), dotnet("System.Text.RegularExpressions.RegexCache.GetOrAdd"),
					dotnet("System.Text.RegularExpressions.Regex..ctor")),
				ev(4, dotnet("App.Validation..cctor"), dotnet("System.Text.RegularExpressions.Regex..ctor")),
				ev(12, dotnet("App.Controllers.OrderController.Get"), dotnet("System.Text.RegularExpressions.Regex.IsMatch"), dotnet("System.Text.RegularExpressions.RegexCache.GetOrAdd")))),
		v("dotnet tls: SslStream handshakes including async state-machine continuations",
			map[string]float64{rTLS: 0.30},
			ebpf("svc",
				ev(2, dotnet("App.Client.Call"), dotnet("System.Net.Security.SslStream.AuthenticateAsClient"), dotnet("System.Net.Security.SslStreamPal.HandshakeInternal"),
					native("CryptoNative_SslDoHandshake"), native("SSL_do_handshake")),
				// C# compiles async methods to <Method>d__N state machines; the
				// eBPF profiler writes nested types as Outer/Inner.
				ev(2, dotnet("System.Threading.ThreadPoolWorkQueue.Dispatch"), dotnet("System.Net.Security.SslStream/<ForceAuthenticationAsync>d__175`1.MoveNext"),
					dotnet("System.Net.Security.SslStream.ProcessTlsFrame"), dotnet("System.Net.Security.SslStreamPal.HandshakeInternal")),
				ev(2, dotnet("System.Threading.ThreadPoolWorkQueue.Dispatch"), dotnet("System.Net.Security.SslStream+<ForceAuthenticationAsync>d__175`1.MoveNext"),
					dotnet("System.Net.Security.SslStream.GenerateToken")),
				ev(4, dotnet("System.Threading.ThreadPoolWorkQueue.Dispatch"), dotnet("System.Net.Security.SslStream/<ReadAsyncInternal>d__1`1.MoveNext"),
					native("CryptoNative_SslRead"), native("SSL_read")),
				ev(10, dotnet("App.Client.Render")))),
		v("node: dns lookup and TLS connect from V8 profiles; GC pseudo-frame",
			map[string]float64{rDNS: 0.15, rTLS: 0.20, rAlloc: 0.05},
			cpuNanos("svc",
				s(10, node("processTicksAndRejections", "node:internal/process/task_queues"), node("lookup", "node:dns")),
				s(10, node("request", "file:///srv/app/client.js"), node("connect", "node:_tls_wrap"), node("TLSSocket", "node:_tls_wrap")),
				s(10, node("request", "file:///srv/app/client.js"), node("createSecureContext", "node:_tls_common")),
				s(5, node("(garbage collector)", "")),
				s(5, node("fetchUser", "file:///srv/app/client.js"), node("lookup", "node:internal/dns/promises"), node("createLookupPromise", "node:internal/dns/promises")),
				s(60, node("handle", "file:///srv/app/server.js")))),
	}
}

func TestVariants(t *testing.T) {
	runVariants(t, goVariants(), jvmVariants(), pythonVariants(), nativeAndOtherVariants())
}

// runVariants checks each case's constructed shares (±variantTol) and that
// every rule it does not name stays below its catalog threshold.
func runVariants(t *testing.T, groups ...[]variantCase) {
	t.Helper()
	cat, err := catalog.Default()
	require.NoError(t, err)
	thresholds := map[string]float64{}
	for _, r := range cat.Rules {
		thresholds[r.ID] = r.Threshold
	}
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	for _, tc := range slices.Concat(groups...) {
		t.Run(tc.name, func(t *testing.T) {
			got := shares(t, a, newBuilder().add(tc.profs...))["svc"]
			for rule, want := range tc.want {
				assert.InDelta(t, want, got[rule], variantTol, "rule %s", rule)
			}
			for rule, share := range got {
				if _, ok := tc.want[rule]; ok {
					continue
				}
				assert.Less(t, share, thresholds[rule], "negative: %s share %.4f reaches its threshold", rule, share)
			}
		})
	}
}

// TestVariantEBPFManyProcesses: an eBPF message holds many processes named
// only by process.executable.name (or a k8s deployment), timestamps-only
// samples at 20 Hz, mixed runtimes; each becomes its own service, a process
// with nothing but its pid too.
func TestVariantEBPFManyProcesses(t *testing.T) {
	b := newBuilder().add(
		ebpf("", ev(6, ebpfGo("main.handler"), ebpfGo("regexp.compile")), ev(14, ebpfGo("main.handler"), ebpfGo("main.work"))),
		ebpf("", ev(3, native("start_thread"), ebpfJVM("void app.Main.main(java.lang.String[])"),
			ebpfJVM("org.apache.kafka.clients.consumer.ConsumerRecords org.apache.kafka.clients.consumer.KafkaConsumer.poll(java.time.Duration)"),
			native("epoll_wait"), kernel("do_epoll_wait")),
			ev(7, native("start_thread"), ebpfJVM("void app.Main.main(java.lang.String[])"), ebpfJVM("double app.Scorer.score(app.Order)"))),
		ebpf("", ev(2, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("handle", "/srv/app/views.py"), ebpfPy("compile", "/usr/lib/python3.12/re/_compiler.py")),
			ev(8, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("handle", "/srv/app/views.py"))),
		ebpf("", ev(10, kernel("worker_thread"), kernel("process_one_work"))),
	)
	attrs := []map[string]string{
		{"process.executable.name": "checkout", "process.pid": "101"},
		{"k8s.deployment.name": "fraud-detection", "process.executable.name": "java", "container.id": "abc"},
		{"process.executable.name": "python3.12", "service.name": "unknown_service:python3.12"},
		{"process.pid": "1"},
	}
	for i, rp := range b.pd.ResourceProfiles().All() {
		for k, val := range attrs[i] {
			rp.Resource().Attributes().PutStr(k, val)
		}
	}
	a := newTestAnalyzer(t, Options{MinSamples: 1, DefaultService: "node-agent"})
	w := NewWindow()
	require.NoError(t, a.Accumulate(b.pd, w))
	require.Len(t, w.Services, 4)
	share := func(svc, rule string) float64 {
		ss := w.Services[svc]
		require.NotNil(t, ss, svc)
		if rs, ok := ss.Rules[rule]; ok {
			return rs.CPUValue / ss.CPUValue
		}
		return 0
	}
	assert.InDelta(t, 0.30, share("checkout", rRegex), 1e-9)
	assert.InDelta(t, 0.30, share("fraud-detection", rKafka), 1e-9)
	assert.InDelta(t, 0.20, share("python3.12", rRegex), 1e-9)
	// A pid-only process without a main executable mapping (kernel threads)
	// is its own service, never the default bucket of a whole host.
	assert.InDelta(t, 10*50e6, w.Services["process.pid=1"].CPUValue, 1e-6)
	assert.Empty(t, w.Services["process.pid=1"].Rules)
	assert.NotContains(t, w.Services, "node-agent")
}
