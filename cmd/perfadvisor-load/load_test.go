package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
)

func TestParseStatCPU(t *testing.T) {
	// Field 2 holds spaces and a ')': fields are counted from the last ')'.
	line := []byte("4242 (otel col) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 12 0 100 1000000 2000 18446744073709551615\n")
	got, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want {
		t.Fatalf("cpu = %v, want %v", got, want)
	}
	if _, err := parseStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Fatal("short line: want an error")
	}
}

func TestParseStatusKB(t *testing.T) {
	status := []byte("Name:\tx\nVmHWM:\t  81234 kB\nVmRSS:\t   60000 kB\n")
	if v, err := parseStatusKB(status, "VmRSS"); err != nil || v != 60000 {
		t.Fatalf("VmRSS = %d, %v", v, err)
	}
	if v, err := parseStatusKB(status, "VmHWM"); err != nil || v != 81234 {
		t.Fatalf("VmHWM = %d, %v", v, err)
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Fatal("missing key: want an error")
	}
}

func TestReadProcSelf(t *testing.T) {
	s, err := readProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.rss <= 0 || s.hwm < s.rss {
		t.Fatalf("rss %d hwm %d", s.rss, s.hwm)
	}
}

func TestStats(t *testing.T) {
	s := spreadOf([]float64{3, 1, 2, 10})
	if s.median != 2.5 || s.min != 1 || s.max != 10 || s.n != 4 {
		t.Fatalf("spread %+v", s)
	}
	if s := spreadOf([]float64{5, 1, 3}); s.median != 3 {
		t.Fatalf("odd median %+v", s)
	}
	if sl := slope([]float64{0, 1, 2, 3}, []float64{10, 12, 14, 16}); math.Abs(sl-2) > 1e-12 {
		t.Fatalf("slope %v", sl)
	}
	if !math.IsNaN(slope([]float64{1}, []float64{1})) {
		t.Fatal("one point: want NaN")
	}
}

func TestPromValue(t *testing.T) {
	page := `# HELP otelcol_processor_perfadvisor_advice_dropped_total dropped
# TYPE otelcol_processor_perfadvisor_advice_dropped_total counter
otelcol_processor_perfadvisor_advice_dropped_total{otel_scope_name="x",reason="max_services"} 42
otelcol_processor_perfadvisor_advice_dropped_total{otel_scope_name="x",reason="max_findings"} 7
otelcol_processor_perfadvisor_advice_dropped_totally_else{reason="max_services"} 1000
`
	if v, ok := promValue(page, "otelcol_processor_perfadvisor_advice_dropped", `reason="max_services"`); !ok || v != 42 {
		t.Fatalf("max_services = %v, %v", v, ok)
	}
	if v, ok := promValue(page, "otelcol_processor_perfadvisor_advice_dropped"); !ok || v != 49 {
		t.Fatalf("all = %v, %v", v, ok)
	}
	if _, ok := promValue(page, "otelcol_processor_perfadvisor_advice_dropped", `reason="nope"`); ok {
		t.Fatal("unknown reason found")
	}
}

func TestConfigYAML(t *testing.T) {
	with := configYAML(collectorSpec{name: "with", withAdvisor: true, httpPort: 1111, telPort: 2222, maxServices: 3000})
	without := configYAML(collectorSpec{name: "without", httpPort: 3333, telPort: 4444})
	for _, want := range []string{"endpoint: 127.0.0.1:1111", "port: 2222", "perfadvisor:", "max_services: 3000", "processors: [perfadvisor]", "verbosity: basic"} {
		if !strings.Contains(with, want) {
			t.Errorf("with config lacks %q:\n%s", want, with)
		}
	}
	if strings.Contains(without, "perfadvisor:") || strings.Count(without, "processors: []") != 3 {
		t.Errorf("without config:\n%s", without)
	}
	for _, c := range []string{with, without} {
		if strings.Contains(c, "0.0.0.0") || strings.Count(c, "exporters: [debug]") != 3 {
			t.Errorf("config:\n%s", c)
		}
	}
}

