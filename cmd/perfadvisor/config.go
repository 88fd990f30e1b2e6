package main

import (
	"os"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
)

// loadConfig reads --config (if any): the advisor's config keys, the ones
// the processor reads, with the same defaults and validation, so the CLI and
// the collector judge alike.
func loadConfig(path string) (*advisor.Config, error) {
	cfg := advisor.Default()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--config: %v", err)
	}
	if len(data) > 16<<20 {
		return nil, usagef("--config %s: larger than 16 MiB", path)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, usagef("--config %s: %v", path, err)
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
		return nil, usagef("--config %s: %v", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, usagef("--config %s: %v", path, err)
	}
	return cfg, nil
}
