//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	pyroscopego "github.com/grafana/pyroscope-go"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// pyroscopeConfig: the Pyroscope receiver feeds perfadvisor's profiles
// pipeline; advice goes to the prometheus exporter; profiles pass on to a sink.
const pyroscopeConfig = `
receivers:
  pyroscope:
    endpoint: 127.0.0.1:%[1]d
    include_metadata: true
  otlp:
    protocols:
      http: {endpoint: 127.0.0.1:%[2]d}
processors:
  perfadvisor:
    window: 60s
    allowed_lateness: 1s
    emit_interval: 1s
    for: 0s
    keep_firing_for: 10m
exporters:
  prometheus:
    endpoint: 127.0.0.1:%[3]d
  otlphttp/sink:
    endpoint: %[4]s
    compression: none
    sending_queue: {enabled: false}
    retry_on_failure: {enabled: false}
service:
  telemetry:
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus: {host: 127.0.0.1, port: %[5]d}
  pipelines:
    profiles:
      receivers: [pyroscope]
      processors: [perfadvisor]
      exporters: [otlphttp/sink]
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus]
`

func TestPyroscopeReceiverEndToEnd(t *testing.T) {
	pyroPort, otlpPort, promPort, telPort := FreePort(t), FreePort(t), FreePort(t), FreePort(t)
	sink := newOTLPSink(t)
	StartCollector(t, fmt.Sprintf(pyroscopeConfig, pyroPort, otlpPort, promPort, sink.URL(), telPort))
	pyroURL := fmt.Sprintf("http://127.0.0.1:%d", pyroPort)

	// Alloy's pyroscope.write: the connect client, labels with __name__ and
	// service_name, the tenant header. Three copies of regex-a's CPU profile,
	// one per minute-aligned window, so the third closes the first two.
	cpuPath := RepoPath(t, "testdata", "fixtures", "regex-a", "cpu.pb.gz")
	raw, err := os.ReadFile(cpuPath)
	require.NoError(t, err)
	const svc = "regex-svc"
	pusher := pushv1connect.NewPusherServiceClient(http.DefaultClient, pyroURL)
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	for k := 0; k < 3; k++ {
		req := connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{{
			Labels: []*typesv1.LabelPair{
				{Name: "__name__", Value: "process_cpu"},
				{Name: "service_name", Value: svc},
				{Name: "namespace", Value: "shop"},
			},
			Samples: []*pushv1.RawSample{{RawProfile: restampPprof(t, raw, base.Add(time.Duration(k)*time.Minute+5*time.Second))}},
		}}})
		req.Header().Set("X-Scope-OrgID", "tenant-a")
		_, err := pusher.Push(context.Background(), req)
		require.NoError(t, err, "push %d", k)
	}

	// The pyroscope-go SDK profiling this test process, uploading to /ingest.
	prof, err := pyroscopego.Start(pyroscopego.Config{
		ApplicationName: "sdk-app",
		ServerAddress:   pyroURL,
		UploadRate:      time.Second,
		ProfileTypes:    []pyroscopego.ProfileType{pyroscopego.ProfileCPU, pyroscopego.ProfileAllocSpace, pyroscopego.ProfileGoroutines},
	})
	require.NoError(t, err)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 4096)
		for {
			select {
			case <-done:
				return
			default:
			}
			s := sha256.Sum256(buf)
			buf[0] = s[0]
		}
	})
	stopSDK := sync.OnceFunc(func() {
		close(done)
		wg.Wait()
		_ = prof.Stop()
	})
	t.Cleanup(stopSDK)

	var cliRatio float64
	t.Run("regex finding has the CLI's cpu_ratio", func(t *testing.T) {
		var out struct {
			Findings []struct {
				Rule     string   `json:"rule"`
				Service  string   `json:"service"`
				CPURatio *float64 `json:"cpu_ratio"`
			} `json:"findings"`
		}
		js := RunCLI(t, "analyze", "--format", "json", "--service", svc, cpuPath)
		require.NoError(t, json.Unmarshal([]byte(js), &out), js)
		for _, f := range out.Findings {
			if f.Rule == "regex_compile_hot_path" && f.Service == svc && f.CPURatio != nil {
				cliRatio = *f.CPURatio
			}
		}
		require.NotZero(t, cliRatio, "the CLI finds regex_compile_hot_path in %s: %s", cpuPath, js)

		promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
		var got PromSample
		Eventually(t, 90*time.Second, func() (bool, string) {
			var ok bool
			got, ok = findSample(ScrapeProm(t, promURL), "perfadvisor_finding_cpu_ratio", svc, "regex_compile_hot_path")
			return ok, "no perfadvisor_finding_cpu_ratio{job=regex-svc,perfadvisor_rule=regex_compile_hot_path} yet"
		})
		t.Logf("regex-svc cpu_ratio: collector via Pyroscope push %.4f, CLI on the file %.4f", got.Value, cliRatio)
		assert.InDelta(t, cliRatio, got.Value, 0.005)
	})

	t.Run("pushed profiles pass through with service and profile name", func(t *testing.T) {
		want := fixtureWeight(t, raw)
		Eventually(t, 30*time.Second, func() (bool, string) {
			n := 0
			for _, pd := range sink.profiles() {
				if w, ok := weightOf(pd, svc, "process_cpu", "cpu"); ok && w == want {
					n++
				}
			}
			return n == 3, fmt.Sprintf("%d of 3 pushed copies with cpu weight %d at the sink", n, want)
		})
	})

	t.Run("pyroscope-go SDK profiles arrive through /ingest", func(t *testing.T) {
		Eventually(t, 60*time.Second, func() (bool, string) {
			seen := map[string]bool{}
			for _, pd := range sink.profiles() {
				for _, name := range []string{"process_cpu", "memory", "goroutine"} {
					if _, ok := weightOf(pd, "sdk-app", name, ""); ok {
						seen[name] = true
					}
				}
			}
			return len(seen) == 3, fmt.Sprintf("sdk-app profile names at the sink: %v", seen)
		})
		stopSDK()
	})

	t.Run("gRPC over h2c reaches the pipeline", func(t *testing.T) {
		var protocols http.Protocols
		protocols.SetUnencryptedHTTP2(true)
		h2c := &http.Client{Transport: &http.Transport{Protocols: &protocols}}
		block, err := os.ReadFile(RepoPath(t, "testdata", "fixtures", "profiler-a", "block.pb.gz"))
		require.NoError(t, err)
		_, err = pushv1connect.NewPusherServiceClient(h2c, pyroURL, connect.WithGRPC()).Push(context.Background(),
			connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{{
				Labels:  []*typesv1.LabelPair{{Name: "__name__", Value: "block"}, {Name: "service_name", Value: "grpc-svc"}},
				Samples: []*pushv1.RawSample{{RawProfile: block}},
			}}}))
		require.NoError(t, err)
		Eventually(t, 30*time.Second, func() (bool, string) {
			for _, pd := range sink.profiles() {
				if _, ok := weightOf(pd, "grpc-svc", "block", "delay"); ok {
					return true, ""
				}
			}
			return false, "no block profile of grpc-svc at the sink"
		})
	})

	t.Run("self-telemetry counts requests and rejects", func(t *testing.T) {
		// One bad push: a raw profile that is not pprof.
		_, err := pusher.Push(context.Background(), connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{{
			Labels:  []*typesv1.LabelPair{{Name: "service_name", Value: svc}},
			Samples: []*pushv1.RawSample{{RawProfile: []byte("not a profile")}},
		}}}))
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "error: %v", err)

		telURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", telPort)
		Eventually(t, 30*time.Second, func() (bool, string) {
			var accepted, rejected, sdkIngests float64
			for _, s := range ScrapeProm(t, telURL) {
				switch {
				case s.Name == "otelcol_receiver_pyroscope_profiles" && s.Labels["endpoint"] == "push":
					accepted = s.Value
				case s.Name == "otelcol_receiver_pyroscope_profiles" && s.Labels["endpoint"] == "ingest":
					sdkIngests = s.Value
				case s.Name == "otelcol_receiver_pyroscope_rejects" && s.Labels["endpoint"] == "push" && s.Labels["reason"] == "bad_profile":
					rejected = s.Value
				}
			}
			return accepted == 4 && rejected == 1 && sdkIngests > 0, fmt.Sprintf(
				"push profiles %v (want 4: three copies and the gRPC one), push bad_profile rejects %v (want 1), ingest profiles %v (want > 0)", accepted, rejected, sdkIngests)
		})
	})
}

