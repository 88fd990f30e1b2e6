package pyroscope

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/pprof/profile"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
	"go.opentelemetry.io/collector/receiver"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/inputfile"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// Same samples, same answer (docs/design.md §3): a profile gives identical
// advice whichever way it enters perfadvisor — a pprof file, OTLP protobuf,
// OTLP JSON (both as the CLI reads them) or a Pyroscope push through this
// receiver. Checked on every pprof fixture and on randomly built profiles
// whose stacks mix runtimes.

// encodedInput is one raw pprof and the Pyroscope profile name it is pushed as.
type encodedInput struct {
	raw  []byte
	name string // __name__: process_cpu, memory, block, mutex
}

// advice is what the four ways must agree on.
type advice struct {
	Findings []string
	Services []string
}

func adviceOf(t *testing.T, service string, batches []pprofile.Profiles) advice {
	t.Helper()
	adv, err := advisor.New(advisor.Default(), advisor.Replay, service)
	require.NoError(t, err)
	run := adv.NewRun()
	for _, pd := range batches {
		require.NoError(t, run.AddProfiles(pd))
	}
	res := run.Result()
	var out advice
	for _, f := range res.Findings {
		out.Findings = append(out.Findings, findingLine(f))
	}
	for _, s := range res.Services {
		out.Services = append(out.Services, fmt.Sprintf("%s judged=%v samples=%d seconds=%.4f runtimes=%v",
			s.Service, s.Judged, s.CPUSamples, s.CPUSeconds, s.Runtimes))
	}
	return out
}

func findingLine(f report.Finding) string {
	share := "null"
	if f.CPURatio != nil {
		share = fmt.Sprintf("%.4f %v", *f.CPURatio, f.CPURatioInterval)
	}
	return fmt.Sprintf("%s@%s share=%s severity=%s expected=%.4f samples=%d runtime=%s",
		f.Rule, f.Service, share, f.Severity, f.Expected(), f.Samples, f.Runtime)
}

// fourWays returns the advice for the inputs read as pprof files, as OTLP
// protobuf and OTLP JSON files, and pushed to the receiver.
func fourWays(t *testing.T, service string, inputs []encodedInput) map[string]advice {
	t.Helper()
	var fromPprof []pprofile.Profiles
	for _, in := range inputs {
		f, err := inputfile.Decode(in.raw, inputfile.Auto, inputfile.Limits{})
		require.NoError(t, err)
		fromPprof = append(fromPprof, f.Profiles...)
	}
	ways := map[string]advice{"pprof": adviceOf(t, service, fromPprof)}

	// The same profiles as an OTLP file names its service itself.
	var proto, js []pprofile.Profiles
	for _, pd := range fromPprof {
		named := pprofile.NewProfiles()
		pd.CopyTo(named)
		for _, rp := range named.ResourceProfiles().All() {
			rp.Resource().Attributes().PutStr("service.name", service)
		}
		req := pprofileotlp.NewExportRequestFromProfiles(named)
		pb, err := req.MarshalProto()
		require.NoError(t, err)
		f, err := inputfile.Decode(pb, inputfile.OTLPProfiles, inputfile.Limits{})
		require.NoError(t, err)
		proto = append(proto, f.Profiles...)
		jb, err := req.MarshalJSON()
		require.NoError(t, err)
		f, err = inputfile.Decode(jb, inputfile.Auto, inputfile.Limits{})
		require.NoError(t, err)
		js = append(js, f.Profiles...)
	}
	ways["otlp-protobuf"] = adviceOf(t, service, proto)
	ways["otlp-json"] = adviceOf(t, service, js)

	sink := new(consumertest.ProfilesSink)
	_, base := startReceiver(t, sink, receiver.Settings{}, nil)
	var req pushv1.PushRequest
	for _, in := range inputs {
		req.Series = append(req.Series, series(in.raw, "__name__", in.name, "service_name", service))
	}
	_, err := pushv1connect.NewPusherServiceClient(http.DefaultClient, base).Push(context.Background(), connect.NewRequest(&req))
	require.NoError(t, err)
	ways["pyroscope-push"] = adviceOf(t, service, sink.AllProfiles())
	return ways
}

func assertOneAnswer(t *testing.T, ways map[string]advice) {
	t.Helper()
	want := ways["pprof"]
	for _, way := range []string{"otlp-protobuf", "otlp-json", "pyroscope-push"} {
		assert.Equal(t, want, ways[way], "%s differs from the pprof file", way)
	}
}

// pyroscopeName is the profile name Alloy and the SDKs push a pprof under.
func pyroscopeName(t *testing.T, raw []byte) string {
	t.Helper()
	p, err := profile.ParseData(raw)
	require.NoError(t, err)
	for _, st := range p.SampleType {
		switch {
		case st.Type == "cpu" || st.Type == "samples" && p.PeriodType != nil && p.PeriodType.Type == "cpu":
			return "process_cpu"
		case strings.HasPrefix(st.Type, "alloc_") || strings.HasPrefix(st.Type, "inuse_"):
			return "memory"
		case st.Type == "contentions" || st.Type == "delay":
			if strings.Contains(strings.ToLower(p.DefaultSampleType), "mutex") {
				return "mutex"
			}
			return "block"
		}
	}
	return "process_cpu"
}

