package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// side builds one side's result: a service "svc" sampled at 100 Hz for
// span seconds (0: no time span) with samples CPU samples, of which
// ruleSamples in rule "r", active or not.
func side(samples, ruleSamples int64, span float64, active bool) *advisor.Result {
	const period = 1e7 // ns per sample at 100 Hz
	st := &attribution.ServiceStats{
		Service: "svc", CPUValue: float64(samples) * period, CPUSamples: samples,
		Rules: map[string]*attribution.RuleStats{},
	}
	if ruleSamples > 0 {
		st.Rules["r"] = &attribution.RuleStats{CPUValue: float64(ruleSamples) * period, Samples: ruleSamples}
	}
	if span > 0 {
		st.Start = time.Unix(1700000000, 0)
		st.End = st.Start.Add(time.Duration(span * float64(time.Second)))
	}
	w := attribution.NewWindow()
	w.Services["svc"] = st
	sig := report.Signal{Rule: "r", Service: "svc", Active: active}
	sig.Finding.ExpectedCPUReduction = report.Float(0.3)
	return &advisor.Result{Window: w, Signals: map[string]map[string]report.Signal{"svc": {"r": sig}}}
}

func TestCompareRuleVerdicts(t *testing.T) {
	tests := []struct {
		name          string
		before, after *advisor.Result
		want          string
	}{
		{"fixed: significant drop, finding gone", side(1000, 400, 10, true), side(1000, 5, 10, false), verdictFixed},
		{"improved: significant drop, still active", side(1000, 400, 10, true), side(1000, 200, 10, true), verdictImproved},
		{"unchanged: drop inside the noise", side(200, 40, 10, true), side(200, 34, 10, true), verdictUnchanged},
		{"unchanged: finding gone but the drop is noise", side(100, 6, 10, true), side(100, 2, 10, false), verdictUnchanged},
		{"regressed: share and rate rose", side(1000, 50, 10, false), side(1000, 200, 10, true), verdictRegressed},
		{"new: no CPU before, significant after", side(1000, 0, 10, false), side(1000, 100, 10, true), verdictNew},
		{"unchanged: tiny share out of nothing is noise", side(200, 0, 10, false), side(200, 1, 10, false), verdictUnchanged},
		// The rest of the service got 5x cheaper: the rule's share rose,
		// its own CPU per second fell.
		{"unchanged: share rose because the rest fell", side(1000, 100, 10, false), side(200, 40, 10, true), verdictUnchanged},
		{"regressed on shares alone without time spans", side(1000, 100, 0, false), side(200, 40, 0, true), verdictRegressed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := compareResults(tt.before, tt.after)
			require.Len(t, doc.Rules, 1)
			r := doc.Rules[0]
			assert.Equal(t, tt.want, r.Verdict, "%+v", r)
			assert.InDelta(t, r.Before-r.After, r.RealizedReduction, 1e-12)
			assert.True(t, r.RealizedReductionInterval[0] <= r.RealizedReduction && r.RealizedReduction <= r.RealizedReductionInterval[1])
			assert.Equal(t, 0.3, r.ExpectedReduction)
		})
	}
}

func TestCompareServices(t *testing.T) {
	tests := []struct {
		name          string
		before, after *advisor.Result
		wantBefore    *float64 // cores
		wantChange    *float64
		wantVerdict   string
	}{
		{"halved", side(2000, 0, 20, false), side(1000, 0, 20, false), ptr(1), ptr(-0.5), verdictImproved},
		{"same rate, other span", side(1000, 0, 10, false), side(2000, 0, 20, false), ptr(1), ptr(0), verdictUnchanged},
		{"3% more is within the margin", side(10000, 0, 100, false), side(10300, 0, 100, false), ptr(1), ptr(0.03), verdictUnchanged},
		{"40% more", side(1000, 0, 10, false), side(1400, 0, 10, false), ptr(1), ptr(0.4), verdictRegressed},
		{"no time span", side(1000, 0, 0, false), side(1000, 0, 0, false), nil, nil, verdictNotComparable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := compareResults(tt.before, tt.after)
			require.Len(t, doc.Services, 1)
			s := doc.Services[0]
			assert.Equal(t, tt.wantVerdict, s.Verdict)
			if tt.wantBefore == nil {
				assert.Nil(t, s.BeforeCores)
			} else {
				require.NotNil(t, s.BeforeCores)
				assert.InDelta(t, *tt.wantBefore, *s.BeforeCores, 1e-9)
			}
			if tt.wantChange == nil {
				assert.Nil(t, s.CPUChange)
				assert.Nil(t, s.CPUChangeInterval)
				return
			}
			require.NotNil(t, s.CPUChange)
			assert.InDelta(t, *tt.wantChange, *s.CPUChange, 1e-9)
			assert.True(t, s.CPUChangeInterval[0] <= *s.CPUChange && *s.CPUChange <= s.CPUChangeInterval[1])
		})
	}
}

func TestCompareOneSidedService(t *testing.T) {
	// rename moves a result's only service to another name.
	rename := func(r *advisor.Result, to string) *advisor.Result {
		r.Window.Services[to] = r.Window.Services["svc"]
		delete(r.Window.Services, "svc")
		return r
	}
	tests := []struct {
		name          string
		before, after *advisor.Result
		wantNotes     []string // by service name order
	}{
		{"renamed service", side(1000, 100, 10, true), rename(side(1000, 100, 10, true), "x-other"),
			[]string{"no CPU profile after: its rules are not compared", "no CPU profile before: its rules are not compared"}},
		{"no CPU after", side(1000, 100, 10, true), side(0, 0, 10, false),
			[]string{"no CPU profile after: its rules are not compared"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := compareResults(tt.before, tt.after)
			assert.Empty(t, doc.Rules, "a service on one side has nothing to compare its shares with")
			require.Len(t, doc.Services, len(tt.wantNotes))
			for i, s := range doc.Services {
				assert.Equal(t, tt.wantNotes[i], s.Note)
				assert.Equal(t, verdictNotComparable, s.Verdict)
				assert.Nil(t, s.CPUChange)
			}
		})
	}
}