// restampPprof rewrites a pprof's start time (the engine runs on event time).
func restampPprof(t *testing.T, raw []byte, start time.Time) []byte {
	t.Helper()
	p, err := pprofconv.Parse(raw, 64<<20)
	require.NoError(t, err)
	p.TimeNanos = start.UnixNano()
	var buf bytes.Buffer
	require.NoError(t, p.Write(&buf)) // gzipped, as runtime/pprof writes it
	return buf.Bytes()
}

// fixtureWeight sums the cpu sample type of a pprof.
func fixtureWeight(t *testing.T, raw []byte) int64 {
	t.Helper()
	p, err := pprofconv.Parse(raw, 64<<20)
	require.NoError(t, err)
	var sum int64
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			for _, s := range p.Sample {
				sum += s.Value[i]
			}
		}
	}
	return sum
}

// weightOf sums the values of the profiles of service with the given
// pyroscope.profile.name (and sample type, when not empty); ok when one exists.
func weightOf(pd pprofile.Profiles, service, name, sampleType string) (int64, bool) {
	dict := pd.Dictionary()
	strs := dict.StringTable()
	str := func(i int32) string {
		if i < 0 || int(i) >= strs.Len() {
			return ""
		}
		return strs.At(int(i))
	}
	var sum int64
	found := false
	for _, rp := range pd.ResourceProfiles().All() {
		if v, ok := rp.Resource().Attributes().Get("service.name"); !ok || v.AsString() != service {
			continue
		}
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				attrs, err := pprofile.FromAttributeIndices(dict.AttributeTable(), p, dict)
				if err != nil {
					continue
				}
				if v, ok := attrs.Get(pprofconv.ProfileNameAttr); !ok || v.AsString() != name {
					continue
				}
				if sampleType != "" && str(p.SampleType().TypeStrindex()) != sampleType {
					continue
				}
				found = true
				for _, s := range p.Samples().All() {
					for _, v := range s.Values().All() {
						sum += v
					}
				}
			}
		}
	}
	return sum, found
}
