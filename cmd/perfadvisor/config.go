package main

import (
	"fmt"
	"os"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor"
)

// loadConfig reads --config (if any): the processor's own config keys, with
// the processor's defaults and validation, so the CLI and the collector judge
// alike. It returns the config and the catalog it yields.
func loadConfig(path string) (*perfadvisor.Config, *catalog.Catalog, error) {
	cfg := perfadvisor.NewFactory().CreateDefaultConfig().(*perfadvisor.Config)
	if path == "" {
		cat, err := cfg.Catalog()
		if err != nil {
			return nil, nil, fmt.Errorf("built-in catalog: %w", err)
		}
		return cfg, cat, nil
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
	if err := cfg.Validate(); err != nil {
		return nil, nil, usagef("--config %s: %v", path, err)
	}
	cat, err := cfg.Catalog()
	if err != nil {
		return nil, nil, usagef("--config %s: %v", path, err)
	}
	return cfg, cat, nil
}
