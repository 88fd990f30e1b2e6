package pyroscope

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"
)

const (
	defaultEndpoint            = "127.0.0.1:4040"
	defaultMaxRequestBodySize  = 20 << 20
	defaultMaxDecompressedSize = 64 << 20
	defaultMaxLabels           = 64
	defaultMaxLabelLength      = 1024
)

// Config is the pyroscope receiver's configuration: an HTTP server (confighttp,
// so TLS, auth, CORS and request size limits work as in every receiver) plus the
// limits that keep a single push from expanding without bound.
type Config struct {
	confighttp.ServerConfig `mapstructure:",squash"`

	// MaxDecompressedSize caps the pprof bytes one request may expand to,
	// summed over all raw profiles in it (they arrive gzipped, ratios of 1000x are easy).
	MaxDecompressedSize int64 `mapstructure:"max_decompressed_size"`
	// MaxLabels caps the labels of one series (or one /ingest name).
	MaxLabels int `mapstructure:"max_labels"`
	// MaxLabelLength caps the length of one label name or value.
	MaxLabelLength int `mapstructure:"max_label_length"`

	_ struct{}
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the limits and the listen address.
func (c *Config) Validate() error {
	var errs error
	if c.NetAddr.Endpoint == "" {
		errs = errors.Join(errs, errors.New("endpoint must not be empty"))
	}
	if c.MaxRequestBodySize < 0 {
		errs = errors.Join(errs, fmt.Errorf("max_request_body_size must be >= 0, got %d", c.MaxRequestBodySize))
	}
	if c.MaxDecompressedSize <= 0 {
		errs = errors.Join(errs, fmt.Errorf("max_decompressed_size must be > 0, got %d", c.MaxDecompressedSize))
	}
	if c.MaxLabels <= 0 {
		errs = errors.Join(errs, fmt.Errorf("max_labels must be > 0, got %d", c.MaxLabels))
	}
	if c.MaxLabelLength <= 0 {
		errs = errors.Join(errs, fmt.Errorf("max_label_length must be > 0, got %d", c.MaxLabelLength))
	}
	return errs
}

// maxBody is the effective request body cap (confighttp's default when unset).
func (c *Config) maxBody() int64 {
	if c.MaxRequestBodySize > 0 {
		return c.MaxRequestBodySize
	}
	return defaultMaxRequestBodySize
}
