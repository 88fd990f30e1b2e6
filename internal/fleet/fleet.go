// Package fleet derives per-service CPU and goroutine series from metric
// streams and judges the service-level rules (DESIGN.md §2 "summary" rules).
//
// API CONTRACT (stub written by the coordinator; the metric-rules owner fills
// it in, keeping these names and signatures so the CLI and processor compile).
package fleet

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// Config of the metric rules. Thresholds come from the catalog (rules.<id>.threshold).
type Config struct {
	ServiceAttributes []string // svcname.DefaultOrder if nil
	MaxServices       int
	// Window is the trailing event-time span judged by Evaluate (live).
	Window time.Duration
}

// Store keeps bounded per-service series on event time.
type Store struct{}

// NewStore returns an empty Store.
func NewStore(cfg Config, cat *catalog.Catalog) *Store { return &Store{} }

// Add ingests the CPU, goroutine and cross-signal series in md. It never mutates md.
func (s *Store) Add(md pmetric.Metrics) {}

// Evaluate returns the metric rules' signals as of event time now (live collector).
func (s *Store) Evaluate(now time.Time) []report.Signal { return nil }

// Replay judges the whole input (CLI): a finding per (rule, service) raised at
// any point, with value computed over the whole input (DESIGN.md §4).
func (s *Store) Replay() []report.Finding { return nil }

// ServiceUsage is one service's CPU in the trailing window.
type ServiceUsage struct {
	Service          string
	Cores            float64
	FleetMedianRatio float64
}

// Usage returns every tracked service's CPU as of event time now.
func (s *Store) Usage(now time.Time) []ServiceUsage { return nil }

// Evidence returns metric series that support a profile rule's finding for a
// service (e.g. go_memstats_alloc_bytes_total for alloc_gc_pressure).
func (s *Store) Evidence(service, rule string) []report.Evidence { return nil }

// Latest is the newest event time seen.
func (s *Store) Latest() time.Time { return time.Time{} }

// Dropped counts series or services refused by the caps.
func (s *Store) Dropped() int64 { return 0 }
