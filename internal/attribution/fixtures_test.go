package attribution

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// expectation mirrors testdata/fixtures/*/expect.json (the grader's input).
type expectation struct {
	Case    string            `json:"case"`
	Inputs  []string          `json:"inputs"`
	Service string            `json:"service"`
	Must    []json.RawMessage `json:"must"`
	MustNot []json.RawMessage `json:"must_not"`
}

type mustEntry struct {
	Rule     string   `json:"rule"`
	Service  string   `json:"service"`
	CPURatio *float64 `json:"cpu_ratio"`
	AbsTol   *float64 `json:"abs_tol"`
}

const fixturesDir = "../../testdata/fixtures"

// loadProfiles reads a pprof (gzip or not) or OTLP protobuf profiles file.
func loadProfiles(t testing.TB, path string) pprofile.Profiles {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	if strings.HasSuffix(path, ".pb.gz") || strings.HasSuffix(path, ".pprof") {
		pd, err := pprofconv.FromPprofBytes(data, pprofconv.DefaultMaxBytes, nil)
		require.NoError(t, err, path)
		return pd
	}
	pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(data)
	require.NoError(t, err, path)
	return pd
}

// analyzeCase runs a case's inputs through one Window and returns the
// active findings by (rule, lower-case service), as the CLI reports them.
func analyzeCase(t testing.TB, dir string, exp expectation) (map[[2]string]report.Finding, []report.Signal) {
	cat, err := catalog.Default()
	require.NoError(t, err)
	a, err := New(cat, Options{DefaultService: exp.Service})
	require.NoError(t, err)
	w := NewWindow()
	for _, in := range exp.Inputs {
		require.NoError(t, a.Accumulate(loadProfiles(t, filepath.Join(dir, in)), w), in)
	}
	found := map[[2]string]report.Finding{}
	var all []report.Signal
	for _, ss := range w.Services {
		for _, sig := range a.Evaluate(ss) {
			all = append(all, sig)
			if sig.Active {
				found[[2]string{sig.Rule, strings.ToLower(sig.Service)}] = sig.Finding
			}
		}
	}
	return found, all
}

// TestFixtures applies the grader's check to every profile case: each must
// is found within tolerance, no must_not is.
func TestFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(fixturesDir, "*", "expect.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "fixtures missing")
	for _, p := range paths {
		dir := filepath.Dir(p)
		name := filepath.Base(dir)
		if strings.HasPrefix(name, "fleet-") || strings.HasPrefix(name, "goroutine-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var exp expectation
			raw, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &exp))
			found, all := analyzeCase(t, dir, exp)
			sort.Slice(all, func(i, j int) bool { return all[i].Rule < all[j].Rule })
			for _, s := range all {
				t.Logf("%-26s %-20s share=%.4f active=%v", s.Rule, s.Service, s.Level, s.Active)
			}
			for _, m := range exp.Must {
				var e mustEntry
				require.NoError(t, json.Unmarshal(m, &e))
				svc := e.Service
				if svc == "" {
					svc = exp.Service
				}
				f, ok := found[[2]string{e.Rule, strings.ToLower(svc)}]
				if !ok {
					t.Errorf("must %s for %s: not reported", e.Rule, svc)
					continue
				}
				if e.CPURatio != nil {
					tol := 0.02
					if e.AbsTol != nil {
						tol = *e.AbsTol
					}
					require.NotNil(t, f.CPURatio)
					if math.Abs(*f.CPURatio-*e.CPURatio) > tol+1e-12 {
						t.Errorf("must %s for %s: cpu_ratio %.4f, want %.4f ± %.3f", e.Rule, svc, *f.CPURatio, *e.CPURatio, tol)
					}
				}
			}
			for _, m := range exp.MustNot {
				var rule, svc string
				if err := json.Unmarshal(m, &rule); err != nil {
					var e mustEntry
					require.NoError(t, json.Unmarshal(m, &e))
					rule, svc = e.Rule, strings.ToLower(e.Service)
				}
				for k := range found {
					if k[0] == rule && (svc == "" || k[1] == svc) {
						t.Errorf("must_not %s: reported for %s (cpu_ratio %.4f)", rule, k[1], *found[k].CPURatio)
					}
				}
			}
		})
	}
}

// TestProfilerFixtureMetadata: block and mutex pprof files carry no profile
// name; the engine tells them apart by their leaf frames.
func TestProfilerFixtureMetadata(t *testing.T) {
	dir := filepath.Join(fixturesDir, "profiler-a")
	a := newTestAnalyzer(t, Options{DefaultService: "session-service"})
	w := NewWindow()
	for _, in := range []string{"cpu.pb.gz", "block.pb.gz", "mutex.pb.gz"} {
		require.NoError(t, a.Accumulate(loadProfiles(t, filepath.Join(dir, in)), w))
	}
	ss := w.Services["session-service"]
	require.NotNil(t, ss)
	require.True(t, ss.BlockProfile)
	require.True(t, ss.MutexProfile)
	require.Positive(t, ss.BlockEvents)
	require.Positive(t, ss.MutexEvents)
	require.Equal(t, 100.0, ss.SamplingHz)
	var facts []string
	for _, sig := range a.Evaluate(ss) {
		if sig.Rule != "profiler_overhead" {
			continue
		}
		require.True(t, sig.Active)
		for _, e := range sig.Finding.Evidence {
			if e.Kind == "metadata" {
				facts = append(facts, e.Series)
			}
		}
	}
	require.ElementsMatch(t, []string{"block_profile", "mutex_profile", "cpu_sampling_hz"}, facts)
}
