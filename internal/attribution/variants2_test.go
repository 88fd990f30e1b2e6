package attribution

// QA round 2: code shapes of real Go services not covered by variants_test.go
// (other drivers and clients, TLS 1.2/1.3 on both ends, cgo DNS, regexp
// helpers, profiler SDKs with block/mutex profiles, Green Tea GC), and
// eBPF-profiler messages of CPython, Go and nginx processes mixed with
// unnamed ones. Shares are exact by construction; rules not listed must
// stay below their thresholds. Frame names: Go 1.26 source, grpc v1.85,
// pyroscope-go v1.5.0 (module cache); pgx v5, go-sql-driver/mysql v1.8,
// sarama v1.4x and kafka-go v0.4 as their sources name them.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockProf / mutexProf: runtime/pprof block and mutex profiles as
// pprofconv turns them into OTLP (contentions/count + delay/nanoseconds;
// the test builder carries one sample type, the delay).
func blockProf(service string, samples ...tsample) tprof {
	return tprof{service: service, sampleType: [2]string{"delay", "nanoseconds"},
		periodType: [2]string{"contentions", "count"}, period: 1, profileName: "block", samples: samples}
}

func mutexProf(service string, samples ...tsample) tprof {
	return tprof{service: service, sampleType: [2]string{"delay", "nanoseconds"},
		periodType: [2]string{"contentions", "count"}, period: 1, profileName: "mutex", samples: samples}
}

