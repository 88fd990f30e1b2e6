package attribution

// Catalog fixes checked against the libraries' sources (see the comments
// in internal/catalog/rules.yaml for file and line): the TLS full/resumed
// tags of Go crypto/tls, processCertsFromClient, sarama's consumer-only
// roots, the pyroscope-python SDK's own files, and net/http/pprof writing
// through an application's ResponseWriter wrapper. Shares go through the
// shared table driver (runVariants); the tag split has its own check.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	tlsPkg = "crypto/tls."
	// client handshake on net/http's addTLS goroutine (Go 1.26.8 transport.go)
	tlsClient = "net/http.(*persistConn).addTLS.func2"
)

func tlsClientStack(frames ...string) []string {
	return append([]string{tlsClient, tlsPkg + "(*Conn).HandshakeContext", tlsPkg + "(*Conn).handshakeContext",
		tlsPkg + "(*Conn).clientHandshake"}, frames...)
}

func tlsServerStack(frames ...string) []string {
	return append([]string{"net/http.(*conn).serve", tlsPkg + "(*Conn).HandshakeContext", tlsPkg + "(*Conn).handshakeContext",
		tlsPkg + "(*Conn).serverHandshake"}, frames...)
}

func st(n int64, frames []string) tsample { return s(n, frames...) }

// tlsFullOnly: full handshakes only, TLS 1.2 and 1.3 client, with samples in
// the steps every handshake runs (processServerHello, establishKeys,
// checkForResumption): none of them may be tagged resumed.
func tlsFullOnly() tprof {
	return cpuNanos("svc",
		// handshake_client.go:549: processServerHello runs in every TLS 1.2 handshake
		st(15, tlsClientStack(tlsPkg+"(*clientHandshakeState).handshake", tlsPkg+"(*clientHandshakeState).processServerHello",
			tlsPkg+"(*clientHandshakeState).pickCipherSuite")),
		// handshake_client.go:603: establishKeys after doFullHandshake
		st(10, tlsClientStack(tlsPkg+"(*clientHandshakeState).handshake", tlsPkg+"(*clientHandshakeState).establishKeys",
			tlsPkg+"keysFromMasterSecret")),
		st(20, tlsClientStack(tlsPkg+"(*clientHandshakeState).handshake", tlsPkg+"(*clientHandshakeState).doFullHandshake",
			tlsPkg+"(*Conn).verifyServerCertificate", "crypto/x509.(*Certificate).Verify")),
		// handshake_client_tls13.go:124: processServerHello in every TLS 1.3 handshake
		st(5, tlsClientStack(tlsPkg+"(*clientHandshakeStateTLS13).handshake", tlsPkg+"(*clientHandshakeStateTLS13).processServerHello")),
		// handshake_server_tls13.go:73: checkForResumption on every server handshake
		st(5, tlsServerStack(tlsPkg+"(*serverHandshakeStateTLS13).handshake", tlsPkg+"(*serverHandshakeStateTLS13).checkForResumption")),
		// the client certificate check: processCertsFromClient (handshake_server.go:946)
		st(5, tlsServerStack(tlsPkg+"(*serverHandshakeStateTLS13).handshake", tlsPkg+"(*serverHandshakeStateTLS13).readClientCertificate",
			tlsPkg+"(*Conn).processCertsFromClient", "crypto/x509.ParseCertificate")),
		st(5, tlsServerStack(tlsPkg+"(*serverHandshakeState).handshake", tlsPkg+"(*Conn).processCertsFromClient",
			"crypto/x509.ParseCertificate")),
		s(35, "main.work"))
}

