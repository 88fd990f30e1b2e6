package ingest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProfileName(t *testing.T) {
	block := map[string]SampleType{"contentions": {DisplayName: "block_count"}, "delay": {DisplayName: "block_duration"}}
	mutex := map[string]SampleType{"contentions": {DisplayName: "mutex_count"}}
	tests := []struct {
		name        string
		sampleTypes []string
		config      map[string]SampleType
		kind        string // from a legacy app-name suffix
		want        string
	}{
		{name: "go cpu", sampleTypes: []string{"samples", "cpu"}, want: "process_cpu"},
		{name: "go heap", sampleTypes: []string{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}, want: "memory"},
		{name: "inuse only", sampleTypes: []string{"inuse_space"}, want: "memory"},
		{name: "goroutine", sampleTypes: []string{"goroutine"}, want: "goroutine"},
		{name: "goroutines", sampleTypes: []string{"goroutines"}, want: "goroutine"},
		{name: "wall", sampleTypes: []string{"samples", "wall"}, want: "wall"},
		{name: "cpu wins over wall", sampleTypes: []string{"wall", "cpu"}, want: "process_cpu"},
		{name: "block by display name", sampleTypes: []string{"contentions", "delay"}, config: block, want: "block"},
		{name: "mutex by display name", sampleTypes: []string{"contentions", "delay"}, config: mutex, want: "mutex"},
		{name: "contentions without config use the suffix", sampleTypes: []string{"contentions", "delay"}, kind: "mutex", want: "mutex"},
		{name: "contentions, nothing else to go by", sampleTypes: []string{"contentions", "delay"}},
		{name: "unknown types use the suffix", sampleTypes: []string{"samples"}, kind: "process_cpu", want: "process_cpu"},
		{name: "no sample types", sampleTypes: nil},
		{name: "units are not types", sampleTypes: []string{"nanoseconds", "count"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Name: Name{App: "a", Kind: tt.kind}, SampleTypes: tt.config}
			assert.Equal(t, tt.want, ProfileName(tt.sampleTypes, req))
		})
	}
}
