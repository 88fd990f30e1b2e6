package advisor

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/fleet"
	"github.com/perfadvisor/perfadvisor/internal/svcname"
	"github.com/perfadvisor/perfadvisor/internal/symbolize"
	"github.com/perfadvisor/perfadvisor/internal/validation"
)

// Config is the schema the collector processor and the CLI's --config both
// read: one set of keys, one set of defaults, one Validate. Every key is
// optional; processor/perfadvisor/README.md documents them.
type Config struct {
	// Window is the span of event time over which profiles are judged.
	Window time.Duration `mapstructure:"window"`
	// AllowedLateness keeps a window open this long (event time) after its end for late profiles.
	AllowedLateness time.Duration `mapstructure:"allowed_lateness"`
	// MetricsWindow is the trailing span of event time the metric rules judge.
	MetricsWindow time.Duration `mapstructure:"metrics_window"`
	// MetricsLongWindow is the trailing span the baseline and spike rules judge
	// (a floor or a pattern of bursts needs more history than metrics_window).
	MetricsLongWindow time.Duration `mapstructure:"metrics_long_window"`
	// GrowthWindow is the trailing span goroutine_growth fits its line over.
	GrowthWindow time.Duration `mapstructure:"growth_window"`
	// EmitInterval is the wall-clock period of the advisory metrics and log flushes.
	EmitInterval time.Duration `mapstructure:"emit_interval"`
	// For is how long a signal must hold before a finding is raised (0 raises at once).
	For time.Duration `mapstructure:"for"`
	// KeepFiringFor keeps a finding raised this long after its level fell below the resolve level.
	KeepFiringFor time.Duration `mapstructure:"keep_firing_for"`
	// HysteresisRatio sets the resolve level to threshold × ratio.
	HysteresisRatio float64 `mapstructure:"hysteresis_ratio"`
	// Rules tunes built-in or custom rules by id.
	Rules map[string]catalog.Override `mapstructure:"rules"`
	// CustomRules adds signatures in the built-in catalog's schema.
	CustomRules []catalog.Rule `mapstructure:"custom_rules"`
	// ServiceAttributes is the resource attribute order that names a service.
	ServiceAttributes []string `mapstructure:"service_attributes"`
	// MinSamples: fewer CPU samples than this per service and window raise nothing.
	MinSamples int64 `mapstructure:"min_samples"`
	// MaxSamplingHz: CPU profiles sampled faster are noted in profiler_overhead's evidence.
	MaxSamplingHz float64 `mapstructure:"max_sampling_hz"`
	// VersionAttributes is the resource attribute order that names a
	// service's version (the first present wins).
	VersionAttributes []string `mapstructure:"version_attributes"`
	// Validation compares versions of a service.
	Validation ValidationConfig `mapstructure:"validation"`
	// Limits bound the processor's state.
	Limits LimitsConfig `mapstructure:"limits"`
	// Symbolization names native frames sent as bare addresses (the OTel eBPF profiler's).
	Symbolization SymbolizationConfig `mapstructure:"symbolization"`
	// AnalysisBudget bounds the engine's work per service and window (collector only).
	AnalysisBudget AnalysisBudgetConfig `mapstructure:"analysis_budget"`

	_ struct{} // prevent unkeyed literals
}

// Default is every key's default. The processor's factory and the CLI start
// from it.
func Default() *Config {
	return &Config{
		Window:            60 * time.Second,
		AllowedLateness:   30 * time.Second,
		MetricsWindow:     fleet.DefaultWindow,
		MetricsLongWindow: fleet.DefaultLongWindow,
		GrowthWindow:      fleet.DefaultGrowthWindow,
		EmitInterval:      15 * time.Second,
		// One window: a finding needs its signal in two consecutive windows,
		// so a single burst (a deploy, a lazily built cache) raises nothing.
		For:               time.Minute,
		KeepFiringFor:     time.Minute,
		HysteresisRatio:   0.8,
		ServiceAttributes: slices.Clone(svcname.DefaultOrder),
		MaxSamplingHz:     attribution.DefaultMaxSamplingHz,
		VersionAttributes: slices.Clone(DefaultVersionAttributes),
		Validation: ValidationConfig{
			MinWindows:  validation.DefaultMinWindows,
			Retention:   time.Hour,
			MaxVersions: validation.DefaultMaxVersions,
		},
		Symbolization: SymbolizationConfig{
			Enabled: true,
			// Distributions install separate debug files here by build ID (-dbg/-debuginfo
			// packages): full .symtab for stripped libraries.
			SearchPaths:    []string{"/usr/lib/debug"},
			MaxFiles:       symbolize.DefaultMaxFiles,
			MaxSymbolBytes: symbolize.DefaultMaxSymbolBytes,
		},
		AnalysisBudget: AnalysisBudgetConfig{ProfilesPerWindow: DefaultProfilesPerWindow},
		Limits: LimitsConfig{
			MaxServices:       1000,
			MaxEvidenceStacks: attribution.DefaultMaxEvidenceStacks,
			MaxEvidenceLength: 1024,
			MaxOpenWindows:    16,
			MaxFindings:       10000,
			MaxQueuedEvents:   1000,
		},
	}
}