// tlsResumed: resumptions on both ends; each tagged sample holds a frame that
// runs only when a session is resumed or offered.
func tlsResumed() tprof {
	return cpuNanos("svc",
		// server TLS 1.2: doResumeHandshake (handshake_server.go:80), ticket decryption (:472)
		st(10, tlsServerStack(tlsPkg+"(*serverHandshakeState).handshake", tlsPkg+"(*serverHandshakeState).doResumeHandshake")),
		st(10, tlsServerStack(tlsPkg+"(*serverHandshakeState).handshake", tlsPkg+"(*serverHandshakeState).checkForResumption",
			tlsPkg+"(*Config).decryptTicket", "crypto/internal/fips140/hmac.(*HMAC).Sum")),
		// server TLS 1.3: ticket parse and binder key (handshake_server_tls13.go:339,390)
		st(5, tlsServerStack(tlsPkg+"(*serverHandshakeStateTLS13).handshake", tlsPkg+"(*serverHandshakeStateTLS13).checkForResumption",
			tlsPkg+"ParseSessionState")),
		st(5, tlsServerStack(tlsPkg+"(*serverHandshakeStateTLS13).handshake", tlsPkg+"(*serverHandshakeStateTLS13).checkForResumption",
			"crypto/internal/fips140/tls13.(*EarlySecret).ResumptionBinderKey", "crypto/internal/fips140/tls13.ExpandLabel[go.shape.*crypto/internal/fips140/sha256.Digest]")),
		// client offering its cached session: binders (handshake_client.go:504)
		st(10, tlsClientStack(tlsPkg+"(*Conn).loadSession", tlsPkg+"computeAndUpdatePSK", tlsPkg+"(*clientHelloMsg).marshal")),
		// the key exchange both kinds share stays untagged
		st(10, tlsClientStack(tlsPkg+"(*clientHandshakeStateTLS13).handshake", tlsPkg+"(*clientHandshakeStateTLS13).establishHandshakeKeys",
			"crypto/ecdh.x25519ScalarMult")),
		s(50, "main.work"))
}

func catalogFixTLS() []variantCase {
	return []variantCase{
		v("fix tls: full handshakes with processServerHello/establishKeys/checkForResumption samples", map[string]float64{rTLS: 0.65}, tlsFullOnly()),
		v("fix tls: resumptions on both ends", map[string]float64{rTLS: 0.50}, tlsResumed()),
	}
}

func catalogFixKafka() []variantCase {
	sarama := "github.com/IBM/sarama."
	return []variantCase{
		v("fix sarama: the consumer's fetch path, record parsing and the claim loop count",
			map[string]float64{rKafka: 0.40},
			cpuNanos("svc",
				// consumer.go:1071,1304,1383 → broker.go:584,1212,1253
				s(20, sarama+"withRecover", sarama+"(*brokerConsumer).subscriptionConsumer", sarama+"(*brokerConsumer).fetchNewMessages",
					sarama+"(*Broker).Fetch", sarama+"(*Broker).sendAndReceive", sarama+"handleResponsePromise", sarama+"versionedDecode",
					sarama+"(*FetchResponse).decode"),
				s(10, sarama+"withRecover", sarama+"(*partitionConsumer).responseFeeder", sarama+"(*partitionConsumer).parseResponse",
					sarama+"(*partitionConsumer).parseRecords"),
				s(10, sarama+"(*consumerGroupSession).consume", sarama+"(*consumerGroupClaim).Messages"),
				s(60, "main.work"))),
		v("fix sarama negative: producer, metadata refresh and the broker's reader goroutine are not the consumer",
			none(),
			cpuNanos("svc",
				// a producer calling (*Broker).Produce → sendAndReceive (broker.go:563-573)
				s(30, "main.publish", sarama+"(*Broker).Produce", sarama+"(*Broker).sendAndReceive", sarama+"(*Broker).send",
					sarama+"(*Broker).sendInternal", sarama+"encode", sarama+"(*ProduceRequest).encode"),
				// the client's metadata refresher (client.go:245,954,974,1019)
				s(20, sarama+"withRecover", sarama+"(*client).backgroundMetadataUpdater", sarama+"(*client).refreshMetadata",
					sarama+"(*client).tryRefreshMetadata", sarama+"(*Broker).GetMetadata", sarama+"(*Broker).sendAndReceive",
					sarama+"handleResponsePromise", sarama+"versionedDecode", sarama+"(*MetadataResponse).decode"),
				// the connection's reader goroutine decoding produce responses (broker.go:316,538-541,1325)
				s(20, sarama+"withRecover", sarama+"(*Broker).responseReceiver", sarama+"(*responsePromise).handle",
					sarama+"(*Broker).AsyncProduce.func1", sarama+"versionedDecode", sarama+"(*ProduceResponse).decode"),
				s(10, sarama+"withRecover", sarama+"(*Broker).responseReceiver", sarama+"(*Broker).readFull", "crypto/tls.(*Conn).Read",
					"crypto/tls.(*Conn).readRecordOrCCS", "crypto/tls.(*halfConn).decrypt"),
				// a transactional producer's coordinator calls
				s(10, "main.publish", sarama+"(*Broker).InitProducerID", sarama+"(*Broker).sendAndReceive"),
				s(10, "main.work"))),
	}
}

