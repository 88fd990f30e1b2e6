package main

import (
	"fmt"
	"os"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
)

// fileConfig is what --config may hold: the processor's keys that matter
// offline. Processor-only keys are accepted so one file serves both.
type fileConfig struct {
	Rules             map[string]catalog.Override `mapstructure:"rules"`
	CustomRules       []catalog.Rule              `mapstructure:"custom_rules"`
	ServiceAttributes []string                    `mapstructure:"service_attributes"`
	MinSamples        int64                       `mapstructure:"min_samples"`
	MaxSamplingHz     float64                     `mapstructure:"max_sampling_hz"`
	Limits            struct {
		MaxServices       int `mapstructure:"max_services"`
		MaxEvidenceStacks int `mapstructure:"max_evidence_stacks"`
		MaxEvidenceLength int `mapstructure:"max_evidence_length"`
		MaxOpenWindows    int `mapstructure:"max_open_windows"`
		MaxFindings       int `mapstructure:"max_findings"`
		MaxQueuedEvents   int `mapstructure:"max_queued_events"`
	} `mapstructure:"limits"`
	// Live-collector keys: meaningless in a replay, accepted and ignored.
	Window          any `mapstructure:"window"`
	AllowedLateness any `mapstructure:"allowed_lateness"`
	MetricsWindow   any `mapstructure:"metrics_window"`
	EmitInterval    any `mapstructure:"emit_interval"`
	For             any `mapstructure:"for"`
	KeepFiringFor   any `mapstructure:"keep_firing_for"`
	HysteresisRatio any `mapstructure:"hysteresis_ratio"`
}

// loadConfig reads --config (if any) and returns the catalog it yields.
func loadConfig(path string) (*fileConfig, *catalog.Catalog, error) {
	cfg := &fileConfig{}
	base, err := catalog.Default()
	if err != nil {
		return nil, nil, fmt.Errorf("built-in catalog: %w", err)
	}
	if path == "" {
		return cfg, base, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usagef("--config: %v", err)
	}
	if len(data) > 16<<20 {
		return nil, nil, usagef("--config %s: larger than 16 MiB", path)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, nil, usagef("--config %s: %v", path, err)
	}
	// A processor config may be pasted whole: take its perfadvisor block.
	if p, ok := raw["processors"].(map[string]any); ok {
		raw = nil
		for k, v := range p {
			if k == "perfadvisor" || len(k) > len("perfadvisor/") && k[:len("perfadvisor/")] == "perfadvisor/" {
				raw, _ = v.(map[string]any)
				break
			}
		}
	}
	if err := confmap.NewFromStringMap(raw).Unmarshal(cfg); err != nil {
		return nil, nil, usagef("--config %s: %v", path, err)
	}
	cat, err := base.With(cfg.Rules, cfg.CustomRules)
	if err != nil {
		return nil, nil, usagef("--config %s: %v", path, err)
	}
	return cfg, cat, nil
}
