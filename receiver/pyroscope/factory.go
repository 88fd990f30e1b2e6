package pyroscope

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer/xconsumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/xreceiver"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// NewFactory returns the factory of the pyroscope receiver (profiles only).
func NewFactory() xreceiver.Factory {
	return xreceiver.NewFactory(metadata.Type, createDefaultConfig,
		xreceiver.WithProfiles(createProfiles, metadata.ProfilesStability))
}

func createDefaultConfig() component.Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = defaultEndpoint
	srv.MaxRequestBodySize = defaultMaxRequestBodySize
	return &Config{
		ServerConfig:        srv,
		MaxDecompressedSize: defaultMaxDecompressedSize,
		MaxLabels:           defaultMaxLabels,
		MaxLabelLength:      defaultMaxLabelLength,
	}
}

func createProfiles(_ context.Context, set receiver.Settings, cfg component.Config, next xconsumer.Profiles) (xreceiver.Profiles, error) {
	return newReceiver(cfg.(*Config), set, next)
}