func catalogFixPython() []variantCase {
	return []variantCase{
		v("fix python profiler: the installed SDK, absolute (eBPF, site/dist-packages, venv) and py-spy-shortened",
			map[string]float64{rProfiler: 0.20},
			ebpf("svc",
				ev(5, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("configure", "/usr/local/lib/python3.12/site-packages/pyroscope/__init__.py")),
				ev(5, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("tag_wrapper", "/app/.venv/lib/python3.12/site-packages/pyroscope/__init__.py")),
				ev(5, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("add_thread_tag", "/usr/lib/python3/dist-packages/pyroscope/_native.py")),
				ev(60, ebpfPy("<module>", "/srv/app/main.py"), ebpfPy("handle", "/srv/app/views.py"))),
			cpuNanos("svc",
				s(4, pyMain, pyspy("configure", "pyroscope/__init__.py")),
				s(1, pyMain, pyspy("configure", "pyroscope_io/__init__.py")),
				s(20, pyMain, pyspy("handle", "app/views.py")))),
		v("fix python profiler negative: application code in a directory or package named pyroscope",
			none(),
			ebpf("svc",
				// Pyroscope's own example apps: /app/pyroscope/server.py
				ev(40, ebpfPy("<module>", "/app/pyroscope/server.py"), ebpfPy("handle", "/app/pyroscope/server.py")),
				ev(20, ebpfPy("<module>", "/home/dev/src/pyroscope/examples/python/rideshare/server.py"),
					ebpfPy("find_nearest_vehicle", "/home/dev/src/pyroscope/examples/python/rideshare/utility/utility.py"))),
			cpuNanos("svc",
				// py-spy shortens a package's files to pyroscope/<module>.py
				s(40, pyspy("<module>", "pyroscope/server.py"), pyspy("handle", "pyroscope/server.py")))),
	}
}

