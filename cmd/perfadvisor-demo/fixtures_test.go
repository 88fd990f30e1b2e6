package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fixturesRoot = filepath.Join("..", "..", "testdata", "fixtures")

func TestLoadProfileCase(t *testing.T) {
	tests := []struct {
		name        string
		wantService string
		wantInputs  int // resources: one per pprof input
	}{
		{name: "regex-a", wantService: "checkout", wantInputs: 2},
		{name: "profiler-a", wantService: "session-service", wantInputs: 4},
		{name: "python-regex-a", wantService: "review-moderation", wantInputs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadProfileCase(fixturesRoot, tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.wantService, c.Service)
			require.Equal(t, tt.wantInputs, c.Profiles.ResourceProfiles().Len())
			for _, rp := range c.Profiles.ResourceProfiles().All() {
				v, ok := rp.Resource().Attributes().Get("service.name")
				require.True(t, ok)
				assert.Equal(t, tt.wantService, v.Str())
			}
			assert.Positive(t, c.Profiles.SampleCount())
		})
	}
}

func TestLoadCaseErrors(t *testing.T) {
	tests := []struct {
		name string
		load func() error
	}{
		{name: "missing case", load: func() error { _, err := loadProfileCase(fixturesRoot, "no-such-case"); return err }},
		{name: "metrics case has no pprof", load: func() error { _, err := loadProfileCase(fixturesRoot, "fleet-outlier-a"); return err }},
		{name: "pprof case is not metrics JSON", load: func() error { _, err := loadMetricsCase(fixturesRoot, "regex-a"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Error(t, tt.load())
		})
	}
}

func TestLoadMetricsCase(t *testing.T) {
	md, err := loadMetricsCase(fixturesRoot, "fleet-outlier-a")
	require.NoError(t, err)
	assert.Equal(t, 12, md.ResourceMetrics().Len(), "one resource per service of the fleet")
	first, last := metricsSpan(md)
	assert.Equal(t, int64(7200e9), int64(last-first), "two hours of data")
}