func goVariants2() []variantCase {
	pgx := "github.com/jackc/pgx/v5."
	pgconn := "github.com/jackc/pgx/v5/pgconn."
	stdlib := "github.com/jackc/pgx/v5/stdlib."
	mysql := "github.com/go-sql-driver/mysql."
	sarama := "github.com/IBM/sarama."
	kgoV := "github.com/segmentio/kafka-go."
	pyro := "github.com/grafana/pyroscope-go."
	tls := "crypto/tls."
	return []variantCase{
		// ---- DB
		v("go db: pgx stdlib sql.Open per request (database/sql → stdlib driver → pgconn)",
			map[string]float64{rDB: 0.35},
			cpuNanos("svc",
				s(5, goHTTP, "main.handler", "database/sql.Open", "database/sql.OpenDB"),
				s(20, goHTTP, "main.handler", "database/sql.(*DB).PingContext", "database/sql.(*DB).conn", "database/sql.dsnConnector.Connect",
					stdlib+"(*Driver).Open", pgx+"Connect", pgx+"ConnectConfig", pgx+"connect", pgconn+"ConnectConfig", pgconn+"connectPreferred",
					pgconn+"connectOne", pgconn+"(*PgConn).scramAuth", "crypto/pbkdf2.Key[go.shape.*crypto/internal/fips140/sha256.Digest]"),
				s(5, goHTTP, "main.handler", "database/sql.(*DB).Close", "database/sql.(*driverConn).Close", stdlib+"(*Conn).Close",
					pgx+"(*Conn).Close", pgconn+"(*PgConn).Close"),
				s(5, goHTTP, "main.handler", "database/sql.(*DB).PingContext", "database/sql.(*DB).conn", stdlib+"(*driverConnector).Connect",
					pgx+"ConnectConfig", pgx+"connect", pgconn+"ConnectConfig"),
				s(65, goHTTP, "main.handler", "database/sql.(*DB).QueryContext", "database/sql.(*DB).query", stdlib+"(*Conn).QueryContext"))),
		v("go db: pgxpool created per request, its background connects and health checks",
			map[string]float64{rDB: 0.30},
			cpuNanos("svc",
				s(5, goHTTP, "main.handler", "github.com/jackc/pgx/v5/pgxpool.New", "github.com/jackc/pgx/v5/pgxpool.ParseConfig", pgx+"ParseConfig",
					pgconn+"ParseConfig", pgconn+"ParseConfigWithOptions"),
				s(5, goHTTP, "main.handler", "github.com/jackc/pgx/v5/pgxpool.New", "github.com/jackc/pgx/v5/pgxpool.NewWithConfig"),
				s(15, "github.com/jackc/pgx/v5/pgxpool.(*Pool).createIdleResources.func1", "github.com/jackc/puddle/v2.(*Pool[go.shape.*uint8]).CreateResource",
					"github.com/jackc/pgx/v5/pgxpool.NewWithConfig.func1", pgx+"ConnectConfig", pgx+"connect", pgconn+"ConnectConfig", pgconn+"connectOne",
					"net.(*Dialer).DialContext"),
				s(5, "github.com/jackc/puddle/v2.(*Pool[go.shape.*uint8]).destructResourceValue", "github.com/jackc/pgx/v5/pgxpool.NewWithConfig.func2",
					pgx+"(*Conn).Close", pgconn+"(*PgConn).Close"),
				s(70, goHTTP, "main.handler", "github.com/jackc/pgx/v5/pgxpool.(*Pool).Query", pgx+"(*Conn).Query"))),
		v("go db: go-sql-driver/mysql per-request connections (sql.Open, connector, close)",
			map[string]float64{rDB: 0.25},
			cpuNanos("svc",
				s(3, goHTTP, "main.handler", "database/sql.Open", mysql+"MySQLDriver.OpenConnector", mysql+"ParseDSN"),
				s(15, goHTTP, "main.handler", "database/sql.(*DB).PingContext", "database/sql.(*DB).conn", mysql+"(*connector).Connect",
					mysql+"(*mysqlConn).readHandshakePacket", mysql+"(*mysqlConn).readPacket"),
				s(2, goHTTP, "main.handler", "database/sql.(*DB).PingContext", "database/sql.(*DB).conn", mysql+"(*connector).Connect",
					mysql+"(*mysqlConn).writeHandshakeResponsePacket", mysql+"scramblePassword", "crypto/sha1.Sum"),
				s(5, goHTTP, "main.handler", "database/sql.(*DB).Close", "database/sql.(*driverConn).Close", mysql+"(*mysqlConn).Close",
					mysql+"(*mysqlConn).writeCommandPacket"),
				s(75, goHTTP, "main.handler", "database/sql.(*DB).QueryContext", mysql+"(*mysqlConn).QueryContext"))),
		v("go db negative: pooled mysql and pgx stdlib queries, connection lifetime expiry",
			none(),
			cpuNanos("svc",
				s(40, goHTTP, "main.handler", "database/sql.(*DB).QueryContext", "database/sql.(*DB).query", mysql+"(*mysqlConn).QueryContext",
					mysql+"(*mysqlConn).readResultSetHeaderPacket"),
				s(30, goHTTP, "main.handler", "database/sql.(*DB).ExecContext", stdlib+"(*Conn).ExecContext", pgconn+"(*PgConn).Exec"),
				s(1, "database/sql.(*DB).connectionOpener", "database/sql.(*DB).openNewConnection", mysql+"(*connector).Connect"),
				s(29, goHTTP, "main.work"))),

		// ---- Kafka: consumers with the handler below, and a producer in the same process
		v("go sarama consumer group with a producer in process: claim loop, fetchers and decode count; handler, producer and heartbeat do not",
			map[string]float64{rKafka: 0.30},
			cpuNanos("svc",
				s(10, sarama+"withRecover", sarama+"(*brokerConsumer).subscriptionManager"),
				s(10, sarama+"withRecover", sarama+"(*brokerConsumer).subscriptionConsumer", sarama+"(*brokerConsumer).fetchNewMessages",
					sarama+"(*Broker).Fetch", sarama+"(*Broker).sendAndReceive", sarama+"versionedDecode", sarama+"(*FetchResponse).decode"),
				s(5, sarama+"withRecover", sarama+"(*partitionConsumer).responseFeeder", sarama+"(*partitionConsumer).parseResponse",
					sarama+"(*partitionConsumer).parseRecords"),
				s(5, sarama+"(*consumerGroup).Consume.func1", sarama+"(*consumerGroupSession).consume", sarama+"(*consumerGroupClaim).Messages"),
				s(25, sarama+"(*consumerGroupSession).consume", sarama+"(*consumerGroupSession).consume.func1",
					"main.(*handler).ConsumeClaim", "main.(*handler).process", "encoding/json.Unmarshal"),
				s(5, sarama+"(*consumerGroupSession).heartbeatLoop", sarama+"(*Broker).Heartbeat", sarama+"(*Broker).sendAndReceive"),
				s(10, sarama+"withRecover", sarama+"(*asyncProducer).dispatcher"),
				s(5, sarama+"withRecover", sarama+"(*brokerProducer).run", sarama+"(*Broker).AsyncProduce", sarama+"(*Broker).sendInternal"),
				s(5, "main.(*handler).process", sarama+"(*syncProducer).SendMessage", sarama+"(*asyncProducer).Input"),
				s(20, goHTTP, "main.work"))),
		v("go kafka-go consumer: ReadMessage loop handler cut off, Reader fetch goroutine counted, Writer in process excluded",
			map[string]float64{rKafka: 0.25},
			cpuNanos("svc",
				s(10, kgoV+"(*reader).run", kgoV+"(*reader).read", kgoV+"(*Conn).ReadBatchWith", kgoV+"(*Conn).readResponse"),
				s(10, kgoV+"(*Reader).start.func1", kgoV+"(*reader).run", kgoV+"(*reader).read", kgoV+"(*Batch).ReadMessage",
					kgoV+"(*Batch).readMessage", kgoV+"(*messageSetReader).readMessage", "github.com/klauspost/compress/zstd.(*Decoder).DecodeAll"),
				s(5, "main.consume", kgoV+"(*Reader).ReadMessage", kgoV+"(*Reader).FetchMessage"),
				s(30, "main.consume", "main.apply", "encoding/json.Unmarshal"),
				s(10, "main.publish", kgoV+"(*Writer).WriteMessages", kgoV+"(*Writer).produce"),
				s(5, kgoV+"(*partitionWriter).writeBatch", kgoV+"(*Writer).produce", kgoV+"(*Client).Produce", kgoV+"(*Transport).RoundTrip",
					kgoV+"(*connGroup).roundTrip", kgoV+"(*conn).roundTrip"),
				s(30, goHTTP, "main.work"))),

		// ---- TLS
		v("go tls: new http.Transport per request (TLS 1.3 and 1.2 client handshakes on addTLS goroutines), bulk transfer excluded",
			// dialConn waiting on the addTLS channel is not handshake CPU (truth: crypto/tls handshake frames)
			map[string]float64{rTLS: 0.35},
			cpuNanos("svc",
				s(15, "net/http.(*persistConn).addTLS.func2", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", tls+"(*Conn).clientHandshake",
					tls+"(*clientHandshakeStateTLS13).handshake", tls+"(*clientHandshakeStateTLS13).readServerCertificate",
					tls+"(*Conn).verifyServerCertificate", "crypto/x509.(*Certificate).Verify", "crypto/x509.(*Certificate).buildChains"),
				s(5, "net/http.(*persistConn).addTLS.func2", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", tls+"(*Conn).clientHandshake",
					tls+"(*clientHandshakeStateTLS13).handshake", tls+"(*clientHandshakeStateTLS13).establishHandshakeKeys",
					"crypto/internal/fips140/mlkem.(*DecapsulationKey768).Decapsulate"),
				s(10, "net/http.(*persistConn).addTLS.func2", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", tls+"(*Conn).clientHandshake",
					tls+"(*clientHandshakeState).handshake", tls+"(*clientHandshakeState).doFullHandshake", tls+"(*Conn).verifyServerCertificate",
					"crypto/rsa.VerifyPKCS1v15"),
				s(5, "net/http.(*persistConn).addTLS.func2", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", tls+"(*Conn).clientHandshake",
					tls+"(*clientHandshakeState).handshake", tls+"(*clientHandshakeState).processServerHello"),
				s(5, "net/http.(*Transport).dialConnFor", "net/http.(*Transport).dialConn", "net/http.(*persistConn).addTLS", "runtime.chanrecv1"),
				s(30, "net/http.(*persistConn).readLoop", "bufio.(*Reader).Peek", "net/http.(*persistConn).Read", tls+"(*Conn).Read",
					tls+"(*Conn).readRecordOrCCS", tls+"(*halfConn).decrypt", "crypto/internal/fips140/aes/gcm.gcmAesDec"),
				s(10, "net/http.(*persistConn).writeLoop", "net/http.(*Request).write", "bufio.(*Writer).Flush", tls+"(*Conn).Write",
					tls+"(*Conn).writeRecordLocked", tls+"(*halfConn).encrypt"),
				s(20, goHTTP, "main.work"))),
		v("go tls server side: net/http (*conn).serve and gRPC ServerHandshake, TLS 1.2 resumption and 1.3 full",
			map[string]float64{rTLS: 0.30},
			cpuNanos("svc",
				s(10, "net/http.(*conn).serve", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", tls+"(*Conn).serverHandshake",
					tls+"(*serverHandshakeStateTLS13).handshake", tls+"(*serverHandshakeStateTLS13).sendServerCertificate",
					"crypto/ecdsa.SignASN1"),
				s(5, "net/http.(*conn).serve", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", tls+"(*Conn).serverHandshake",
					tls+"(*serverHandshakeState).handshake", tls+"(*serverHandshakeState).doResumeHandshake"),
				// grpc v1.85 credentials/tls.go ServerHandshake: conn.HandshakeContext(ctx) on the accept goroutine
				s(10, "google.golang.org/grpc.(*Server).handleRawConn", "google.golang.org/grpc.(*Server).newHTTP2Transport",
					"google.golang.org/grpc/credentials.(*tlsCreds).ServerHandshake", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext",
					tls+"(*Conn).serverHandshake", tls+"(*serverHandshakeStateTLS13).handshake"),
				s(5, "net/http.(*conn).serve", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", "runtime.gopark"),
				s(40, "net/http.(*conn).serve", "net/http.(*connReader).Read", tls+"(*Conn).Read", tls+"(*Conn).readRecordOrCCS", tls+"(*halfConn).decrypt"),
				s(30, "net/http.(*conn).serve", goHTTP, "main.work"))),
		v("go tls negative: keep-alive client and server, bulk transfer only",
			none(),
			cpuNanos("svc",
				s(1, "net/http.(*persistConn).addTLS.func2", tls+"(*Conn).HandshakeContext", tls+"(*Conn).handshakeContext", tls+"(*Conn).clientHandshake"),
				s(45, "net/http.(*persistConn).readLoop", "net/http.(*persistConn).Read", tls+"(*Conn).Read", tls+"(*Conn).readRecordOrCCS",
					tls+"(*halfConn).decrypt", "crypto/internal/fips140/aes/gcm.gcmAesDec"),
				s(30, "main.upload", "io.Copy", tls+"(*Conn).Write", tls+"(*Conn).writeRecordLocked", tls+"(*halfConn).encrypt"),
				s(24, goHTTP, "main.work"))),

		// ---- DNS
		v("go dns: cgo resolver as runtime/pprof records it (stack ends at cgocall) and LookupIPAddr callers",
			// lookupIPAddr itself (singleflight hand-off, IP-literal fast path) is not a lookup
			map[string]float64{rDNS: 0.25},
			cpuNanos("svc",
				s(15, "net.doBlockingWithCtx[go.shape.[]net.IPAddr].func1", "net.cgoLookupIP.func1", "net.cgoLookupHostIP", "net._C_getaddrinfo",
					"net._C2func_getaddrinfo", "runtime.cgocall"),
				s(5, "net.doBlockingWithCtx[go.shape.[]net.IPAddr].func1", "net.cgoLookupIP.func1", "net.cgoLookupHostIP", "net.cgoSockaddr",
					"net.copyIP"),
				s(5, "internal/singleflight.(*Group).doCall", "net.(*Resolver).lookupIPAddr.func1", "net.init.func1", "net.(*Resolver).lookupIP",
					"net.cgoLookupIP", "net.doBlockingWithCtx[go.shape.[]net.IPAddr]", "net.acquireThread"),
				s(5, goHTTP, "main.handler", "net.(*Resolver).LookupIPAddr", "net.(*Resolver).lookupIPAddr", "internal/singleflight.(*Group).DoChan",
					"runtime.newproc"),
				s(70, goHTTP, "main.work"))),

		// ---- regex
		v("go regex: regexp.MatchString and MustCompile in handlers count; package var, init and sync.OnceValue do not",
			map[string]float64{rRegex: 0.30},
			cpuNanos("svc",
				s(15, goHTTP, "main.validate", "regexp.MatchString", "regexp.Compile", "regexp.compile", "regexp/syntax.Parse",
					"regexp/syntax.parse", "regexp/syntax.(*parser).push"),
				s(5, goHTTP, "main.validate", "regexp.MatchString", "regexp.Compile", "regexp.compile", "regexp/syntax.Compile"),
				s(10, goHTTP, "main.route", "regexp.MustCompile", "regexp.Compile", "regexp.compile", "regexp.compileOnePass"),
				s(10, "runtime.main", "runtime.doInit", "runtime.doInit1", "main.init", "regexp.MustCompile", "regexp.Compile", "regexp.compile"),
				s(5, goHTTP, "main.route", "main.init.OnceValue[go.shape.*regexp.Regexp].func1", "sync.(*Once).Do", "sync.(*Once).doSlow",
					"sync.OnceValue[go.shape.*regexp.Regexp].func1", "main.init.func1", "regexp.MustCompile", "regexp.Compile", "regexp.compile"),
				s(25, goHTTP, "main.validate", "regexp.(*Regexp).MatchString", "regexp.(*Regexp).doMatch", "regexp.(*Regexp).doExecute",
					"regexp.(*Regexp).backtrack"),
				s(30, goHTTP, "main.work"))),

		// ---- profiler
		v("go profiler: net/http/pprof scraped (CPU, heap, goroutine, block, mutex endpoints) plus block/mutex event recording",
			map[string]float64{rProfiler: 0.10},
			cpuNanos("svc",
				s(2, "net/http.(*conn).serve", "net/http.(*ServeMux).ServeHTTP", "net/http/pprof.Index", "net/http/pprof.handler.ServeHTTP",
					"runtime/pprof.(*Profile).WriteTo", "runtime/pprof.writeHeap", "runtime/pprof.writeHeapInternal", "runtime/pprof.writeHeapProto",
					"runtime/pprof.(*profileBuilder).appendLocsForStack"),
				s(1, "net/http.(*conn).serve", "net/http/pprof.handler.ServeHTTP", "runtime/pprof.(*Profile).WriteTo", "runtime/pprof.writeGoroutine",
					"runtime/pprof.writeRuntimeProfile", "runtime/pprof.runtime_goroutineProfileWithLabels", "runtime.goroutineProfileWithLabelsConcurrent"),
				s(1, "net/http.(*conn).serve", "net/http/pprof.Profile", "runtime/pprof.StartCPUProfile", "runtime.SetCPUProfileRate"),
				s(1, "runtime/pprof.profileWriter", "runtime/pprof.(*profileBuilder).addCPUData", "runtime/pprof.(*profMap).lookup"),
				s(1, "runtime/pprof.profileWriter", "runtime/pprof.(*profileBuilder).build", "compress/gzip.(*Writer).Write", "compress/flate.(*compressor).deflate"),
				s(1, "net/http.(*conn).serve", "net/http/pprof.handler.ServeHTTP", "runtime/pprof.(*Profile).WriteTo", "runtime/pprof.writeBlock",
					"runtime/pprof.writeProfileInternal", "runtime/pprof.printCountCycleProfile"),
				s(1, goHTTP, "main.(*cart).add", "sync.(*Mutex).Lock", "sync.(*Mutex).lockSlow", "sync.runtime_SemacquireMutex", "runtime.semacquire1",
					"runtime.blockevent", "runtime.saveblockevent", "runtime.callers"),
				// runtime.mutexevent is linknamed as sync.event (mprof.go), recorded on unlock
				s(1, goHTTP, "main.(*cart).add", "sync.(*Mutex).Unlock", "sync.(*Mutex).unlockSlow", "sync.runtime_Semrelease", "runtime.semrelease1",
					"sync.event", "runtime.saveblockevent"),
				s(1, "runtime.mcall", "runtime.park_m", "runtime.schedule", "runtime.findRunnable", "runtime.unlock2", "runtime.(*mLockProfile).recordUnlock",
					"runtime.(*mLockProfile).store"),
				// default heap sampling is not profiler overhead (fixture truth)
				s(3, goHTTP, "main.work", "runtime.mallocgc", "runtime.profilealloc", "runtime.mProf_Malloc", "runtime.callers"),
				s(87, goHTTP, "main.work")),
			blockProf("svc",
				s(5000, goHTTP, "main.(*cart).add", "sync.(*Mutex).Lock", "runtime.semacquire1"),
				s(9000, "main.worker", "runtime.chanrecv1")),
			mutexProf("svc",
				s(7000, goHTTP, "main.(*cart).add", "sync.(*Mutex).Unlock"))),
		v("go profiler: pyroscope-go with godeltaprof at 100 Hz (collection, deltas, upload), TagWrapper handlers cut off",
			map[string]float64{rProfiler: 0.06},
			cpuNanos("svc",
				s(1, pyro+"(*Session).takeSnapshots", pyro+"(*Session).uploadData", pyro+"(*cpuProfileCollector).Start", "runtime/pprof.StartCPUProfile"),
				s(2, pyro+"(*Session).takeSnapshots", pyro+"(*Session).dumpHeapProfile", "github.com/grafana/pyroscope-go/godeltaprof.(*HeapProfiler).Profile",
					"github.com/grafana/pyroscope-go/godeltaprof/internal/pprof.(*DeltaHeapProfiler).WriteHeapProto"),
				s(1, pyro+"(*Session).takeSnapshots", pyro+"(*Session).dumpMutexProfile", "github.com/grafana/pyroscope-go/godeltaprof.(*BlockProfiler).Profile",
					"runtime.MutexProfile"),
				s(1, "github.com/grafana/pyroscope-go/internal/cpuprofile.(*Profiler).loop", "runtime/pprof.StopCPUProfile"),
				s(1, "github.com/grafana/pyroscope-go/upstream/remote.(*Remote).handleJobs", "github.com/grafana/pyroscope-go/upstream/remote.(*Remote).safeUpload",
					"github.com/grafana/pyroscope-go/upstream/remote.(*Remote).uploadProfile", "net/http.(*Client).Do"),
				s(44, goHTTP, pyro+"TagWrapper", "runtime/pprof.Do", pyro+"TagWrapper.func1", "main.handler", "main.work"),
				s(50, goHTTP, "main.work")),
			blockProf("svc", s(1000, "main.worker", "runtime.chanrecv1"))),
		v("go profiler negative: block and mutex profiles on their own never raise, the CPU profile is clean",
			none(),
			cpuNanos("svc",
				s(100, goHTTP, "main.work")),
			blockProf("svc", s(90_000_000_000, goHTTP, "main.(*store).get", "sync.(*RWMutex).RLock", "runtime.semacquire1")),
			mutexProf("svc", s(40_000_000_000, goHTTP, "main.(*store).put", "sync.(*Mutex).Unlock"))),

		// ---- alloc / GC, Go 1.26 (Green Tea collector, size-specialised mallocs)
		v("go alloc: Green Tea mark workers, size-specialised mallocgc, assists and sweeping",
			map[string]float64{rAlloc: 0.40},
			cpuNanos("svc",
				s(10, "runtime.gcBgMarkWorker", "runtime.systemstack", "runtime.gcBgMarkWorker.func2", "runtime.gcDrainMarkWorkerDedicated",
					"runtime.gcDrain", "runtime.scanSpan", "runtime.scanObjectsSmall"),
				s(5, "runtime.gcBgMarkWorker", "runtime.systemstack", "runtime.gcBgMarkWorker.func2", "runtime.gcDrainMarkWorkerIdle",
					"runtime.gcDrain", "runtime.(*gcWork).tryGetSpan"),
				s(10, goHTTP, "main.work", "runtime.newobject", "runtime.mallocgcSmallScanNoHeaderSC3"),
				s(5, goHTTP, "main.work", "runtime.makeslice", "runtime.mallocgc", "runtime.mallocgcSmallNoscan", "runtime.(*mcache).nextFree",
					"runtime.(*mcache).refill", "runtime.(*mcentral).cacheSpan", "runtime.(*sweepLocked).sweep"),
				s(5, goHTTP, "main.work", "runtime.mallocgc", "runtime.deductAssistCredit", "runtime.gcAssistAlloc", "runtime.systemstack",
					"runtime.gcAssistAlloc.func2", "runtime.gcAssistAlloc1", "runtime.gcDrainN", "runtime.scanSpan"),
				s(3, "runtime.bgsweep", "runtime.sweepone", "runtime.(*sweepLocked).sweep"),
				s(2, goHTTP, "main.work", "runtime.gcWriteBarrier2", "runtime.wbBufFlush", "runtime.wbBufFlush1"),
				s(30, goHTTP, "main.work", "strconv.AppendInt"),
				s(30, goHTTP, "main.work", "encoding/json.(*decodeState).object"))),
	}
}

func ebpfVariants2() []variantCase {
	return []variantCase{
		v("eBPF CPython: re cache misses (co_qualname, absolute Function.filename), psycopg2 connects, ssl handshakes, getaddrinfo",
			map[string]float64{rRegex: 0.20, rDB: 0.10, rTLS: 0.10, rDNS: 0.05},
			ebpf("svc",
				ev(3, ebpfPy("<module>", "/app/main.py"), ebpfPy("Flask.wsgi_app", "/usr/local/lib/python3.12/site-packages/flask/app.py"),
					ebpfPy("validate", "/app/views.py"), ebpfPy("match", "/usr/local/lib/python3.12/re/__init__.py"),
					ebpfPy("_compile", "/usr/local/lib/python3.12/re/__init__.py"), ebpfPy("compile", "/usr/local/lib/python3.12/re/_compiler.py"),
					ebpfPy("parse", "/usr/local/lib/python3.12/re/_parser.py")),
				ev(1, ebpfPy("<module>", "/app/main.py"), ebpfPy("validate", "/app/views.py"), ebpfPy("sub", "/usr/local/lib/python3.12/re/__init__.py"),
					ebpfPy("_compile", "/usr/local/lib/python3.12/re/__init__.py"), ebpfPy("compile", "/usr/local/lib/python3.12/re/_compiler.py"),
					ebpfPy("_code", "/usr/local/lib/python3.12/re/_compiler.py"), native("_PyEval_EvalFrameDefault")),
				// re._compile's cache look-up does not count
				ev(3, ebpfPy("<module>", "/app/main.py"), ebpfPy("validate", "/app/views.py"), ebpfPy("match", "/usr/local/lib/python3.12/re/__init__.py"),
					ebpfPy("_compile", "/usr/local/lib/python3.12/re/__init__.py")),
				// module-level re.compile at import is excluded
				ev(2, ebpfPy("<module>", "/app/main.py"), ebpfPy("_find_and_load", "<frozen importlib._bootstrap>"),
					ebpfPy("_call_with_frames_removed", "<frozen importlib._bootstrap>"), ebpfPy("<module>", "/app/rules.py"),
					ebpfPy("compile", "/usr/local/lib/python3.12/re/__init__.py"), ebpfPy("_compile", "/usr/local/lib/python3.12/re/__init__.py"),
					ebpfPy("compile", "/usr/local/lib/python3.12/re/_compiler.py")),
				ev(2, ebpfPy("<module>", "/app/main.py"), ebpfPy("load", "/app/repo.py"), ebpfPy("connect", "/usr/local/lib/python3.12/site-packages/psycopg2/__init__.py"),
					native("PQconnectdb"), native("pg_fe_sendauth")),
				ev(2, ebpfPy("<module>", "/app/main.py"), ebpfPy("call", "/app/client.py"), ebpfPy("HTTPSConnection.connect", "/usr/local/lib/python3.12/http/client.py"),
					ebpfPy("SSLContext.wrap_socket", "/usr/local/lib/python3.12/ssl.py"), ebpfPy("SSLSocket._create", "/usr/local/lib/python3.12/ssl.py"),
					ebpfPy("SSLSocket.do_handshake", "/usr/local/lib/python3.12/ssl.py"), native("SSL_do_handshake")),
				ev(1, ebpfPy("<module>", "/app/main.py"), ebpfPy("call", "/app/client.py"), ebpfPy("create_connection", "/usr/local/lib/python3.12/socket.py"),
					ebpfPy("getaddrinfo", "/usr/local/lib/python3.12/socket.py"), native("getaddrinfo")),
				ev(6, ebpfPy("<module>", "/app/main.py"), ebpfPy("render", "/app/views.py")))),
		v("eBPF Go (no inlined frames): regexp.compile under a handler counts, precompiled matching and init do not; TLS and DNS",
			map[string]float64{rRegex: 0.20, rTLS: 0.15, rDNS: 0.10},
			ebpf("svc",
				ev(4, ebpfGo("runtime.goexit"), ebpfGo("net/http.(*conn).serve"), ebpfGo("net/http.serverHandler.ServeHTTP"), ebpfGo("main.validate"),
					ebpfGo("regexp.compile"), ebpfGo("regexp/syntax.Parse")),
				ev(2, ebpfGo("runtime.main"), ebpfGo("runtime.doInit1"), ebpfGo("main.init"), ebpfGo("regexp.compile")),
				ev(4, ebpfGo("runtime.goexit"), ebpfGo("net/http.(*conn).serve"), ebpfGo("main.validate"), ebpfGo("regexp.(*Regexp).doExecute")),
				ev(3, ebpfGo("runtime.goexit"), ebpfGo("net/http.(*persistConn).addTLS.func2"), ebpfGo("crypto/tls.(*Conn).handshakeContext"),
					ebpfGo("crypto/tls.(*Conn).clientHandshake"), ebpfGo("crypto/tls.(*clientHandshakeStateTLS13).handshake"), kernel("__x64_sys_write")),
				ev(2, ebpfGo("runtime.goexit"), ebpfGo("internal/singleflight.(*Group).doCall"), ebpfGo("net.(*Resolver).lookupIPAddr.func1"),
					ebpfGo("net.(*Resolver).goLookupIPCNAMEOrder"), ebpfGo("net.(*Resolver).tryOneName")),
				ev(5, ebpfGo("runtime.goexit"), ebpfGo("net/http.(*conn).serve"), ebpfGo("main.render")))),
		v("eBPF Go GC: system-stack halves of mark workers, assists and span allocation without their goroutine callers",
			map[string]float64{rAlloc: 0.30},
			ebpf("svc",
				ev(3, ebpfGo("runtime.systemstack"), ebpfGo("runtime.gcBgMarkWorker.func2"), ebpfGo("runtime.gcDrainMarkWorkerDedicated"),
					ebpfGo("runtime.gcDrain"), ebpfGo("runtime.scanSpan")),
				ev(1, ebpfGo("runtime.systemstack"), ebpfGo("runtime.gcAssistAlloc.func2"), ebpfGo("runtime.gcAssistAlloc1"), ebpfGo("runtime.gcDrainN")),
				ev(1, ebpfGo("runtime.systemstack"), ebpfGo("runtime.(*mheap).alloc.func1"), ebpfGo("runtime.(*mheap).allocSpan")),
				ev(1, ebpfGo("runtime.goexit"), ebpfGo("net/http.(*conn).serve"), ebpfGo("main.work"), ebpfGo("runtime.mallocgcSmallScanNoHeaderSC2")),
				// scheduler and safe-point work is not GC by the fixtures' definition
				ev(1, ebpfGo("runtime.systemstack"), ebpfGo("runtime.gcMarkDone.func1"), ebpfGo("runtime.(*gcWork).dispose")),
				ev(13, ebpfGo("runtime.goexit"), ebpfGo("net/http.(*conn).serve"), ebpfGo("main.work")))),
		v("eBPF nginx + OpenSSL 3: accept handshakes and TLS 1.3 resumption count, SSL_read/SSL_write and sendfile do not",
			map[string]float64{rTLS: 0.35},
			ebpf("svc",
				ev(4, native("__libc_start_main"), native("main"), native("ngx_master_process_cycle"), native("ngx_start_worker_processes"),
					native("ngx_worker_process_cycle"), native("ngx_process_events_and_timers"), native("ngx_epoll_process_events"),
					native("ngx_ssl_handshake_handler"), native("ngx_ssl_handshake"), native("SSL_do_handshake"), native("ossl_statem_accept"),
					native("state_machine"), native("tls_construct_cert_verify"), native("EVP_DigestSign")),
				ev(2, native("ngx_worker_process_cycle"), native("ngx_epoll_process_events"), native("ngx_http_ssl_handshake"), native("ngx_ssl_handshake"),
					native("SSL_do_handshake"), native("ossl_statem_accept"), native("state_machine"), native("tls_parse_ctos_psk"), native("tls_decrypt_ticket")),
				ev(1, native("ngx_worker_process_cycle"), native("ngx_ssl_handshake"), native("SSL_do_handshake"), native("ossl_statem_accept"),
					kernel("entry_SYSCALL_64_after_hwframe"), kernel("__x64_sys_write"), kernel("tcp_sendmsg")),
				ev(6, native("ngx_worker_process_cycle"), native("ngx_http_write_filter"), native("ngx_ssl_send_chain"), native("ngx_ssl_write"),
					native("SSL_write"), native("ssl3_write_bytes"), native("tls_write_records"), native("aesni_gcm_encrypt")),
				ev(3, native("ngx_worker_process_cycle"), native("ngx_http_read_request_header"), native("ngx_ssl_recv"), native("SSL_read"),
					native("ssl3_read_bytes"), native("tls_get_more_records")),
				ev(4, native("ngx_worker_process_cycle"), native("ngx_linux_sendfile_chain"), kernel("__x64_sys_sendfile64"), kernel("do_sendfile")))),
	}
}

func TestVariants2(t *testing.T) {
	runVariants(t, goVariants2(), ebpfVariants2())
}

// TestVariant2BlockMutexOnly: block and mutex profiles carry no CPU; with a
// clean CPU profile profiler_overhead stays inactive, and with
// no CPU profile at all the service has no CPU and no active signal.
func TestVariant2BlockMutexOnly(t *testing.T) {
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	for _, tc := range []struct {
		name  string
		profs []tprof
	}{
		{"with a clean cpu profile", []tprof{
			cpuNanos("svc", s(500, goHTTP, "main.work")),
			blockProf("svc", s(50_000_000_000, goHTTP, "sync.(*Mutex).Lock", "runtime.semacquire1")),
			mutexProf("svc", s(50_000_000_000, goHTTP, "sync.(*Mutex).Unlock")),
		}},
		{"block and mutex only", []tprof{
			blockProf("svc", s(50_000_000_000, goHTTP, "sync.(*Mutex).Lock", "runtime.semacquire1", "runtime.blockevent")),
			mutexProf("svc", s(50_000_000_000, goHTTP, "sync.(*Mutex).Unlock", "sync.event")),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWindow()
			require.NoError(t, a.Accumulate(newBuilder().add(tc.profs...).pd, w))
			ss := w.Services["svc"]
			if ss == nil {
				return
			}
			for _, sig := range a.Evaluate(ss) {
				assert.False(t, sig.Active, "%s raised from block/mutex data (level %.4f)", sig.Rule, sig.Level)
			}
		})
	}
}

// TestVariant2EBPFUnnamedNeighbours: a named service shares an eBPF message
// with processes named only by their executable and with kernel threads;
// none of their CPU reaches the named service's denominator or rules.
func TestVariant2EBPFUnnamedNeighbours(t *testing.T) {
	b := newBuilder().add(
		ebpf("checkout-py",
			ev(4, ebpfPy("<module>", "/app/main.py"), ebpfPy("validate", "/app/views.py"), ebpfPy("compile", "/usr/lib/python3.12/re/_compiler.py")),
			ev(16, ebpfPy("<module>", "/app/main.py"), ebpfPy("render", "/app/views.py"))),
		ebpf("", ev(30, native("ngx_worker_process_cycle"), native("ngx_ssl_handshake"), native("SSL_do_handshake"))),
		ebpf("", ev(50, kernel("ret_from_fork"), kernel("kthread"), kernel("worker_thread"))),
		ebpf("", ev(40, ebpfPy("<module>", "/opt/other/cron.py"), ebpfPy("compile", "/usr/lib/python3.12/re/_compiler.py"))),
	)
	attrs := []map[string]string{
		{"process.executable.name": "python3.12", "k8s.deployment.name": "checkout-py"},
		{"process.executable.name": "nginx", "process.pid": "77"},
		{"process.executable.name": "kworker/u16:2", "process.pid": "12"},
		{"process.executable.name": "python3.11", "service.name": "unknown_service:python3.11"},
	}
	for i, rp := range b.pd.ResourceProfiles().All() {
		for k, val := range attrs[i] {
			rp.Resource().Attributes().PutStr(k, val)
		}
	}
	a := newTestAnalyzer(t, Options{MinSamples: 1, DefaultService: "checkout-py"})
	w := NewWindow()
	require.NoError(t, a.Accumulate(b.pd, w))
	ss := w.Services["checkout-py"]
	require.NotNil(t, ss)
	assert.InDelta(t, 20*50e6, ss.CPUValue, 1e-6, "only the named process's 20 events")
	require.Contains(t, ss.Rules, rRegex)
	assert.InDelta(t, 0.20, ss.Rules[rRegex].CPUValue/ss.CPUValue, 1e-9)
	assert.NotContains(t, ss.Rules, rTLS)
}