func catalogFixPprofWriters() []variantCase {
	pp := "net/http/pprof."
	build := []string{"runtime/pprof.(*Profile).WriteTo", "runtime/pprof.writeHeap", "runtime/pprof.writeHeapInternal",
		"runtime/pprof.writeHeapProto", "runtime/pprof.(*profileBuilder).build", "compress/gzip.(*Writer).Close",
		"compress/flate.(*Writer).Close", "compress/flate.(*compressor).close", "compress/flate.(*huffmanBitWriter).write"}
	under := func(mw string, frames ...string) []string {
		out := []string{"net/http.(*conn).serve", "net/http.serverHandler.ServeHTTP", mw, "net/http.(*ServeMux).ServeHTTP",
			"net/http.HandlerFunc.ServeHTTP", pp + "Index", pp + "handler.ServeHTTP"}
		out = append(out, build...)
		return append(out, frames...)
	}
	pyro := "github.com/grafana/pyroscope-go."
	return []variantCase{
		v("fix go profiler: net/http/pprof writing through gzip, metrics, otelhttp and the application's own ResponseWriter wrappers",
			map[string]float64{rProfiler: 0.50},
			cpuNanos("svc",
				st(10, under("github.com/NYTimes/gziphandler.GzipHandlerWithOpts.func1.1",
					"github.com/NYTimes/gziphandler.(*GzipResponseWriter).Write", "github.com/NYTimes/gziphandler.(*GzipResponseWriter).startGzip",
					"compress/gzip.(*Writer).Write", "compress/flate.(*compressor).deflate")),
				st(10, under("github.com/prometheus/client_golang/prometheus/promhttp.InstrumentHandlerCounter.func1",
					"github.com/prometheus/client_golang/prometheus/promhttp.(*responseWriterDelegator).Write",
					"net/http.(*response).Write", "bufio.(*Writer).Write")),
				st(10, under("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp.(*middleware).serveHTTP",
					"github.com/felixge/httpsnoop.(*rw).Write", "github.com/felixge/httpsnoop.Wrap.func1",
					"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp/internal/request.(*RespWriterWrapper).Write",
					"net/http.(*response).Write")),
				st(10, under("main.logRequests.func1", "main.(*statusRecorder).Write", "main.(*statusRecorder).countBytes",
					"sync/atomic.(*Int64).Add")),
				// pprof.Profile's CPU profile writer goroutine writes into the same wrapper
				s(10, "runtime/pprof.profileWriter", "runtime/pprof.(*profileBuilder).build", "compress/gzip.(*Writer).Close",
					"compress/flate.(*huffmanBitWriter).write", "main.(*loggingResponseWriter).Write", "net/http.(*response).Write"),
				// the same wrappers serving the application's own pages are not the profiler's
				s(20, "net/http.(*conn).serve", "main.logRequests.func1", "main.api", "main.(*statusRecorder).Write", "net/http.(*response).Write"),
				s(30, "net/http.(*conn).serve", "main.logRequests.func1", "main.api", "main.work"))),
		v("fix go profiler negative: TagWrapper's callback stays the application's, writers below it too",
			none(),
			cpuNanos("svc",
				s(50, goHTTP, pyro+"TagWrapper", "runtime/pprof.Do", pyro+"TagWrapper.func1", "main.handler.func1",
					"main.(*statusRecorder).Write", "net/http.(*response).Write"),
				s(50, goHTTP, pyro+"TagWrapper", "runtime/pprof.Do", pyro+"TagWrapper.func1", "main.handler.func1", "main.work"))),
	}
}

func TestCatalogFixes(t *testing.T) {
	runVariants(t, catalogFixTLS(), catalogFixKafka(), catalogFixPython(), catalogFixPprofWriters())
}

// TestCatalogFixTLSTags: the full/resumed split per sample. A full handshake
// must carry no resumed CPU; resumed-only frames carry it.
func TestCatalogFixTLSTags(t *testing.T) {
	a := newTestAnalyzer(t, Options{MinSamples: 1})
	tags := func(p tprof) (map[string]float64, float64) {
		w := NewWindow()
		require.NoError(t, a.Accumulate(newBuilder().add(p).pd, w))
		rs := w.Services["svc"].Rules[rTLS]
		require.NotNil(t, rs)
		out := map[string]float64{}
		for k, v := range rs.Tags {
			out[k] = v / rs.CPUValue
		}
		return out, rs.CPUValue
	}

	full, _ := tags(tlsFullOnly())
	assert.Zero(t, full["resumed"], "a full handshake is never resumed")
	// doFullHandshake + the two processCertsFromClient samples, of 65
	assert.InDelta(t, 30.0/65, full["full"], 1e-9)

	res, _ := tags(tlsResumed())
	assert.InDelta(t, 40.0/50, res["resumed"], 1e-9)
	assert.Zero(t, res["full"])
}
