package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

func testCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Default()
	require.NoError(t, err)
	return cat
}

// finding is a raised profile finding with its catalog expected saving.
func finding(t *testing.T, cat *catalog.Catalog, rule, service string, share float64) report.Finding {
	r, ok := cat.Rule(rule)
	require.True(t, ok)
	return report.Finding{Rule: rule, Service: service, CPURatio: report.Float(share),
		ExpectedCPUReduction: report.Float(r.ExpectedReduction.Expected(share)), Runtime: "go"}
}

func cores(v float64) *float64 { return &v }

// Constructed services of 10,000 samples of 10 ms: the shares below are exact.
func TestCombinedSavingCountsSharedSamplesOnce(t *testing.T) {
	cat := testCatalog(t)
	regex, _ := cat.Rule("regex_compile_hot_path")
	alloc, _ := cat.Rule("alloc_gc_pressure")
	fRegex := regex.ExpectedReduction.Fraction * (1 - regex.ExpectedReduction.Floor/0.30)
	fAlloc := alloc.ExpectedReduction.Fraction * (1 - alloc.ExpectedReduction.Floor/0.25)
	tests := []struct {
		name string
		sets []RuleSet
		want float64
	}{
		{"one rule alone gives back its own expected saving",
			[]RuleSet{{Rules: []string{"regex_compile_hot_path"}, CPU: 3000e7, Events: 3000}},
			regex.ExpectedReduction.Expected(0.30)},
		{"disjoint rules add up",
			[]RuleSet{{Rules: []string{"regex_compile_hot_path"}, CPU: 3000e7, Events: 3000},
				{Rules: []string{"alloc_gc_pressure"}, CPU: 2500e7, Events: 2500}},
			regex.ExpectedReduction.Expected(0.30) + alloc.ExpectedReduction.Expected(0.25)},
		{"a regex compiled per request also allocates: the shared 20% is saved once",
			[]RuleSet{{Rules: []string{"regex_compile_hot_path"}, CPU: 1000e7, Events: 1000},
				{Rules: []string{"regex_compile_hot_path", "alloc_gc_pressure"}, CPU: 2000e7, Events: 2000},
				{Rules: []string{"alloc_gc_pressure"}, CPU: 500e7, Events: 500}},
			0.10*fRegex + 0.20*max(fRegex, fAlloc) + 0.05*fAlloc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := Service{Name: "checkout", CPU: 10000e7, Events: 10000, Sets: tt.sets, Cores: cores(2.4), Runtime: "go"}
			for _, r := range []string{"regex_compile_hot_path", "alloc_gc_pressure"} {
				share := 0.0
				for _, s := range tt.sets {
					for _, x := range s.Rules {
						if x == r {
							share += s.CPU / svc.CPU
						}
					}
				}
				if share > 0 {
					svc.Findings = append(svc.Findings, finding(t, cat, r, "checkout", share))
				}
			}
			p := Build(cat, []Service{svc})
			require.Len(t, p.Services, 1)
			sp := p.Services[0]
			require.NotNil(t, sp.ExpectedCPUReduction)
			assert.InDelta(t, tt.want, *sp.ExpectedCPUReduction, 1e-4)
			require.Len(t, sp.ExpectedCPUReductionInterval, 2)
			assert.LessOrEqual(t, sp.ExpectedCPUReductionInterval[0], *sp.ExpectedCPUReduction)
			assert.GreaterOrEqual(t, sp.ExpectedCPUReductionInterval[1], *sp.ExpectedCPUReduction)
			require.NotNil(t, sp.ExpectedCoresSaved)
			assert.InDelta(t, 2.4**sp.ExpectedCPUReduction, *sp.ExpectedCoresSaved, 1e-3)
			assert.InDelta(t, *sp.ExpectedCoresSaved, p.TotalExpectedCoresSaved, 1e-3)
		})
	}
}

// A service with only metric findings has no known saving: "profile it".
func TestUnknownSavingWithoutProfiles(t *testing.T) {
	cat := testCatalog(t)
	p := Build(cat, []Service{{Name: "fraud-detection", Cores: cores(1.2),
		Findings: []report.Finding{{Rule: "service_elevated_baseline", Service: "fraud-detection", Value: report.Float(2.7)}}}})
	sp := p.Services[0]
	assert.Nil(t, sp.ExpectedCPUReduction)
	assert.Nil(t, sp.ExpectedCoresSaved)
	assert.Contains(t, sp.Note, "profile this service")
	require.Len(t, p.Phases, 3)
	require.Len(t, p.Phases[2].Items, 1)
	it := p.Phases[2].Items[0]
	assert.Equal(t, "service_elevated_baseline", it.Rule)
	assert.Nil(t, it.ExpectedCPUReduction, "a metric rule claims no saving of its own")
	assert.Zero(t, p.TotalExpectedCoresSaved)
}

// Fixes fall into the guide's phases by effort; each phase's total is what
// it adds after the phases before it, so the phases sum to the combined saving.
func TestPhases(t *testing.T) {
	cat := testCatalog(t)
	svc := Service{Name: "checkout", CPU: 10000e7, Events: 10000, Cores: cores(2), Runtime: "go",
		Sets: []RuleSet{
			{Rules: []string{"profiler_overhead"}, CPU: 500e7, Events: 500},
			{Rules: []string{"regex_compile_hot_path", "alloc_gc_pressure"}, CPU: 2000e7, Events: 2000},
			{Rules: []string{"alloc_gc_pressure"}, CPU: 1000e7, Events: 1000},
		}}
	svc.Findings = []report.Finding{
		finding(t, cat, "profiler_overhead", "checkout", 0.05),
		finding(t, cat, "regex_compile_hot_path", "checkout", 0.20),
		finding(t, cat, "alloc_gc_pressure", "checkout", 0.30),
		{Rule: "service_cpu_outlier", Service: "checkout", Value: report.Float(17)},
	}
	p := Build(cat, []Service{svc})
	names := func(ph Phase) []string {
		var out []string
		for _, it := range ph.Items {
			out = append(out, it.Rule)
		}
		return out
	}
	// Go: profiler overhead and GC tuning are configuration, regex a code change.
	assert.ElementsMatch(t, []string{"profiler_overhead", "alloc_gc_pressure"}, names(p.Phases[0]))
	assert.Equal(t, []string{"regex_compile_hot_path"}, names(p.Phases[1]))
	assert.Equal(t, []string{"service_cpu_outlier"}, names(p.Phases[2]))
	sum := 0.0
	for _, ph := range p.Phases {
		sum += ph.ExpectedCoresSaved
	}
	assert.InDelta(t, p.TotalExpectedCoresSaved, sum, 1e-3, "phases add up to the combined saving, each sample once")
	assert.Greater(t, p.Phases[0].ExpectedCoresSaved, 0.0)
	assert.Greater(t, p.Phases[1].ExpectedCoresSaved, 0.0, "regex's own samples beyond the GC fraction still save")
	assert.Zero(t, p.Phases[2].ExpectedCoresSaved)
}