// SymbolizationConfig: where native frames' files are read, and how much of them is kept.
type SymbolizationConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// SearchPaths are symbol directories (a gateway's; /usr/lib/debug), tried before the
	// processes' own files: dir/.build-id/xx/yyyy.debug, dir/<path>, dir/<base name>.
	SearchPaths []string `mapstructure:"search_paths"`
	// MaxFiles bounds the files (build IDs) whose symbols are kept.
	MaxFiles int `mapstructure:"max_files"`
	// MaxSymbolBytes bounds the memory the kept symbols take.
	MaxSymbolBytes int64 `mapstructure:"max_symbol_bytes"`
}

// AnalysisBudgetConfig: how many of a service's profiles per window the
// collector walks in full. Beyond it a random fraction is walked and weighted
// (shares unbiased, CPU seconds estimated), so the processor's CPU stays
// bounded however many replicas send; the coverage note says so. The CLI
// always walks everything.
type AnalysisBudgetConfig struct {
	// ProfilesPerWindow per service; 0 walks every profile.
	ProfilesPerWindow int64 `mapstructure:"profiles_per_window"`
}

// DefaultProfilesPerWindow: two profiles a second over a 60 s window, each of
// thousands of samples, is far more than a share needs; a service of 30
// replicas sending every 15 s stays under it.
const DefaultProfilesPerWindow = 120

// ValidationConfig tunes the comparison of a service's versions.
type ValidationConfig struct {
	// MinWindows each version needs before it is compared with the one
	// before (and the windows two versions must share side by side).
	MinWindows int `mapstructure:"min_windows"`
	// Retention keeps a comparison's gauges this long (wall time).
	Retention time.Duration `mapstructure:"retention"`
	// MaxVersions kept per service; the oldest is dropped, counted.
	MaxVersions int `mapstructure:"max_versions"`
}

// DefaultVersionAttributes: OTel's service.version, then the spellings
// Pyroscope labels and Prometheus targets carry.
var DefaultVersionAttributes = []string{"service.version", "service_version", "version", "service_git_ref"}

// LimitsConfig caps every piece of state the processor keeps; overflow is counted.
type LimitsConfig struct {
	MaxServices       int `mapstructure:"max_services"`
	MaxEvidenceStacks int `mapstructure:"max_evidence_stacks"`
	MaxEvidenceLength int `mapstructure:"max_evidence_length"`
	MaxOpenWindows    int `mapstructure:"max_open_windows"`
	// MaxFindings caps the (service, rule) pairs the finding lifecycle tracks.
	MaxFindings int `mapstructure:"max_findings"`
	// MaxQueuedEvents caps the state changes waiting for the logs pipeline's next flush.
	MaxQueuedEvents int `mapstructure:"max_queued_events"`
}

var _ confmap.Validator = (*Config)(nil)

