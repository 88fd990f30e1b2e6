package pyroscope

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	custom := createDefaultConfig().(*Config)
	custom.NetAddr.Endpoint = "0.0.0.0:4041"
	custom.MaxRequestBodySize = 1 << 20
	custom.MaxDecompressedSize = 8 << 20
	custom.MaxLabels = 16
	custom.MaxLabelLength = 256
	custom.IncludeMetadata = true

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr []string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: custom},
		{id: component.NewIDWithName(metadata.Type, "no_endpoint"), wantErr: []string{"endpoint must not be empty"}},
		{id: component.NewIDWithName(metadata.Type, "bad_limits"), wantErr: []string{
			"max_decompressed_size must be > 0", "max_labels must be > 0", "max_label_length must be > 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.ErrorContains(t, err, w)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, "127.0.0.1:4040", cfg.NetAddr.Endpoint)
	assert.Equal(t, int64(20<<20), cfg.maxBody())
	assert.NoError(t, cfg.Validate())
}
