//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pprofiletest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// processorScope is the instrumentation scope of everything perfadvisor emits.
const processorScope = "github.com/perfadvisor/perfadvisor/processor/perfadvisor"

// profilesConfig: every signal through perfadvisor; advice to Prometheus and
// the debug exporter; everything also to the sink, to check pass-through.
const profilesConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 127.0.0.1:%[1]d}
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
  debug:
    verbosity: detailed
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
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [otlphttp/sink]
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus, otlphttp/sink]
    logs:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [debug, otlphttp/sink]
`

// transport sends one OTLP profiles message to the collector.
type transport struct {
	name string
	send func(t *testing.T, pd pprofile.Profiles)
}

// profileCase is a fixture sent over one transport; rule is the finding it must raise.
type profileCase struct {
	fixture   string
	rule      string
	transport string
}

func TestProfilesEndToEnd(t *testing.T) {
	grpcPort, httpPort, promPort := FreePort(t), FreePort(t), FreePort(t)
	sink := newOTLPSink(t)
	col := StartCollector(t, fmt.Sprintf(profilesConfig, grpcPort, httpPort, promPort, sink.URL()))
	httpURL := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	transports := map[string]transport{
		"http-protobuf": {"http-protobuf", func(t *testing.T, pd pprofile.Profiles) { postProfiles(t, httpURL, pd, "application/x-protobuf") }},
		"http-json":     {"http-json", func(t *testing.T, pd pprofile.Profiles) { postProfiles(t, httpURL, pd, "application/json") }},
		"grpc":          {"grpc", grpcProfilesSender(t, grpcPort)},
	}
	cases := []profileCase{
		{fixture: "regex-a", rule: "regex_compile_hot_path", transport: "http-protobuf"},
		{fixture: "tls-a", rule: "tls_handshake_overhead", transport: "http-json"},
		{fixture: "db-a", rule: "db_connection_churn", transport: "grpc"},
	}

	// Event time: minute-aligned windows in the recent past; profile k of a
	// case starts 5 s into window k, so each window holds one copy of it and
	// the third copy's start closes the first two windows.
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	const rounds = 3
	var sent []pprofile.Profiles // what went in, to compare with what came out
	for k := 0; k < rounds; k++ {
		start := base.Add(time.Duration(k)*time.Minute + 5*time.Second)
		for _, c := range cases {
			pd := fixtureProfiles(t, c.fixture)
			setProfileStart(pd, start)
			kept := pprofile.NewProfiles()
			pd.CopyTo(kept) // the HTTP marshalers intern attributes into their input
			sent = append(sent, kept)
			transports[c.transport].send(t, pd)
		}
	}
	fleet := fleetMetrics(t, "fleet-outlier-a", base.Add(2*time.Minute))
	sentMetrics := pmetric.NewMetrics()
	fleet.CopyTo(sentMetrics)
	postMetrics(t, httpURL, fleet)

	// What the CLI reports on the same files is the reference for every share.
	cliRatio := map[string]float64{}
	for _, c := range cases {
		cliRatio[c.fixture] = cliCPURatio(t, c.fixture, c.rule)
	}

	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	var samples []PromSample
	Eventually(t, 90*time.Second, func() (bool, string) {
		samples = ScrapeProm(t, promURL)
		for _, c := range cases {
			svc := fixtureService(t, c.fixture)
			if _, ok := findSample(samples, "perfadvisor_finding_active", svc, c.rule); !ok {
				return false, fmt.Sprintf("no perfadvisor_finding_active for %s/%s yet", svc, c.rule)
			}
		}
		if _, ok := findSample(samples, "perfadvisor_finding_active", "checkout", "service_cpu_outlier"); !ok {
			return false, "no perfadvisor_finding_active for checkout/service_cpu_outlier yet"
		}
		return true, ""
	})

	t.Run("advisory metrics carry the Prometheus names of docs/design.md", func(t *testing.T) {
		tests := []struct {
			name      string
			rule      string // "" when the series has no rule label
			severity  bool   // the series carries perfadvisor_severity
			wantValue func(float64) bool
		}{
			{name: "perfadvisor_finding_active", rule: "regex_compile_hot_path", severity: true, wantValue: func(v float64) bool { return v == 1 }},
			{name: "perfadvisor_finding_cpu_ratio", rule: "regex_compile_hot_path", severity: true, wantValue: func(v float64) bool { return v > 0 && v <= 1 }},
			{name: "perfadvisor_finding_expected_cpu_reduction_ratio", rule: "regex_compile_hot_path", severity: true, wantValue: func(v float64) bool { return v > 0 && v <= 1 }},
			{name: "perfadvisor_rule_cpu_time_seconds_total", rule: "regex_compile_hot_path", wantValue: func(v float64) bool { return v > 0 }},
			{name: "perfadvisor_service_profiled_cpu_time_seconds_total", wantValue: func(v float64) bool { return v > 0 }},
			{name: "perfadvisor_service_cpu_usage", wantValue: func(v float64) bool { return v > 0 }},
			{name: "perfadvisor_service_cpu_fleet_median_ratio", wantValue: func(v float64) bool { return v > 0 }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s, ok := findSample(samples, tt.name, "checkout", tt.rule)
				require.True(t, ok, "no %s{job=checkout,perfadvisor_rule=%q} among %s", tt.name, tt.rule, promNames(samples))
				assert.True(t, tt.wantValue(s.Value), "value %v", s.Value)
				_, hasSeverity := s.Labels["perfadvisor_severity"]
				assert.Equal(t, tt.severity, hasSeverity, "perfadvisor_severity label: %v", s.Labels)
			})
		}
	})

	for _, c := range cases {
		t.Run("cpu_ratio equals the CLI's/"+c.fixture+" over "+c.transport, func(t *testing.T) {
			svc := fixtureService(t, c.fixture)
			s, ok := findSample(samples, "perfadvisor_finding_cpu_ratio", svc, c.rule)
			require.True(t, ok, "no perfadvisor_finding_cpu_ratio for %s/%s", svc, c.rule)
			t.Logf("%s/%s cpu_ratio: collector %.4f, CLI %.4f", svc, c.rule, s.Value, cliRatio[c.fixture])
			assert.InDelta(t, cliRatio[c.fixture], s.Value, 0.005, "collector vs `perfadvisor analyze`")
		})
	}

	t.Run("finding events reach the logs pipeline", func(t *testing.T) {
		for _, c := range cases {
			svc := fixtureService(t, c.fixture)
			var ev plog.LogRecord
			Eventually(t, 30*time.Second, func() (bool, string) {
				var ok bool
				ev, ok = sink.findEvent(svc, c.rule, "perfadvisor.finding.raised")
				return ok, fmt.Sprintf("no perfadvisor.finding.raised event for %s/%s in the sink", svc, c.rule)
			})
			attrs := ev.Attributes()
			sev := attrStr(attrs, "perfadvisor.severity")
			wantNumber := map[string]plog.SeverityNumber{"info": plog.SeverityNumberInfo, "warning": plog.SeverityNumberWarn, "critical": plog.SeverityNumberError}
			require.Contains(t, wantNumber, sev, "perfadvisor.severity")
			assert.Equal(t, wantNumber[sev], ev.SeverityNumber(), "log severity follows perfadvisor.severity")
			ratio, ok := attrs.Get("perfadvisor.cpu_ratio")
			require.True(t, ok, "perfadvisor.cpu_ratio attribute")
			assert.InDelta(t, cliRatio[c.fixture], ratio.Double(), 0.005)
			assert.NotEmpty(t, attrStr(attrs, "perfadvisor.recommendation"))
			assert.NotEmpty(t, attrStr(attrs, "perfadvisor.evidence"))
			_, ok = attrs.Get("perfadvisor.expected_cpu_reduction")
			assert.True(t, ok, "perfadvisor.expected_cpu_reduction attribute")
			assert.NotEmpty(t, ev.Body().AsString(), "the body is a sentence")
		}
		assert.Contains(t, col.Logs(), "perfadvisor.finding.raised", "the debug exporter prints the events")
	})

	t.Run("profiles leave unchanged", func(t *testing.T) {
		got := sink.profiles()
		require.Len(t, got, len(sent), "one exported message per message sent")
		for i, want := range sent {
			key := profileKey(want)
			var match *pprofile.Profiles
			for j := range got {
				if profileKey(got[j]) == key {
					match = &got[j]
					break
				}
			}
			require.NotNil(t, match, "message %d (%s) not exported", i, key)
			assert.NoError(t, pprofiletest.CompareProfiles(want, *match), "message %d (%s)", i, key)
		}
	})

	t.Run("metrics leave unchanged", func(t *testing.T) {
		var passed []pmetric.Metrics
		for _, md := range sink.metrics() {
			if !onlyScope(md, processorScope) {
				passed = append(passed, md)
			}
		}
		require.Len(t, passed, 1, "the fleet message, and advice only besides it")
		assert.NoError(t, pmetrictest.CompareMetrics(sentMetrics, passed[0]))
	})
}

// cpuNanosProfile returns the cpu/nanoseconds profile of pd.
func cpuNanosProfile(t *testing.T, pd pprofile.Profiles) pprofile.Profile {
	t.Helper()
	strs := pd.Dictionary().StringTable()
	for _, rp := range pd.ResourceProfiles().All() {
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				st := p.SampleType()
				if strs.At(int(st.TypeStrindex())) == "cpu" && strs.At(int(st.UnitStrindex())) == "nanoseconds" {
					return p
				}
			}
		}
	}
	t.Fatal("no cpu/nanoseconds profile")
	return pprofile.NewProfile()
}

// marshalProfiles encodes a copy of pd (the marshaler interns into its input).
func marshalProfiles(t *testing.T, pd pprofile.Profiles) []byte {
	t.Helper()
	cp := pprofile.NewProfiles()
	pd.CopyTo(cp)
	b, err := pprofileotlp.NewExportRequestFromProfiles(cp).MarshalProto()
	require.NoError(t, err)
	return b
}

// fixtureDir is a fixture case folder inside this repository.
func fixtureDir(t *testing.T, name string) string { return RepoPath(t, "testdata", "fixtures", name) }

type expectJSON struct {
	Service string   `json:"service"`
	Inputs  []string `json:"inputs"`
}

func readExpectJSON(t *testing.T, name string) expectJSON {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir(t, name), "expect.json"))
	require.NoError(t, err)
	var e expectJSON
	require.NoError(t, json.Unmarshal(b, &e))
	require.NotEmpty(t, e.Service, "%s/expect.json: service", name)
	return e
}

func fixtureService(t *testing.T, name string) string { return readExpectJSON(t, name).Service }

// fixtureProfiles converts a case's pprof inputs to one OTLP message, named
// with the case's service as a profiler with resource detection would send it.
func fixtureProfiles(t *testing.T, name string) pprofile.Profiles {
	t.Helper()
	e := readExpectJSON(t, name)
	pd := pprofile.NewProfiles()
	b, err := pprofconv.NewBuilder(pd)
	require.NoError(t, err)
	for _, in := range e.Inputs {
		data, err := os.ReadFile(filepath.Join(fixtureDir(t, name), in))
		require.NoError(t, err)
		require.NoError(t, b.AppendBytes(data, 64<<20, map[string]string{"service.name": e.Service}), "%s/%s", name, in)
	}
	return pd
}

// setProfileStart moves every profile of pd to start at start.
func setProfileStart(pd pprofile.Profiles, start time.Time) {
	for _, rp := range pd.ResourceProfiles().All() {
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				p.SetTime(pcommon.NewTimestampFromTime(start))
			}
		}
	}
}

// profileKey names a message by its service and first profile's start time.
func profileKey(pd pprofile.Profiles) string {
	if pd.ResourceProfiles().Len() == 0 {
		return "<empty>"
	}
	rp := pd.ResourceProfiles().At(0)
	svc, _ := rp.Resource().Attributes().Get("service.name")
	var ts pcommon.Timestamp
	if rp.ScopeProfiles().Len() > 0 && rp.ScopeProfiles().At(0).Profiles().Len() > 0 {
		ts = rp.ScopeProfiles().At(0).Profiles().At(0).Time()
	}
	return fmt.Sprintf("%s@%d", svc.AsString(), ts)
}

// fleetMetrics reads a metrics fixture and shifts it to end at end.
func fleetMetrics(t *testing.T, name string, end time.Time) pmetric.Metrics {
	t.Helper()
	e := readExpectJSON(t, name)
	require.Len(t, e.Inputs, 1)
	b, err := os.ReadFile(filepath.Join(fixtureDir(t, name), e.Inputs[0]))
	require.NoError(t, err)
	md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
	require.NoError(t, err)
	var last pcommon.Timestamp
	eachNumberPoint(md, func(dp pmetric.NumberDataPoint) {
		if dp.Timestamp() > last {
			last = dp.Timestamp()
		}
	})
	shift := end.UnixNano() - int64(last)
	eachNumberPoint(md, func(dp pmetric.NumberDataPoint) {
		dp.SetTimestamp(pcommon.Timestamp(int64(dp.Timestamp()) + shift))
		if dp.StartTimestamp() != 0 {
			dp.SetStartTimestamp(pcommon.Timestamp(int64(dp.StartTimestamp()) + shift))
		}
	})
	return md
}

func eachNumberPoint(md pmetric.Metrics, f func(pmetric.NumberDataPoint)) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				var dps pmetric.NumberDataPointSlice
				switch m.Type() {
				case pmetric.MetricTypeSum:
					dps = m.Sum().DataPoints()
				case pmetric.MetricTypeGauge:
					dps = m.Gauge().DataPoints()
				default:
					continue
				}
				for _, dp := range dps.All() {
					f(dp)
				}
			}
		}
	}
}

// cliCPURatio runs `perfadvisor analyze --format json` on a case's inputs and
// returns the cpu_ratio of rule's finding.
func cliCPURatio(t *testing.T, name, rule string) float64 {
	t.Helper()
	e := readExpectJSON(t, name)
	args := []string{"analyze", "--format", "json", "--service", e.Service}
	for _, in := range e.Inputs {
		args = append(args, filepath.Join(fixtureDir(t, name), in))
	}
	var out struct {
		Findings []struct {
			Rule     string   `json:"rule"`
			Service  string   `json:"service"`
			CPURatio *float64 `json:"cpu_ratio"`
		} `json:"findings"`
	}
	raw := RunCLI(t, args...)
	require.NoError(t, json.Unmarshal([]byte(raw), &out), "CLI output: %s", raw)
	for _, f := range out.Findings {
		if f.Rule == rule && f.Service == e.Service {
			require.NotNil(t, f.CPURatio, "%s: cpu_ratio is null", rule)
			return *f.CPURatio
		}
	}
	t.Fatalf("the CLI reports no %s finding for %s: %s", rule, name, raw)
	return math.NaN()
}

// findSample returns the sample of name for job=service (and perfadvisor_rule
// = rule, when rule is not empty).
func findSample(samples []PromSample, name, service, rule string) (PromSample, bool) {
	for _, s := range samples {
		if s.Name != name || s.Labels["job"] != service {
			continue
		}
		if rule != "" && s.Labels["perfadvisor_rule"] != rule {
			continue
		}
		return s, true
	}
	return PromSample{}, false
}

func promNames(samples []PromSample) string {
	seen := map[string]bool{}
	var names []string
	for _, s := range samples {
		if strings.HasPrefix(s.Name, "perfadvisor_") && !seen[s.Name] {
			seen[s.Name] = true
			names = append(names, s.Name)
		}
	}
	return strings.Join(names, ", ")
}

func attrStr(m pcommon.Map, k string) string {
	v, ok := m.Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

// onlyScope reports whether every scope in md is named scope.
func onlyScope(md pmetric.Metrics, scope string) bool {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			if sm.Scope().Name() != scope {
				return false
			}
		}
	}
	return md.ResourceMetrics().Len() > 0
}

func postProfiles(t *testing.T, baseURL string, pd pprofile.Profiles, contentType string) {
	t.Helper()
	req := pprofileotlp.NewExportRequestFromProfiles(pd)
	var body []byte
	var err error
	if contentType == "application/json" {
		body, err = req.MarshalJSON()
	} else {
		body, err = req.MarshalProto()
	}
	require.NoError(t, err)
	postOTLP(t, baseURL+"/v1development/profiles", contentType, body)
}

func postMetrics(t *testing.T, baseURL string, md pmetric.Metrics) {
	t.Helper()
	body, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	require.NoError(t, err)
	postOTLP(t, baseURL+"/v1/metrics", "application/x-protobuf", body)
}

func postOTLP(t *testing.T, url, contentType string, body []byte) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	require.Equal(t, http.StatusOK, resp.StatusCode, "POST %s: %s", url, msg)
}

func grpcProfilesSender(t *testing.T, port int) func(*testing.T, pprofile.Profiles) {
	conn, err := grpc.NewClient(fmt.Sprintf("127.0.0.1:%d", port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	client := pprofileotlp.NewGRPCClient(conn)
	return func(t *testing.T, pd pprofile.Profiles) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := client.Export(ctx, pprofileotlp.NewExportRequestFromProfiles(pd))
		require.NoError(t, err)
		require.Zero(t, resp.PartialSuccess().RejectedProfiles(), resp.PartialSuccess().ErrorMessage())
	}
}

// otlpSink is an OTLP/HTTP server standing in for a backend: it keeps every
// profiles, metrics and logs message the collector exports.
type otlpSink struct {
	srv  *httptest.Server
	mu   sync.Mutex
	prof []pprofile.Profiles
	met  []pmetric.Metrics
	logs []plog.Logs
}

func newOTLPSink(t *testing.T) *otlpSink {
	s := &otlpSink{}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1development/profiles", func(w http.ResponseWriter, r *http.Request) {
		req := pprofileotlp.NewExportRequest()
		if !s.decode(w, r, req.UnmarshalProto) {
			return
		}
		s.mu.Lock()
		s.prof = append(s.prof, req.Profiles())
		s.mu.Unlock()
		s.reply(w, pprofileotlp.NewExportResponse().MarshalProto)
	})
	mux.HandleFunc("/v1/metrics", func(w http.ResponseWriter, r *http.Request) {
		req := pmetricotlp.NewExportRequest()
		if !s.decode(w, r, req.UnmarshalProto) {
			return
		}
		s.mu.Lock()
		s.met = append(s.met, req.Metrics())
		s.mu.Unlock()
		s.reply(w, pmetricotlp.NewExportResponse().MarshalProto)
	})
	mux.HandleFunc("/v1/logs", func(w http.ResponseWriter, r *http.Request) {
		req := plogotlp.NewExportRequest()
		if !s.decode(w, r, req.UnmarshalProto) {
			return
		}
		s.mu.Lock()
		s.logs = append(s.logs, req.Logs())
		s.mu.Unlock()
		s.reply(w, plogotlp.NewExportResponse().MarshalProto)
	})
	s.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(s.srv.Close)
	return s
}

func (s *otlpSink) URL() string { return s.srv.URL }

func (s *otlpSink) decode(w http.ResponseWriter, r *http.Request, unmarshal func([]byte) error) bool {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		defer zr.Close()
		body = zr
	}
	b, err := io.ReadAll(io.LimitReader(body, 256<<20))
	if err == nil {
		err = unmarshal(b)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func (s *otlpSink) reply(w http.ResponseWriter, marshal func() ([]byte, error)) {
	b, err := marshal()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

func (s *otlpSink) profiles() []pprofile.Profiles {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pprofile.Profiles(nil), s.prof...)
}

func (s *otlpSink) metrics() []pmetric.Metrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pmetric.Metrics(nil), s.met...)
}

// findEvent returns the first log record named event for service and rule.
func (s *otlpSink) findEvent(service, rule, event string) (plog.LogRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ld := range s.logs {
		for _, rl := range ld.ResourceLogs().All() {
			if attrStr(rl.Resource().Attributes(), "service.name") != service {
				continue
			}
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if lr.EventName() == event && attrStr(lr.Attributes(), "perfadvisor.rule") == rule {
						return lr, true
					}
				}
			}
		}
	}
	return plog.LogRecord{}, false
}

// TestExampleConfigWithDemoFeeder runs what `make run` runs: the collector on
// config.example.yaml (moved to free ports) and cmd/perfadvisor-demo, and
// checks that the advice a newcomer is promised shows up.
func TestExampleConfigWithDemoFeeder(t *testing.T) {
	raw, err := os.ReadFile(RepoPath(t, "config.example.yaml"))
	require.NoError(t, err)
	cfg := string(raw)
	ports := map[string]int{}
	for _, addr := range []string{"127.0.0.1:4317", "127.0.0.1:4318", "127.0.0.1:4040", "127.0.0.1:8889", "port: 8890"} {
		require.Contains(t, cfg, addr, "config.example.yaml changed: update this test and scripts/run-demo.sh")
		p := FreePort(t)
		ports[addr] = p
		if strings.HasPrefix(addr, "port: ") {
			cfg = strings.ReplaceAll(cfg, addr, fmt.Sprintf("port: %d", p))
		} else {
			cfg = strings.ReplaceAll(cfg, addr, fmt.Sprintf("127.0.0.1:%d", p))
		}
	}
	StartCollector(t, cfg)

	demo := filepath.Join(t.TempDir(), "perfadvisor-demo")
	build := exec.Command("go", "build", "-o", demo, "./cmd/perfadvisor-demo")
	build.Dir = RepoPath(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", ports["127.0.0.1:8889"])
	feeder := exec.Command(demo,
		"-endpoint", fmt.Sprintf("http://127.0.0.1:%d", ports["127.0.0.1:4318"]),
		"-fixtures", RepoPath(t, "testdata", "fixtures"),
		"-pyroscope", fmt.Sprintf("http://127.0.0.1:%d", ports["127.0.0.1:4040"]),
		"-interval", "500ms", "-advice", promURL)
	var feederOut syncBuffer
	feeder.Stdout, feeder.Stderr = &feederOut, &feederOut
	require.NoError(t, feeder.Start())
	t.Cleanup(func() {
		_ = feeder.Process.Signal(syscall.SIGTERM) // the feeder stops on SIGTERM
		_ = feeder.Wait()
		if t.Failed() {
			t.Logf("feeder output:\n%s", tail(feederOut.String(), 8000))
		}
	})

	// Every "must" finding of the cases the feeder sends, by service.
	want := map[string]string{
		"checkout":            "regex_compile_hot_path",
		"order-payments":      "tls_handshake_overhead",
		"inventory-projector": "kafka_poll_inefficiency",
		"order-status-api":    "db_connection_churn",
		"webhook-dispatcher":  "dns_resolution_overhead",
		"session-service":     "profiler_overhead", // over the Pyroscope push API
		"invoice-renderer":    "alloc_gc_pressure",
	}
	Eventually(t, 2*time.Minute, func() (bool, string) {
		samples := ScrapeProm(t, promURL)
		for svc, rule := range want {
			if s, ok := findSample(samples, "perfadvisor_finding_active", svc, rule); !ok || s.Value != 1 {
				return false, fmt.Sprintf("no active %s finding for %s yet", rule, svc)
			}
		}
		if _, ok := findSample(samples, "perfadvisor_finding_active", "checkout", "service_cpu_outlier"); !ok {
			return false, "no active service_cpu_outlier finding for checkout yet"
		}
		return true, ""
	})
	Eventually(t, 30*time.Second, func() (bool, string) {
		return strings.Contains(feederOut.String(), "findings raised: "), "the feeder has not printed the raised findings"
	})
}

// TestFindingResolves: a service fixes its hot regex compile (regex-a's
// profiles, then regex-neg's under the same name). The finding resolves, a
// resolved event is written, and its gauges leave the Prometheus endpoint at
// once: the processor ends each series with a no-recorded-value point, so the
// exporter's metric_expiration (kept at its 5m default here) does not delay it.
func TestFindingResolves(t *testing.T) {
	grpcPort, httpPort, promPort := FreePort(t), FreePort(t), FreePort(t)
	sink := newOTLPSink(t)
	cfg := fmt.Sprintf(profilesConfig, grpcPort, httpPort, promPort, sink.URL())
	cfg = strings.Replace(cfg, "keep_firing_for: 10m", "keep_firing_for: 0s", 1)
	require.NotContains(t, cfg, "metric_expiration", "the default expiration (5m) must not be what removes the series")
	StartCollector(t, cfg)
	httpURL := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	const svc, rule = "checkout-fixed", "regex_compile_hot_path"

	base := time.Now().Add(-20 * time.Minute).Truncate(time.Minute)
	send := func(fixture string, window int) {
		pd := fixtureProfiles(t, fixture)
		for _, rp := range pd.ResourceProfiles().All() {
			rp.Resource().Attributes().PutStr("service.name", svc)
		}
		setProfileStart(pd, base.Add(time.Duration(window)*time.Minute+5*time.Second))
		postProfiles(t, httpURL, pd, "application/x-protobuf")
	}
	send("regex-a", 0)
	send("regex-a", 1)
	Eventually(t, 60*time.Second, func() (bool, string) {
		_, ok := findSample(ScrapeProm(t, promURL), "perfadvisor_finding_active", svc, rule)
		return ok, "the finding was not raised"
	})

	for w := 2; w <= 4; w++ {
		send("regex-neg", w)
	}
	Eventually(t, 60*time.Second, func() (bool, string) {
		_, ok := sink.findEvent(svc, rule, "perfadvisor.finding.resolved")
		return ok, "no perfadvisor.finding.resolved event"
	})
	ev, _ := sink.findEvent(svc, rule, "perfadvisor.finding.resolved")
	assert.Equal(t, "perfadvisor.finding.resolved", attrStr(ev.Attributes(), "event.name"))
	assert.NotEmpty(t, ev.Body().AsString())
	resolvedAt := time.Now()
	Eventually(t, 60*time.Second, func() (bool, string) {
		s, ok := findSample(ScrapeProm(t, promURL), "perfadvisor_finding_active", svc, rule)
		return !ok, fmt.Sprintf("perfadvisor_finding_active still exported after resolve: %v", s)
	})
	t.Logf("finding series left the endpoint %v after the resolved event", time.Since(resolvedAt).Round(time.Second))
}

// badProfilesConfig: like profilesConfig, with the collector's own metrics on
// a free port to read perfadvisor's drop counter.
const badProfilesConfig = `
receivers:
  otlp:
    protocols:
      http: {endpoint: 127.0.0.1:%[1]d}