// Validate reports every invalid key with what to change.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Window < time.Second {
		add("window must be at least 1s (got %s); profilers send every 10-60s, 60s is a good start", c.Window)
	}
	if c.AllowedLateness < 0 {
		add("allowed_lateness must be 0s or more (got %s)", c.AllowedLateness)
	}
	if c.MetricsWindow < time.Second {
		add("metrics_window must be at least 1s (got %s); 5m covers a few scrape intervals of every service", c.MetricsWindow)
	}
	if c.MetricsLongWindow < c.MetricsWindow {
		add("metrics_long_window must be at least metrics_window (got %s < %s); 1h holds a floor and 20 intervals of spike history", c.MetricsLongWindow, c.MetricsWindow)
	}
	if c.GrowthWindow < time.Minute {
		add("growth_window must be at least 1m (got %s); a leak shows as a steady rise over an hour or two", c.GrowthWindow)
	}
	if c.EmitInterval <= 0 {
		add("emit_interval must be more than 0s (got %s); use e.g. 15s, the Prometheus scrape interval", c.EmitInterval)
	}
	if c.For < 0 {
		add("for must be 0s or more (got %s); 0s raises a finding at the first active window", c.For)
	}
	if c.KeepFiringFor < 0 {
		add("keep_firing_for must be 0s or more (got %s)", c.KeepFiringFor)
	}
	if !(c.HysteresisRatio > 0 && c.HysteresisRatio <= 1) {
		add("hysteresis_ratio must be in (0, 1] (got %v); 1 resolves as soon as the level drops below the threshold", c.HysteresisRatio)
	}
	if c.MinSamples < 0 {
		add("min_samples must be 0 or more (got %d)", c.MinSamples)
	}
	if c.AnalysisBudget.ProfilesPerWindow < 0 {
		add("analysis_budget.profiles_per_window must be 0 (walk every profile) or more (got %d); %d is the default", c.AnalysisBudget.ProfilesPerWindow, DefaultProfilesPerWindow)
	}
	if !(c.MaxSamplingHz > 0) {
		add("max_sampling_hz must be more than 0 (got %v); the guide's ceiling is 19", c.MaxSamplingHz)
	}
	for i, a := range c.ServiceAttributes {
		if a == "" {
			add("service_attributes[%d] is empty; remove it or name a resource attribute such as service.name", i)
		}
	}
	for i, a := range c.VersionAttributes {
		if a == "" {
			add("version_attributes[%d] is empty; remove it or name a resource attribute such as service.version", i)
		}
	}
	if c.Validation.MinWindows < 1 {
		add("validation.min_windows must be at least 1 (got %d); 5 windows of each version make a fair comparison", c.Validation.MinWindows)
	}
	if c.Validation.Retention < 0 {
		add("validation.retention must be 0s or more (got %s)", c.Validation.Retention)
	}
	if c.Validation.MaxVersions < 2 {
		add("validation.max_versions must be at least 2 (got %d): a comparison needs two", c.Validation.MaxVersions)
	}
	if sy := c.Symbolization; sy.Enabled {
		if sy.MaxFiles <= 0 {
			add("symbolization.max_files must be more than 0 (got %d); %d keeps a host's common libraries", sy.MaxFiles, symbolize.DefaultMaxFiles)
		}
		if sy.MaxSymbolBytes < 1<<20 {
			add("symbolization.max_symbol_bytes must be at least 1048576 (got %d); node alone takes about 10 MB", sy.MaxSymbolBytes)
		}
		for _, p := range sy.SearchPaths {
			if !filepath.IsAbs(p) {
				add("symbolization.search_paths: %q must be an absolute directory", p)
			}
		}
	}
	l := c.Limits
	for _, lim := range []struct {
		name string
		v    int
	}{
		{"max_services", l.MaxServices},
		{"max_evidence_stacks", l.MaxEvidenceStacks},
		{"max_evidence_length", l.MaxEvidenceLength},
		{"max_open_windows", l.MaxOpenWindows},
		{"max_findings", l.MaxFindings},
		{"max_queued_events", l.MaxQueuedEvents},
	} {
		if lim.v <= 0 {
			add("limits.%s must be more than 0 (got %d)", lim.name, lim.v)
		}
	}
	if len(errs) == 0 {
		// The catalog names an unknown rule id or a bad custom rule field itself.
		if _, err := c.Catalog(); err != nil {
			add("rules/custom_rules: %w", err)
		}
	}
	return errors.Join(errs...)
}

// Catalog is the built-in catalog with this config's overrides and custom
// rules. The CLI reads the same config, so both judge with one catalog.
func (c *Config) Catalog() (*catalog.Catalog, error) {
	base, err := catalog.Default()
	if err != nil {
		return nil, fmt.Errorf("built-in catalog: %w", err)
	}
	return base.With(c.Rules, c.CustomRules)
}

// analyzerOptions are the attribution options this config sets;
// defaultService names data without a service attribute (the CLI's --service).
func (c *Config) analyzerOptions(defaultService string) attribution.Options {
	return attribution.Options{
		DefaultService:    defaultService,
		ServiceAttributes: c.ServiceAttributes,
		MaxServices:       c.Limits.MaxServices,
		MaxEvidenceStacks: c.Limits.MaxEvidenceStacks,
		MinSamples:        c.MinSamples,
		MaxSamplingHz:     c.MaxSamplingHz,
		Symbolizer:        c.symbolizer(),
	}
}

// symbolizer is the native symbolizer this config sets, nil when off. Each
// advisor has its own: its cache is the advisor's state.
func (c *Config) symbolizer() attribution.Symbolizer {
	sy := c.Symbolization
	if !sy.Enabled {
		return nil
	}
	return symbolize.New(symbolize.Config{SearchPaths: sy.SearchPaths, MaxFiles: sy.MaxFiles, MaxSymbolBytes: sy.MaxSymbolBytes})
}

// fleetConfig is the metric rules' configuration this config sets.
func (c *Config) fleetConfig(defaultService string) fleet.Config {
	return fleet.Config{
		ServiceAttributes: c.ServiceAttributes,
		DefaultService:    defaultService,
		MaxServices:       c.Limits.MaxServices,
		Window:            c.MetricsWindow,
		LongWindow:        c.MetricsLongWindow,
		GrowthWindow:      c.GrowthWindow,
	}
}