func TestTemplates(t *testing.T) {
	ts, err := loadTemplates("../../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, tp := range ts {
		kinds[tp.kind]++
		if tp.size == 0 {
			t.Errorf("%s: size 0", tp.name)
		}
	}
	if kinds["pprof"] == 0 || kinds["otlp"] == 0 || kinds["ebpf"] == 0 {
		t.Fatalf("kinds %v", kinds)
	}
	end := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tp := range ts {
		pd := tp.multi([]string{"a", "b"}, end)
		n := tp.pd.ResourceProfiles().Len()
		if got := pd.ResourceProfiles().Len(); got != 2*n {
			t.Fatalf("%s: %d resources, want %d", tp.name, got, 2*n)
		}
		for i, rp := range pd.ResourceProfiles().All() {
			v, _ := rp.Resource().Attributes().Get("service.name")
			if want := []string{"a", "b"}[i/n]; v.Str() != want {
				t.Fatalf("%s: resource %d service %q, want %q", tp.name, i, v.Str(), want)
			}
			for _, sp := range rp.ScopeProfiles().All() {
				for _, p := range sp.Profiles().All() {
					pend := p.Time().AsTime().Add(time.Duration(p.DurationNano()))
					if !pend.Equal(end) {
						t.Fatalf("%s: profile ends %v, want %v", tp.name, pend, end)
					}
					for _, s := range p.Samples().All() {
						for _, ts := range s.TimestampsUnixNano().All() {
							if ts != 0 && (ts < uint64(p.Time()) || ts > uint64(end.UnixNano())) {
								t.Fatalf("%s: sample time %d outside [%d, %d]", tp.name, ts, p.Time(), end.UnixNano())
							}
						}
					}
				}
			}
		}
		// The template itself is left as it was.
		if tp.pd.ResourceProfiles().Len() != n {
			t.Fatalf("%s: template changed", tp.name)
		}
		// encode stamps in place and yields what request would.
		body, err := tp.encode("c", end)
		if err != nil {
			t.Fatal(err)
		}
		want, err := encodeProfiles(tp.request("c", end))
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != string(want) {
			t.Fatalf("%s: encode differs from request", tp.name)
		}
		// Requests do not grow from one to the next, and carry their service.
		for _, svc := range []string{"service-one", "service-two"} {
			again, err := tp.encode(svc, end)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != len(body)+len(svc)-1 {
				t.Fatalf("%s: request of %d bytes after one of %d", tp.name, len(again), len(body))
			}
			req := pprofileotlp.NewExportRequest()
			if err := req.UnmarshalProto(again); err != nil {
				t.Fatal(err)
			}
			for _, rp := range req.Profiles().ResourceProfiles().All() {
				if v, _ := rp.Resource().Attributes().Get("service.name"); v.Str() != svc {
					t.Fatalf("%s: decoded service %q, want %q", tp.name, v.Str(), svc)
				}
			}
		}
	}
}

func TestFleetMetrics(t *testing.T) {
	start := time.Unix(1000, 0)
	md := fleetMetrics([]int{0, 7}, start, start.Add(100*time.Second))
	if md.ResourceMetrics().Len() != 2 || md.DataPointCount() != 4 {
		t.Fatalf("%d resources, %d points", md.ResourceMetrics().Len(), md.DataPointCount())
	}
	m := md.ResourceMetrics().At(1).ScopeMetrics().At(0).Metrics().At(0)
	if m.Name() != "process.cpu.time" || m.Type() != pmetric.MetricTypeSum || !m.Sum().IsMonotonic() {
		t.Fatalf("metric %s %v", m.Name(), m.Type())
	}
	var total float64
	for _, dp := range m.Sum().DataPoints().All() {
		total += dp.DoubleValue()
	}
	if want := 100 * (0.05 + 7*0.05); math.Abs(total-want) > 1e-9 {
		t.Fatalf("cpu seconds %v, want %v", total, want)
	}
}

// TestLoadGenFanOut runs the generator against two fake collectors: every
// body they get decodes, and both get requests of the configured services.
func TestLoadGenFanOut(t *testing.T) {
	ts, err := loadTemplates("../../testdata/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		mu       sync.Mutex
		profiles int
		metrics  int
		services map[string]bool
	}
	newFake := func(s *seen) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			s.mu.Lock()
			defer s.mu.Unlock()
			switch r.URL.Path {
			case profilesPath:
				req := pprofileotlp.NewExportRequest()
				if err := req.UnmarshalProto(body); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				s.profiles++
				for _, rp := range req.Profiles().ResourceProfiles().All() {
					v, _ := rp.Resource().Attributes().Get("service.name")
					s.services[v.Str()] = true
				}
			case metricsPath:
				if _, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(body); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				s.metrics++
			default:
				http.NotFound(w, r)
			}
		}))
	}
	a, b := &seen{services: map[string]bool{}}, &seen{services: map[string]bool{}}
	sa, sb := newFake(a), newFake(b)
	defer sa.Close()
	defer sb.Close()
	p := newPoster([]string{sa.URL, sb.URL}, 2)
	g := &loadGen{templates: ts, services: 3, rate: 400, metricsEvery: time.Hour, metricsPerReq: 2, workers: 2}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); g.run(ctx, p) }()
	// Stop once both fakes have seen every service (no timing asserted).
	for {
		a.mu.Lock()
		b.mu.Lock()
		ok := len(a.services) == 3 && len(b.services) == 3 && a.metrics == 2 && b.metrics == 2
		b.mu.Unlock()
		a.mu.Unlock()
		if ok {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if p.failed.Load() != 0 {
		t.Fatal(p.summary())
	}
	for _, s := range []*seen{a, b} {
		for i := range 3 {
			if !s.services[serviceName(i)] {
				t.Fatalf("service %s not seen: %v", serviceName(i), s.services)
			}
		}
	}
}

func TestLargeProfile(t *testing.T) {
	p, err := largeProfile("../../testdata/fixtures/tls-a/cpu.pb.gz", 2000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) != 2000 {
		t.Fatalf("%d samples", len(p.Sample))
	}
	distinct := map[string]bool{}
	for _, s := range p.Sample {
		k := ""
		for _, l := range s.Location {
			k += fmt.Sprint(l.ID, ",")
		}
		distinct[k] = true
	}
	if len(distinct) < 1000 {
		t.Fatalf("only %d distinct stacks in 2000 samples", len(distinct))
	}
}

func TestStringTablePprof(t *testing.T) {
	var raw []byte
	if err := appendStringTablePprof(nil, 5000, func(b []byte) error { raw = append(raw, b...); return nil }); err != nil {
		t.Fatal(err)
	}
	p, err := profile.ParseData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sample) != 1 || p.Sample[0].Location[0].Line[0].Function.Name != "main.handle" || p.SampleType[1].Type != "cpu" {
		t.Fatalf("profile:\n%s", p)
	}
}
