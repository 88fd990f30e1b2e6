package perfadvisor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/findings"
	"github.com/perfadvisor/perfadvisor/internal/inputfile"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/internal/svcname"
)

// doorFinding is what both doors must agree on for one finding.
type doorFinding struct {
	Rule, Service string
	Severity      report.Severity
	CPURatio      *float64
	Value         *float64
	Expected      *float64
}

func doorFindings(fs []report.Finding) []doorFinding {
	out := make([]doorFinding, 0, len(fs))
	for _, f := range fs {
		out = append(out, doorFinding{f.Rule, f.Service, f.Severity, f.CPURatio, f.Value, f.ExpectedCPUReduction})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// readInputs reads a fixture's inputs the way the CLI does, naming data that
// has no service attribute as --service would, so both doors see one stream.
func readInputs(t *testing.T, dir string, inputs []string, service string) []*inputfile.File {
	t.Helper()
	var files []*inputfile.File
	for _, in := range inputs {
		f, err := inputfile.Read(filepath.Join(dir, in), inputfile.Auto, inputfile.Limits{})
		require.NoError(t, err)
		name := func(attrs pcommon.Map) {
			if _, ok := svcname.Resolve(attrs, svcname.DefaultOrder); !ok {
				attrs.PutStr("service.name", service)
			}
		}
		for _, pd := range f.Profiles {
			for _, rp := range pd.ResourceProfiles().All() {
				name(rp.Resource().Attributes())
			}
		}
		if f.Metrics != nil {
			for _, rm := range f.Metrics.ResourceMetrics().All() {
				name(rm.Resource().Attributes())
			}
		}
		files = append(files, f)
	}
	return files
}

// Every fixture gives the same findings, shares and values through the CLI's
// door (one replay) and the processor's (event-time windows, for: 0s): one
// advisor judges both. The processor's metric windows span the input so
// that its live judgement covers what the replay judges.
func TestDoorsAgreeOnEveryFixture(t *testing.T) {
	dirs, err := filepath.Glob(fixture("*", "expect.json"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var exp struct {
				Inputs  []string `json:"inputs"`
				Service string   `json:"service"`
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &exp))

			cfg := createDefaultConfig().(*Config)
			cfg.For, cfg.KeepFiringFor = 0, 0
			cfg.Window, cfg.AllowedLateness = 24*time.Hour, 0
			cfg.MetricsWindow, cfg.MetricsLongWindow, cfg.GrowthWindow = 48*time.Hour, 48*time.Hour, 48*time.Hour

			// The CLI's door.
			adv, err := advisor.New(cfg, advisor.Replay, exp.Service)
			require.NoError(t, err)
			run := adv.NewRun()
			for _, f := range readInputs(t, dir, exp.Inputs, exp.Service) {
				if f.Metrics != nil {
					run.AddMetrics(*f.Metrics)
				}
				for _, pd := range f.Profiles {
					require.NoError(t, run.AddProfiles(pd))
				}
			}
			cli := run.Result()

			// The processor's door.
			h := newHarness(t, cfg, nopSettings())
			q := &eventQueue{max: 1 << 20}
			h.engine().subscribe(q)
			ctx := context.Background()
			for _, f := range readInputs(t, dir, exp.Inputs, exp.Service) {
				if f.Metrics != nil {
					require.NoError(t, h.metrics.ConsumeMetrics(ctx, *f.Metrics))
				}
				for _, pd := range f.Profiles {
					require.NoError(t, h.profiles.ConsumeProfiles(ctx, pd))
				}
			}
			// The profile windows close after a window of wall-clock
			// idleness, before the metric streams count as stopped
			// (metrics_window of wall time).
			h.clock.set(h.clock.now().Add(cfg.Window + time.Minute))
			h.sched.fire()
			var raised []report.Finding
			for _, c := range q.drain() {
				if c.Kind == findings.Raised {
					raised = append(raised, c.Alert.Finding)
				}
			}
			assert.Equal(t, doorFindings(cli.Findings), doorFindings(raised))
		})
	}
}
