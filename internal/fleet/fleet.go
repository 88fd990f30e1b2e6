// Package fleet derives per-service CPU and goroutine series from metric
// streams and judges the service-level rules (docs/design.md §2 "summary" rules):
// service_cpu_outlier, service_elevated_baseline, service_cpu_spikes and
// goroutine_growth, plus cross-signal evidence for the profile rules.
//
// A service's CPU comes from one source (sources.go, in preference order),
// summed over its instances and modes, as cores on a grid at the data's own
// resolution (rates.go). The rules' values follow docs/design.md §4: mean rate /
// fleet median of means; 10th percentile / fleet median of 10th percentiles;
// median over burst intervals of rate / median of the preceding 20
// intervals; least-squares goroutines per hour. Gates (judge.go, rules.go)
// keep noise out: a fleet of at least 3, a minimum history, robust
// statistics (median, MAD), persistence for the floor, at least 3 separate
// bursts, a steady fit (R²) and a material, non-load-following rise.
package fleet

import (
	"sync"
	"time"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
)

// Config of the metric rules. Thresholds come from the catalog (rules.<id>.threshold).
type Config struct {
	ServiceAttributes []string // svcname.DefaultOrder if nil
	MaxServices       int
	// Window is the trailing event-time span judged by Evaluate (live).
	Window time.Duration

	// LongWindow is the trailing span the baseline and spike rules judge live:
	// a floor or a pattern of bursts needs more history than Window.
	LongWindow time.Duration
	// GrowthWindow is the trailing span goroutine_growth fits its line over.
	GrowthWindow time.Duration
	// DefaultService names data that carries none of ServiceAttributes (the
	// CLI's --service); empty means such data is not analysed.
	DefaultService      string
	MaxSeriesPerService int
	MaxPointsPerSeries  int
	// MaxPoints bounds the points held over all series (24 bytes each).
	MaxPoints int64
}

// Defaults for the zero fields of Config.
const (
	DefaultMaxServices         = 1000
	DefaultWindow              = 5 * time.Minute
	DefaultLongWindow          = time.Hour
	DefaultGrowthWindow        = 2 * time.Hour
	DefaultMaxSeriesPerService = 256
	DefaultMaxPointsPerSeries  = 2048
	DefaultMaxPoints           = 4 << 20 // ~100 MB of points
)

func (c Config) withDefaults() Config {
	if c.MaxServices <= 0 {
		c.MaxServices = DefaultMaxServices
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.LongWindow <= 0 {
		c.LongWindow = DefaultLongWindow
	}
	if c.GrowthWindow <= 0 {
		c.GrowthWindow = DefaultGrowthWindow
	}
	if c.MaxSeriesPerService <= 0 {
		c.MaxSeriesPerService = DefaultMaxSeriesPerService
	}
	if c.MaxPointsPerSeries < 16 {
		c.MaxPointsPerSeries = DefaultMaxPointsPerSeries
	}
	if c.MaxPoints <= 0 {
		c.MaxPoints = DefaultMaxPoints
	}
	return c
}

// Store keeps bounded per-service series on event time. It is safe for
// concurrent use: the processor adds batches while a timer evaluates.
type Store struct {
	mu       sync.Mutex
	cfg      Config
	rules    ruleSet
	services map[string]*service
	dropped  int64
	invalid  int64
	points   int64 // held over all series, against MaxPoints
	// raised holds the live state per (rule, service), for the gates' hysteresis.
	raised map[ruleKey]bool
	// profiled: services with profiles, newest event time (NoteProfiled); the
	// metric-only findings of profile rules stand aside for them.
	profiled map[string]int64
	// links: the catalog's metric_evidence of each profile rule.
	links map[string][]catalog.MetricEvidence
	// keepOldCPU keeps CPU points until the general cut (tests compare).
	keepOldCPU bool
}

type ruleKey struct{ rule, service string }

// NewStore returns an empty Store.
func NewStore(cfg Config, cat *catalog.Catalog) *Store {
	return &Store{
		cfg:      cfg.withDefaults(),
		rules:    rulesFrom(cat),
		services: map[string]*service{},
		raised:   map[ruleKey]bool{},
		profiled: map[string]int64{},
		links:    linksFrom(cat),
	}
}

func linksFrom(cat *catalog.Catalog) map[string][]catalog.MetricEvidence {
	links := map[string][]catalog.MetricEvidence{}
	if cat == nil {
		return links
	}
	for _, r := range cat.Rules {
		if len(r.MetricEvidence) > 0 && r.IsEnabled() {
			links[r.ID] = r.MetricEvidence
		}
	}
	return links
}

// NoteProfiled records that a service's profiles were judged up to event
// time at (a replay passes the end of time: the whole input). Its profile rules then come from the profiles alone: the metric-only
// findings (db_connection_churn, kafka_poll_inefficiency from metrics) stand
// aside for it while its profiles are recent (2 x LongWindow), so one
// (rule, service) never gets two readings on different scales.
func (s *Store) NoteProfiled(service string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := at.UnixNano()
	if _, ok := s.profiled[service]; !ok && len(s.profiled) >= s.cfg.MaxServices {
		return
	}
	s.profiled[service] = max(s.profiled[service], t)
}

// maxLead is how far one service's newest point may run ahead of every other
// service's before it is taken for a skewed clock rather than "now".
const maxLead = time.Hour

// Latest is the newest event time seen, confirmed by a second service when
// one service alone is more than maxLead ahead of the rest: a single skewed
// clock must not move the live evaluation (and forget the fleet).
func (s *Store) Latest() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first, second int64
	for _, svc := range s.services {
		switch {
		case svc.latest > first:
			first, second = svc.latest, first
		case svc.latest > second:
			second = svc.latest
		}
	}
	t := first
	if second > 0 && first-second > int64(maxLead) {
		t = second
	}
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(0, t).UTC()
}

// Dropped counts datapoints refused by the caps (services, series per
// service, points per series, the total point budget); the data itself
// passes through untouched.
func (s *Store) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Invalid counts datapoints ignored as unusable: NaN or infinite values, or
// no timestamp.
func (s *Store) Invalid() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invalid
}

// Services returns how many services are tracked.
func (s *Store) Services() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.services)
}

// ServiceNames returns the tracked services, sorted.
func (s *Store) ServiceNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedNames(s.services)
}

// ServiceUsage is one service's CPU in the trailing window.
type ServiceUsage struct {
	Service          string
	Cores            float64
	FleetMedianRatio float64
}
