package fleet

import "github.com/perfadvisor/perfadvisor/internal/catalog"

// Rule ids judged here (DESIGN.md §2).
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
	// DefaultGrowthPerHour: the least slope, in goroutines per hour, that can be a leak.
	DefaultGrowthPerHour = 50.0
)

// Gates beside the thresholds; each is why a reading is not yet a finding.
const (
	minFleet          = 3    // a median of fewer services says nothing about an outlier
	minOutlierBuckets = 3    // intervals a service needs in the window to be compared
	minExcessCores    = 0.02 // ignore ratios between near-idle services
	outlierTypical    = 0.5  // share of the threshold the median rate must reach too
	baselineParts     = 4    // the floor must be elevated in most of these slices
	baselineHeld      = 0.75 // share of slices that must be elevated to raise
	baselineHeldKeep  = 0.5  // ... and to stay raised (hysteresis)
	minBaselineBucket = 20
	minBaselineSpan   = int64(20 * 60 * 1e9)
	spikeHistory      = 20 // preceding intervals of the rolling median
	minSpikeHistory   = 10
	spikeMADs         = 5.0 // a burst also stands out from the history's spread
	minBursts         = 3   // one or two blips are not a pattern
	minBurstsKeep     = 2
	maxBurstShare     = 0.2 // bursts are short: the median stays normal
	minGrowthPoints   = 10
	minGrowthSpan     = int64(30 * 60 * 1e9)
	minGrowthR2       = 0.8 // a steady rise, not load-following oscillation
	minGrowthR2Keep   = 0.6
	minGrowthRelative = 0.3 // grew by this share of its mean level over the span
)

type ruleParams struct {
	enabled   bool
	threshold float64
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
	thr, en := cat.Threshold(id)
	switch {
	case thr <= 0:
		return ruleParams{enabled: true, threshold: def}
	case !en:
		return ruleParams{enabled: false, threshold: thr}
	}
	return ruleParams{enabled: true, threshold: thr}
}
