package pyroscope

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.ProfilesStability, f.ProfilesStability())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))

	set := receivertest.NewNopSettings(metadata.Type)
	_, err := f.CreateMetrics(context.Background(), set, f.CreateDefaultConfig(), consumertest.NewNop())
	assert.ErrorIs(t, err, pipeline.ErrSignalNotSupported)
	_, err = f.CreateLogs(context.Background(), set, f.CreateDefaultConfig(), consumertest.NewNop())
	assert.ErrorIs(t, err, pipeline.ErrSignalNotSupported)
}

func TestLifecycle(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	tests := []struct {
		name     string
		endpoint string
		start    bool
		startErr bool
	}{
		{name: "start and shutdown", endpoint: "127.0.0.1:0", start: true},
		{name: "shutdown without start", endpoint: "127.0.0.1:0"},
		{name: "port in use fails start", endpoint: busy.Addr().String(), start: true, startErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFactory()
			cfg := f.CreateDefaultConfig().(*Config)
			cfg.NetAddr.Endpoint = tt.endpoint
			r, err := f.CreateProfiles(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
			require.NoError(t, err)
			if tt.start {
				err = r.Start(context.Background(), componenttest.NewNopHost())
				if tt.startErr {
					require.Error(t, err)
				} else {
					require.NoError(t, err)
				}
			}
			require.NoError(t, r.Shutdown(context.Background()))
		})
	}
}