func TestEncodingsGiveOneAnswerOnFixtures(t *testing.T) {
	expects, err := filepath.Glob("../../testdata/fixtures/*/expect.json")
	require.NoError(t, err)
	cases := 0
	for _, path := range expects {
		var exp struct {
			Inputs  []string `json:"inputs"`
			Service string   `json:"service"`
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &exp))
		var inputs []encodedInput
		for _, in := range exp.Inputs {
			raw, err := os.ReadFile(filepath.Join(filepath.Dir(path), in))
			require.NoError(t, err)
			if _, err := profile.ParseData(raw); err != nil || bytes.HasPrefix(raw, []byte("{")) {
				inputs = nil // OTLP or metrics: not a pprof case
				break
			}
			inputs = append(inputs, encodedInput{raw: raw})
		}
		if len(inputs) == 0 {
			continue
		}
		cases++
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			for i := range inputs {
				inputs[i].name = pyroscopeName(t, inputs[i].raw)
			}
			ways := fourWays(t, exp.Service, inputs)
			assertOneAnswer(t, ways)
		})
	}
	require.Positive(t, cases)
}

// framePool mixes the runtimes a real fleet sends, with the catalog's roots,
// exclusions and cut-offs among ordinary frames.
var framePool = []struct{ name, file string }{
	{"runtime.goexit", "runtime/asm_amd64.s"},
	{"net/http.(*conn).serve", "net/http/server.go"},
	{"main.handleCheckout", "/app/main.go"},
	{"main.init", "/app/main.go"},
	{"runtime.doInit1", "runtime/proc.go"},
	{"regexp.MustCompile", "regexp/regexp.go"},
	{"regexp.Compile", "regexp/regexp.go"},
	{"regexp/syntax.Parse", "regexp/syntax/parse.go"},
	{"crypto/tls.(*Conn).HandshakeContext", "crypto/tls/conn.go"},
	{"crypto/tls.(*Conn).clientHandshake", "crypto/tls/handshake_client.go"},
	{"crypto/tls.(*Conn).Read", "crypto/tls/conn.go"},
	{"net.(*Resolver).lookupIPAddr", "net/lookup.go"},
	{"runtime.mallocgc", "runtime/malloc.go"},
	{"runtime.gcBgMarkWorker", "runtime/mgc.go"},
	{"runtime/pprof.(*profileBuilder).addCPUData", "runtime/pprof/proto.go"},
	{"database/sql.(*DB).conn", "database/sql/sql.go"},
	{"github.com/jackc/pgx/v5.connect", "github.com/jackc/pgx/v5/conn.go"},
	{"github.com/twmb/franz-go/pkg/kgo.(*Client).PollFetches", "kgo/consumer.go"},
	{"github.com/twmb/franz-go/pkg/kgo.Fetches.EachRecord", "kgo/record_and_fetch.go"},
	{"org.apache.kafka.clients.consumer.KafkaConsumer.poll", "KafkaConsumer.java"},
	{"java.util.regex.Pattern.compile", "Pattern.java"},
	{"compile", "re/_compiler.py"},
	{"_compile", "re/__init__.py"},
	{"handle_request", "/srv/app/views.py"},
	{"getaddrinfo", "libc.so.6"},
	{"SSL_do_handshake", "libssl.so.3"},
	{"sort.Slice", "sort/slice.go"},
	{"encoding/json.Marshal", "encoding/json/encode.go"},
}

// randomCPUProfile builds a Go-style CPU profile (samples/count, cpu/ns at
// 100 Hz) of random stacks drawn from framePool.
func randomCPUProfile(rng *rand.Rand) *profile.Profile {
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        10_000_000,
		TimeNanos:     1_764_000_000_000_000_000,
		DurationNanos: 10_000_000_000,
	}
	locs := make([]*profile.Location, len(framePool))
	for i, f := range framePool {
		fn := &profile.Function{ID: uint64(i + 1), Name: f.name, SystemName: f.name, Filename: f.file}
		p.Function = append(p.Function, fn)
		locs[i] = &profile.Location{ID: uint64(i + 1), Line: []profile.Line{{Function: fn, Line: int64(10 + i)}}}
		p.Location = append(p.Location, locs[i])
	}
	for range 80 + rng.Intn(400) {
		depth := 1 + rng.Intn(12)
		stack := make([]*profile.Location, depth) // leaf first
		for d := range stack {
			stack[d] = locs[rng.Intn(len(locs))]
		}
		n := int64(1 + rng.Intn(5))
		p.Sample = append(p.Sample, &profile.Sample{Location: stack, Value: []int64{n, n * p.Period}})
	}
	return p
}

func TestEncodingsGiveOneAnswerOnRandomProfiles(t *testing.T) {
	rng := rand.New(rand.NewSource(20261207))
	found := 0
	for i := range 25 {
		p := randomCPUProfile(rng)
		var buf bytes.Buffer
		require.NoError(t, p.Write(&buf))
		t.Run(fmt.Sprintf("random-%02d", i), func(t *testing.T) {
			ways := fourWays(t, "random-service", []encodedInput{{raw: buf.Bytes(), name: "process_cpu"}})
			assertOneAnswer(t, ways)
			found += len(ways["pprof"].Findings)
		})
	}
	require.Positive(t, found, "random stacks that never match a rule would prove nothing")
}
