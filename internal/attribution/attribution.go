// Package attribution attributes profile samples to catalog rules per service
// (DESIGN.md §3) and judges the shares.
//
// API CONTRACT (stub written by the coordinator; the engine owner fills it in,
// keeping these names and signatures so the CLI and processor compile).
package attribution

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// Options configure an Analyzer. Zero values mean the defaults.
type Options struct {
	// ServiceAttributes is the resource attribute order naming a service (svcname.DefaultOrder if nil).
	ServiceAttributes []string
	// DefaultService names data whose resource has none of ServiceAttributes (CLI --service).
	DefaultService string
	// MaxServices caps the services one Window tracks; the rest are counted in Window.DroppedServices.
	MaxServices int
	// MaxEvidenceStacks caps the stacks kept per (service, rule).
	MaxEvidenceStacks int
	// MinSamples: below this many CPU samples (events) of a service, shares are noise: no active signal.
	MinSamples int64
	// MaxSamplingHz: a CPU profile sampled faster than this is noted in profiler_overhead's evidence.
	MaxSamplingHz float64
}

// Analyzer classifies each unique function once (cached across profiles) and
// attributes samples through per-stack rule bitmasks. Safe for concurrent use.
type Analyzer struct{}

// New compiles the catalog into an Analyzer.
func New(cat *catalog.Catalog, opts Options) (*Analyzer, error) { return &Analyzer{}, nil }

// Window accumulates per-service statistics over some span of event time.
type Window struct {
	Services        map[string]*ServiceStats
	DroppedServices int64 // profiles of services beyond MaxServices
	DroppedProfiles int64 // profiles rejected as invalid (bad indices, ...)
}

// NewWindow returns an empty Window.
func NewWindow() *Window { return &Window{Services: map[string]*ServiceStats{}} }

// ServiceStats is what one service's profiles in a Window add up to.
type ServiceStats struct {
	Service    string
	Runtime    string  // dominant frame dialect: go, jvm, python, node, dotnet, native
	CPUValue   float64 // total CPU in nanoseconds (sample values scaled by period; eBPF events × period)
	CPUSamples int64   // CPU sample events
	Start, End time.Time
	Rules      map[string]*RuleStats // by rule id; only rules with attributed CPU
	// Metadata facts (profiler_overhead evidence).
	BlockProfile, MutexProfile bool
	SamplingHz                 float64
}

// RuleStats is the CPU one rule was attributed in a ServiceStats.
type RuleStats struct {
	CPUValue float64 // nanoseconds
	Samples  int64
}

// Accumulate attributes every profile in pd to w. It never mutates pd.
// Invalid profiles are counted in w.DroppedProfiles and reported in the error;
// the rest of pd is still analysed.
func (a *Analyzer) Accumulate(pd pprofile.Profiles, w *Window) error { return nil }

// Evaluate returns one Signal per enabled profile rule with attributed CPU in s
// (Level = CPU share, Active = share ≥ threshold with ≥ MinSamples).
func (a *Analyzer) Evaluate(s *ServiceStats) []report.Signal { return nil }
