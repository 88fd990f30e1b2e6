package catalog

import (
	"fmt"
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// Links between a rule and the signals beside its stacks are data, so a
// custom rule in config can use them as the built-in ones do.

// Profile-metadata facts a rule can report in its evidence (metadata_evidence).
const (
	FactBlockProfile    = "block_profile"     // block profiling on, with its event count
	FactMutexProfile    = "mutex_profile"     // mutex profiling on, with its event count
	FactCPUSamplingRate = "cpu_sampling_rate" // CPU sampled above max_sampling_hz
)

// MetadataFacts lists every fact name, in reporting order.
var MetadataFacts = []string{FactBlockProfile, FactMutexProfile, FactCPUSamplingRate}

// MetricSignals names the metric signals a rule's metric_evidence can cite;
// internal/fleet maps each to the metric names that carry it.
var MetricSignals = []string{
	"alloc_bytes",               // bytes allocated per second
	"gc_cycles",                 // GC cycles per second
	"gc_pause_seconds",          // seconds of GC pause per second
	"kafka_fetch_rate",          // consumer fetch requests per second
	"kafka_records_per_request", // records per fetch request (mean over consumers)
	"db_connections",            // open pool connections
	"db_connection_creates",     // connections created per second
	"db_connections_closed",     // connections closed by pool limits per second
	"db_connection_waits",       // waits for a free connection per second
	"requests",                  // requests served per second
	"dns_lookups",               // client-side DNS lookups per second
	"coredns_cache_hit_ratio",   // the cluster's CoreDNS cache hit ratio (fleet-wide)
	"coredns_cache_misses",      // the cluster's CoreDNS cache misses per second (fleet-wide)
}

// MetricEvidence cites one metric signal as support for a rule's findings.
type MetricEvidence struct {
	// Signal is a MetricSignals name, or alternatives "a|b": the first one
	// the service has is cited.
	Signal string `mapstructure:"signal" yaml:"signal" json:"signal"`
	// Per divides the value by another signal (e.g. connections per request).
	Per string `mapstructure:"per" yaml:"per" json:"per,omitempty"`
	// Describe formats the value for the evidence, with one verb (%.2f).
	Describe string `mapstructure:"describe" yaml:"describe" json:"describe"`
	// Scale multiplies the value before it is described (1e-6: bytes to MB).
	Scale float64 `mapstructure:"scale" yaml:"scale" json:"scale,omitempty"`
	// Series names a derived value's evidence (default: the metric's own name).
	Series string `mapstructure:"series" yaml:"series" json:"series,omitempty"`
}

// Alternatives splits Signal into its alternatives, in order.
func (m MetricEvidence) Alternatives() []string { return strings.Split(m.Signal, "|") }

func validateLinks(r *Rule, where string, add func(string, ...any)) {
	for i, f := range r.MetadataEvidence {
		if !contains(MetadataFacts, f) {
			add("%s.metadata_evidence[%d]: %q is not one of %v", where, i, f, MetadataFacts)
		}
	}
	for i, m := range r.MetricEvidence {
		mw := fmt.Sprintf("%s.metric_evidence[%d]", where, i)
		names := m.Alternatives()
		if m.Per != "" {
			names = append(names, m.Per)
		}
		for _, s := range names {
			if !contains(MetricSignals, s) {
				add("%s: signal %q is not one of %v", mw, s, MetricSignals)
			}
		}
		if strings.Count(m.Describe, "%")-2*strings.Count(m.Describe, "%%") != 1 {
			add("%s.describe: %q needs exactly one verb for the value, e.g. %%.2f", mw, m.Describe)
		}
		if bad(m.Scale) || m.Scale < 0 {
			add("%s.scale: %v must be a positive number (or omitted for 1)", mw, m.Scale)
		}
	}
}

func validatePlan(r *Rule, where string, add func(string, ...any)) {
	for rt, e := range r.Effort {
		if _, ok := framename.ParseDialect(rt); !ok && rt != "default" {
			add("%s.effort.%s: unknown runtime (use go, jvm, python, node, dotnet, native, kernel or default)", where, rt)
		}
		if !contains(EffortClasses, e) {
			add("%s.effort.%s: %q is not one of %v", where, rt, e, EffortClasses)
		}
	}
	for rt, ex := range r.Examples {
		if _, ok := framename.ParseDialect(rt); !ok && rt != "default" {
			add("%s.examples.%s: unknown runtime", where, rt)
		}
		if ex.Before == "" || ex.After == "" {
			add("%s.examples.%s: needs both before and after", where, rt)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
