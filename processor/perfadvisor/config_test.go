package perfadvisor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig().(*Config)
	full.Window = 2 * time.Minute
	full.AllowedLateness = 20 * time.Second
	full.MetricsWindow = 30 * time.Minute
	full.EmitInterval = 10 * time.Second
	full.For = 4 * time.Minute
	full.KeepFiringFor = 2 * time.Minute
	full.HysteresisRatio = 0.5
	full.ServiceAttributes = []string{"service.name", "k8s.deployment.name"}
	full.MinSamples = 200
	full.MaxSamplingHz = 100
	threshold, disabled := 0.03, false
	full.Rules = map[string]catalog.Override{
		"regex_compile_hot_path": {Threshold: &threshold},
		"profiler_overhead":      {Enabled: &disabled},
	}
	full.CustomRules = []catalog.Rule{{
		ID:                "json_reflection",
		Title:             "JSON decoding by reflection",
		Threshold:         0.05,
		ExpectedReduction: catalog.Reduction{Fraction: 0.5},
		Signatures: []catalog.Signature{{
			Dialect: "go",
			Roots:   []catalog.Pattern{{Name: `^encoding/json\.\(\*decodeState\)\.object$`}},
		}},
		Recommendations: map[string]string{"default": "Decode with generated code instead of reflection."},
	}}
	full.Limits = LimitsConfig{
		MaxServices: 50, MaxEvidenceStacks: 3, MaxEvidenceLength: 256,
		MaxOpenWindows: 4, MaxFindings: 500, MaxQueuedEvents: 100,
	}

	tests := []struct {
		id      string
		want    *Config
		wantErr []string // substrings of the validation error
	}{
		{id: "", want: createDefaultConfig().(*Config)},
		{id: "full", want: full},
		{id: "zero_window", wantErr: []string{"window must be at least 1s"}},
		{id: "bad_ratio", wantErr: []string{"hysteresis_ratio must be in (0, 1]"}},
		{id: "negative_for", wantErr: []string{"for must be 0s or more", "keep_firing_for must be 0s or more"}},
		{id: "bad_limits", wantErr: []string{"limits.max_services must be more than 0", "limits.max_open_windows must be more than 0"}},
		{id: "unknown_rule", wantErr: []string{"rules.no_such_rule"}},
	}
	for _, tt := range tests {
		name := tt.id
		if name == "" {
			name = "defaults"
		}
		t.Run(name, func(t *testing.T) {
			id := component.NewID(metadata.Type)
			if tt.id != "" {
				id = component.NewIDWithName(metadata.Type, tt.id)
			}
			sub, err := cm.Sub(id.String())
			require.NoError(t, err)
			cfg := NewFactory().CreateDefaultConfig()
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				return
			}
			require.NoError(t, err)
			got := cfg.(*Config)
			// Compiled patterns are unexported; compare what a user wrote.
			for i := range got.CustomRules {
				for j := range got.CustomRules[i].Signatures {
					for k, p := range got.CustomRules[i].Signatures[j].Roots {
						got.CustomRules[i].Signatures[j].Roots[k] = catalog.Pattern{Name: p.Name, File: p.File, Set: p.Set}
					}
				}
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
