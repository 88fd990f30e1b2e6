package fleet

import (
	"time"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// Rule ids judged here (docs/design.md §2).
const (
	RuleOutlier   = "service_cpu_outlier"
	RuleBaseline  = "service_elevated_baseline"
	RuleSpikes    = "service_cpu_spikes"
	RuleGrowth    = "goroutine_growth"
	RuleDBChurn   = "db_connection_churn"
	RuleKafkaPoll = "kafka_poll_inefficiency"
	RuleAllocGC   = "alloc_gc_pressure"
	RuleDNS       = "dns_resolution_overhead"
)

// Documented defaults, used when the catalog has no threshold for a rule.
const (
	// DefaultOutlierRatio: mean CPU over the fleet median (the guide's case is 17x).
	DefaultOutlierRatio = 10.0
	// DefaultBaselineRatio: the 10th-percentile CPU over the fleet's median floor.
	DefaultBaselineRatio = 2.0
	// DefaultSpikeRatio: a burst interval's rate over its preceding rolling median.
	DefaultSpikeRatio = 3.0
	// DefaultGrowthPerHour: the least slope, in goroutines per hour, that can
	// be a leak (the built-in catalog's threshold too).
	DefaultGrowthPerHour = 100.0
)

// Gates beside the thresholds; each is why a reading is not yet a finding.
const (
	minFleet               = 3     // a median of fewer services says nothing about an outlier
	minOutlierBuckets      = 3     // intervals a service needs in the window to be compared
	minExcessCores         = 0.005 // ignore ratios between near-idle services (5 millicores)
	outlierTypical         = 0.5   // share of the threshold the median rate must reach too
	baselineParts          = 4     // the floor must be elevated in most of these slices
	baselineHeld           = 0.75  // share of slices that must be elevated to raise
	baselineHeldKeep       = 0.5   // ... and to stay raised (hysteresis)
	minBaselineBucket      = 20
	minBaselineSpan        = int64(20 * 60 * 1e9)
	spikeHistory           = 20 // preceding intervals of the rolling median
	minSpikeHistory        = 10
	spikeMADs              = 5.0    // a burst also stands out from the history's spread
	minBursts              = 3      // one or two blips are not a pattern
	burstsKeepSlack        = 1      // once raised, one burst fewer keeps it raised (hysteresis)
	burstGap               = 2      // runs of burst intervals this close (one quiet interval between) are one burst
	minBurstWidth          = 3      // intervals a burst may always span; longer ones must stay under a quarter of the history
	maxEvidenceBursts      = 8      // bursts listed in a finding's evidence
	maxEvidenceSeries      = 4      // streams named in a series' evidence
	madToSigma             = 1.4826 // MAD × this estimates the standard deviation of normal noise
	maxBurstShare          = 0.2    // bursts are short: the median stays normal
	minGrowthPoints        = 10
	minGrowthSpan          = int64(30 * 60 * 1e9)
	minGrowthR2            = 0.8              // a steady rise, not load-following oscillation
	growthBlock            = 10 * time.Minute // the trend's resolution when noise hides it (judgeGrowth)
	minGrowthBlocks        = 6
	maxGrowthNoiseAutocorr = 0.2
	minGrowthR2Keep        = 0.6
	minGrowthRelative      = 0.1 // grew by this share of its mean level over the span (300/h on a pool of 3000 is a leak)
	loadFollowing          = 0.5 // CPU rising by half the goroutines' relative growth: load, not a leak
)

type ruleParams struct {
	enabled   bool
	threshold float64
	// From the catalog entry, when it has one: severity grading, advice and
	// tunable gates (params). A metric rule claims no saving of its own: the
	// service's profile findings say what fixing it would save.
	criticalAt float64
	advice     map[string]string
	params     map[string]float64
}

type ruleSet struct {
	outlier, baseline, spikes, growth ruleParams
}

func rulesFrom(cat *catalog.Catalog) ruleSet {
	return ruleSet{
		outlier:  paramsFrom(cat, RuleOutlier, DefaultOutlierRatio),
		baseline: paramsFrom(cat, RuleBaseline, DefaultBaselineRatio),
		spikes:   paramsFrom(cat, RuleSpikes, DefaultSpikeRatio),
		growth:   paramsFrom(cat, RuleGrowth, DefaultGrowthPerHour),
	}
}

// paramsFrom reads a rule's threshold. A catalog that does not know the rule
// answers (0, false): then the documented default applies, enabled. A
// threshold with enabled=false is a user's explicit opt-out.
func paramsFrom(cat *catalog.Catalog, id string, def float64) ruleParams {
	if cat == nil {
		return ruleParams{enabled: true, threshold: def}
	}
	p := ruleParams{enabled: true, threshold: def}
	if r, ok := cat.Rule(id); ok {
		p.criticalAt = r.Severity.CriticalAt
		p.advice = r.Recommendations
		p.params = r.Params
	}
	thr, en := cat.Threshold(id)
	switch {
	case thr <= 0:
	case !en:
		p.enabled, p.threshold = false, thr
	default:
		p.threshold = thr
	}
	return p
}

// param returns a catalog param (rules.<id>.params.<name>) or def.
func (p ruleParams) param(name string, def float64) float64 {
	if v, ok := p.params[name]; ok && v > 0 {
		return v
	}
	return def
}

// severity grades a level: the catalog's critical_at, else critical at
// twice the threshold.
func (p ruleParams) severity(level float64) report.Severity {
	crit := p.criticalAt
	if crit <= 0 {
		crit = 2 * p.threshold
	}
	if level >= crit {
		return report.SeverityCritical
	}
	return report.SeverityWarning
}

// recommend is the figures of this finding, then the catalog's advice for
// the runtime (or its default), else ours.
func (p ruleParams) recommend(figures, runtime, ours string) string {
	advice := p.advice[runtime]
	if advice == "" {
		advice = p.advice["default"]
	}
	if advice == "" {
		advice = ours
	}
	return figures + " " + advice
}
