// Package attribution attributes profile samples to catalog rules per service
// (docs/design.md §3) and judges the shares.
package attribution

import (
	"fmt"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// Defaults for zero Options fields.
const (
	DefaultMaxServices       = 10000
	DefaultMaxEvidenceStacks = 5
	DefaultMinSamples        = 50
	DefaultMaxSamplingHz     = 19
	DefaultMaxFunctions      = 1 << 18
	DefaultMaxStackDepth     = 4096
	DefaultService           = "unknown_service"
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
	// MaxFunctions caps the function-classification cache (entries).
	MaxFunctions int
	// MaxStackDepth caps the frames of one stack that are classified (root side kept).
	MaxStackDepth int
	// Symbolizer names native frames sent as bare addresses (nil: they stay unnamed).
	Symbolizer Symbolizer
	// ProfilesPerWindow is the analysis budget: beyond this many profiles of
	// a service in a window, a weighted random fraction is walked (budget.go).
	// 0 walks every profile (the CLI).
	ProfilesPerWindow int64
}

func (o Options) withDefaults() Options {
	if o.DefaultService == "" {
		o.DefaultService = DefaultService
	}
	if o.MaxServices <= 0 {
		o.MaxServices = DefaultMaxServices
	}
	if o.MaxEvidenceStacks <= 0 {
		o.MaxEvidenceStacks = DefaultMaxEvidenceStacks
	}
	if o.MinSamples <= 0 {
		o.MinSamples = DefaultMinSamples
	}
	if o.MaxSamplingHz <= 0 {
		o.MaxSamplingHz = DefaultMaxSamplingHz
	}
	if o.MaxFunctions <= 0 {
		o.MaxFunctions = DefaultMaxFunctions
	}
	if o.MaxStackDepth <= 0 {
		o.MaxStackDepth = DefaultMaxStackDepth
	}
	return o
}

// Analyzer classifies each unique function once (cached across profiles) and
// attributes samples through per-stack rule bitmasks. Safe for concurrent use.
type Analyzer struct {
	cat    *catalog.Catalog
	opts   Options
	rules  []*compiledRule // enabled profile rules; bit i = rules[i]
	tags   []tagInfo       // global tag bits
	cache  *fnCache
	budget budget
}

type compiledRule struct {
	rule    catalog.Rule
	bit     uint64
	sigs    []compiledSig
	hasPass bool // some signature has cutoff_unless
	tagMask uint64
}

type compiledSig struct {
	dialect framename.Dialect // Unknown = any
	roots   []catalog.Pattern
	exclude []catalog.Pattern
	cutoffs []catalog.Pattern
	pass    []catalog.Pattern // cutoff_unless
	tags    []compiledTag
}

type compiledTag struct {
	bit      uint64
	patterns []catalog.Pattern
}

type tagInfo struct {
	rule        int
	name        string
	description string
}

// New compiles the catalog into an Analyzer.
func New(cat *catalog.Catalog, opts Options) (*Analyzer, error) {
	if cat == nil {
		return nil, fmt.Errorf("attribution: nil catalog")
	}
	if err := cat.Validate(); err != nil {
		return nil, err
	}
	a := &Analyzer{cat: cat, opts: opts.withDefaults()}
	tagIndex := map[[2]string]int{}
	for _, r := range cat.Rules {
		if r.Kind != catalog.KindProfile || !r.IsEnabled() {
			continue
		}
		if len(a.rules) == 64 {
			return nil, fmt.Errorf("attribution: more than 64 enabled profile rules")
		}
		cr := &compiledRule{rule: r, bit: 1 << uint(len(a.rules))}
		for _, s := range r.Signatures {
			d := framename.Unknown
			if s.Dialect != "any" {
				d, _ = framename.ParseDialect(s.Dialect)
			}
			cs := compiledSig{
				dialect: d,
				roots:   cat.Expand(s.Roots),
				exclude: cat.Expand(s.Exclude),
				cutoffs: cat.Expand(s.Cutoffs),
				pass:    cat.Expand(s.CutoffUnless),
			}
			if len(s.CutoffUnless) > 0 {
				cr.hasPass = true
			}
			for _, t := range s.Tags {
				key := [2]string{r.ID, t.Name}
				idx, ok := tagIndex[key]
				if !ok {
					if len(a.tags) == 64 {
						return nil, fmt.Errorf("attribution: rules.%s: more than 64 tags in the catalog", r.ID)
					}
					idx = len(a.tags)
					tagIndex[key] = idx
					a.tags = append(a.tags, tagInfo{rule: len(a.rules), name: t.Name, description: t.Description})
				}
				cs.tags = append(cs.tags, compiledTag{bit: 1 << uint(idx), patterns: cat.Expand(t.Patterns)})
				cr.tagMask |= 1 << uint(idx)
			}
			cr.sigs = append(cr.sigs, cs)
		}
		a.rules = append(a.rules, cr)
	}
	a.cache = newFnCache(a.opts.MaxFunctions)
	a.budget = budget{perWindow: a.opts.ProfilesPerWindow}
	return a, nil
}

// Window accumulates per-service statistics over some span of event time.
type Window struct {
	Services        map[string]*ServiceStats
	DroppedServices int64 // profiles of services beyond MaxServices
	DroppedProfiles int64 // profiles rejected as invalid (bad indices, ...)
	// TruncatedStacks counts stacks deeper than MaxStackDepth (classified on the root side).
	TruncatedStacks int64
	// SampledOut counts the service requests the analysis budget left unwalked.
	SampledOut int64
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
	// Profiles counts the requests that brought profiles of this service;
	// Walked of them were attributed, SampledOut left to the analysis budget.
	Profiles, Walked, SampledOut int64
	weight                       float64 // the profile being walked stands for this many
	weights                      float64 // sum of the walked requests' weights
	// Metadata facts (profiler_overhead evidence).
	BlockProfile, MutexProfile bool
	SamplingHz                 float64
	// BlockEvents and MutexEvents count contention events seen in block/mutex profiles.
	BlockEvents, MutexEvents int64
	// SkippedTypes are the sample types of this service's profiles that were
	// not read as CPU ("alloc_space/bytes", "wall:wall/nanoseconds"), at most 8.
	SkippedTypes []string

	events     float64                      // CPU sample events, unrounded
	unnamedCPU float64                      // CPU of samples whose leaf is an unnamed native frame
	byDialect  [framename.Other + 1]float64 // CPU by stack dialect, for Runtime
	dialects   uint16                       // bit per dialect of any frame in a CPU sample
	candidates []ruleCandidates             // evidence candidates of the rules that have any
	// overlaps: CPU of samples attributed to several rules, by rule mask
	// (bounded by maxOverlaps), for savings that count each sample once.
	overlaps []overlap
}

// RuleStats is the CPU one rule was attributed in a ServiceStats.
type RuleStats struct {
	CPUValue float64 // nanoseconds
	Samples  int64
	// Tags splits CPUValue by the rule's tags (e.g. "full", "resumed" handshakes).
	Tags map[string]float64

	events float64
}
