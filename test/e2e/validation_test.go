//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validationConfig: Pyroscope pushes labelled with a version feed
// perfadvisor; comparisons go to Prometheus (gauges) and the sink (events).
const validationConfig = `
receivers:
  pyroscope:
    endpoint: 127.0.0.1:%[1]d
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
    validation:
      min_windows: 3
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
    metrics: {level: none}
  pipelines:
    profiles:
      receivers: [pyroscope]
      processors: [perfadvisor]
      exporters: [otlphttp/sink]
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus]
    logs:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [otlphttp/sink]
`

// Three services deploy a new version over the Pyroscope push API, labelled
// `version` as Alloy relabels it or an SDK tags it:
//   - val-fix goes from regex-a's profile (regex compiled per request) to
//     regex-neg's (compiled once): the realized reduction and its event;
//   - val-worse goes the other way: deploy_cpu_regression is raised;
//   - val-rolling runs both versions in the same windows (a rolling deploy):
//     the side-by-side comparison.
func TestValidationEndToEnd(t *testing.T) {
	pyroPort, otlpPort, promPort := FreePort(t), FreePort(t), FreePort(t)
	sink := newOTLPSink(t)
	StartCollector(t, fmt.Sprintf(validationConfig, pyroPort, otlpPort, promPort, sink.URL()))
	pusher := pushv1connect.NewPusherServiceClient(http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d", pyroPort))

	read := func(fixture string) []byte {
		b, err := os.ReadFile(RepoPath(t, "testdata", "fixtures", fixture, "cpu.pb.gz"))
		require.NoError(t, err)
		return b
	}
	regex, clean := read("regex-a"), read("regex-neg")
	series := func(raw []byte, service, version string, at time.Time) *pushv1.RawProfileSeries {
		return &pushv1.RawProfileSeries{
			Labels: []*typesv1.LabelPair{
				{Name: "__name__", Value: "process_cpu"},
				{Name: "service_name", Value: service},
				{Name: "version", Value: version},
			},
			Samples: []*pushv1.RawSample{{RawProfile: restampPprof(t, raw, at)}},
		}
	}
	// Minute-aligned windows in the past: each push closes the window before.
	base := time.Now().Add(-20 * time.Minute).Truncate(time.Minute)
	for k := range 7 {
		at := base.Add(time.Duration(k)*time.Minute + 5*time.Second)
		fix, worse := series(regex, "val-fix", "v1", at), series(clean, "val-worse", "v1", at)
		if k >= 3 {
			fix, worse = series(clean, "val-fix", "v2", at), series(regex, "val-worse", "v2", at)
		}
		req := &pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{fix, worse,
			series(regex, "val-rolling", "r1", at), series(clean, "val-rolling", "r2", at)}}
		_, err := pusher.Push(context.Background(), connect.NewRequest(req))
		require.NoError(t, err, "push %d", k)
	}

	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	validationGauge := func(samples []PromSample, service, before, after, mode string) (float64, bool) {
		for _, s := range samples {
			if s.Name == "perfadvisor_validation_realized_cpu_reduction_ratio" && s.Labels["job"] == service &&
				s.Labels["perfadvisor_rule"] == "regex_compile_hot_path" && s.Labels["perfadvisor_version_before"] == before &&
				s.Labels["perfadvisor_version_after"] == after && s.Labels["perfadvisor_validation_mode"] == mode {
				return s.Value, true
			}
		}
		return 0, false
	}

	t.Run("a fix gives the realized reduction and its event", func(t *testing.T) {
		var realized float64
		Eventually(t, 60*time.Second, func() (bool, string) {
			var ok bool
			realized, ok = validationGauge(ScrapeProm(t, promURL), "val-fix", "v1", "v2", "sequential")
			return ok, "no realized-reduction gauge for val-fix v1→v2 yet"
		})
		t.Logf("val-fix v1→v2: realized reduction of regex_compile_hot_path %.4f", realized)
		assert.Greater(t, realized, 0.25, "regex-a compiles in ~36%% of CPU, regex-neg in ~0%%")
		Eventually(t, 30*time.Second, func() (bool, string) {
			ev, ok := sink.findEvent("val-fix", "regex_compile_hot_path", "perfadvisor.validation.result")
			if !ok {
				return false, "no perfadvisor.validation.result event for val-fix"
			}
			v, _ := ev.Attributes().Get("perfadvisor.verdict")
			return v.Str() == "fixed" || v.Str() == "improved", "verdict " + v.Str()
		})
	})

	t.Run("a change for the worse raises deploy_cpu_regression", func(t *testing.T) {
		Eventually(t, 60*time.Second, func() (bool, string) {
			s, ok := findSample(ScrapeProm(t, promURL), "perfadvisor_finding_active", "val-worse", "deploy_cpu_regression")
			return ok && s.Value == 1, "no perfadvisor_finding_active{job=val-worse,perfadvisor_rule=deploy_cpu_regression}"
		})
		_, ok := sink.findEvent("val-worse", "deploy_cpu_regression", "perfadvisor.finding.raised")
		assert.True(t, ok, "the raised event reaches the logs pipeline")
	})

	t.Run("combined savings and the fleet rank are gauges", func(t *testing.T) {
		Eventually(t, 60*time.Second, func() (bool, string) {
			samples := ScrapeProm(t, promURL)
			share, ok1 := findSample(samples, "perfadvisor_service_expected_cpu_reduction_ratio", "val-worse", "")
			saved, ok2 := findSample(samples, "perfadvisor_service_expected_cores_saved", "val-worse", "")
			rank, ok3 := findSample(samples, "perfadvisor_service_savings_rank", "val-worse", "")
			if !ok1 || !ok2 || !ok3 {
				return false, "no savings gauges for val-worse yet"
			}
			t.Logf("val-worse: combined saving %.4f of CPU, %.4f cores, rank %v", share.Value, saved.Value, rank.Value)
			return share.Value > 0.25 && saved.Value > 0 && rank.Value >= 1, fmt.Sprintf("share %v cores %v rank %v", share.Value, saved.Value, rank.Value)
		})
	})

	t.Run("a rolling deploy is compared side by side", func(t *testing.T) {
		var realized float64
		Eventually(t, 60*time.Second, func() (bool, string) {
			var ok bool
			realized, ok = validationGauge(ScrapeProm(t, promURL), "val-rolling", "r1", "r2", "side_by_side")
			return ok, "no side-by-side gauge for val-rolling r1→r2"
		})
		assert.Greater(t, realized, 0.25)
	})
}