processors:
  perfadvisor:
    window: 60s
    allowed_lateness: 1s
    emit_interval: 1s
    for: 0s
exporters:
  prometheus:
    endpoint: 127.0.0.1:%[2]d
  otlphttp/sink:
    endpoint: %[3]s
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
              prometheus: {host: 127.0.0.1, port: %[4]d}
  pipelines:
    profiles:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [otlphttp/sink]
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus]
`

// TestBadProfilesInTheCollector: malformed and inconsistent profiles on the
// wire get a 400 or a counted drop, pass through untouched when they are
// valid OTLP, and the collector goes on advising on good data.
func TestBadProfilesInTheCollector(t *testing.T) {
	httpPort, promPort, selfPort := FreePort(t), FreePort(t), FreePort(t)
	sink := newOTLPSink(t)
	col := StartCollector(t, fmt.Sprintf(badProfilesConfig, httpPort, promPort, sink.URL(), selfPort))
	url := fmt.Sprintf("http://127.0.0.1:%d/v1development/profiles", httpPort)
	base := time.Now().Add(-30 * time.Minute).Truncate(time.Minute)

	// broken returns regex-a's profiles with one inconsistency written in.
	broken := func(service string, breakIt func(pprofile.Profiles)) pprofile.Profiles {
		pd := fixtureProfiles(t, "regex-a")
		for _, rp := range pd.ResourceProfiles().All() {
			rp.Resource().Attributes().PutStr("service.name", service)
		}
		setProfileStart(pd, base.Add(5*time.Second))
		breakIt(pd)
		return pd
	}
	// Each break is in what the engine reads: the first sample of the
	// cpu/nanoseconds profile, its stack, a location's function name.
	firstCPUSample := func(pd pprofile.Profiles) pprofile.Sample { return cpuNanosProfile(t, pd).Samples().At(0) }
	firstCPUStack := func(pd pprofile.Profiles) pprofile.Stack {
		return pd.Dictionary().StackTable().At(int(firstCPUSample(pd).StackIndex()))
	}
	tests := []struct {
		name       string
		contentTyp string
		body       func() []byte
		sent       pprofile.Profiles // set for valid OTLP: it must pass through unchanged
		wantStatus int
	}{
		{
			name: "garbage protobuf", contentTyp: "application/x-protobuf", wantStatus: http.StatusBadRequest,
			body: func() []byte { return []byte("\x0a\xff\xff\xff\xff\x0fnot a profile") },
		},
		{
			name: "JSON of the wrong shape", contentTyp: "application/json", wantStatus: http.StatusBadRequest,
			body: func() []byte { return []byte(`{"resourceProfiles": 5}`) },
		},
		{
			name: "stack index past the stack table", contentTyp: "application/x-protobuf", wantStatus: http.StatusOK,
			sent: broken("bad-stack", func(pd pprofile.Profiles) {
				firstCPUSample(pd).SetStackIndex(1 << 30)
			}),
		},
		{
			name: "location index past the location table", contentTyp: "application/x-protobuf", wantStatus: http.StatusOK,
			sent: broken("bad-location", func(pd pprofile.Profiles) {
				firstCPUStack(pd).LocationIndices().Append(1 << 30)
			}),
		},
		{
			name: "function name index past the string table", contentTyp: "application/x-protobuf", wantStatus: http.StatusOK,
			sent: broken("bad-string", func(pd pprofile.Profiles) {
				dict := pd.Dictionary()
				loc := dict.LocationTable().At(int(firstCPUStack(pd).LocationIndices().At(0)))
				dict.FunctionTable().At(int(loc.Lines().At(0).FunctionIndex())).SetNameStrindex(1 << 30)
			}),
		},
	}
	accepted := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != nil {
				body = tt.body()
			} else {
				body = marshalProfiles(t, tt.sent)
			}
			resp, err := http.Post(url, tt.contentTyp, bytes.NewReader(body))
			require.NoError(t, err)
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, tt.wantStatus, resp.StatusCode, "%s", msg)
			if tt.body != nil {
				return // not OTLP: nothing to pass on
			}
			accepted++
			// pprofiletest rejects invalid indices itself: compare the encodings.
			key := profileKey(tt.sent)
			Eventually(t, 30*time.Second, func() (bool, string) {
				for _, got := range sink.profiles() {
					if profileKey(got) == key {
						if !bytes.Equal(body, marshalProfiles(t, got)) {
							return false, key + " changed on its way"
						}
						return true, ""
					}
				}
				return false, key + " was not passed on"
			})
		})
	}

	// Good data after the bad still gets its advice.
	for w := 0; w < 2; w++ {
		pd := fixtureProfiles(t, "regex-a")
		setProfileStart(pd, base.Add(time.Duration(w)*time.Minute+5*time.Second))
		postProfiles(t, fmt.Sprintf("http://127.0.0.1:%d", httpPort), pd, "application/x-protobuf")
	}
	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	Eventually(t, 60*time.Second, func() (bool, string) {
		_, ok := findSample(ScrapeProm(t, promURL), "perfadvisor_finding_active", "checkout", "regex_compile_hot_path")
		return ok, "no regex finding for the good data sent after the bad"
	})
	selfURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", selfPort)
	Eventually(t, 30*time.Second, func() (bool, string) {
		var dropped float64
		for _, s := range ScrapeProm(t, selfURL) {
			if strings.HasPrefix(s.Name, "otelcol_processor_perfadvisor_advice_dropped") && s.Labels["reason"] == "invalid_profile" {
				dropped += s.Value
			}
		}
		return dropped >= float64(accepted), fmt.Sprintf("advice_dropped{reason=invalid_profile} = %v, want >= %d", dropped, accepted)
	})
	assert.NotContains(t, col.Logs(), "panic", "the collector's output")
}
