package advisor

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/perfadvisor/perfadvisor/internal/inputfile"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

func fixture(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "testdata", "fixtures"}, parts...)...)
}

// replay runs files through one Replay-mode advisor, as the CLI does.
func replay(t *testing.T, cfg *Config, service string, paths ...string) *Result {
	t.Helper()
	require.NoError(t, cfg.Validate())
	adv, err := New(cfg, Replay, service)
	require.NoError(t, err)
	run := adv.NewRun()
	for _, p := range paths {
		f, err := inputfile.Read(p, inputfile.Auto, inputfile.Limits{})
		require.NoError(t, err)
		if f.Metrics != nil {
			run.AddMetrics(*f.Metrics)
		}
		for _, pd := range f.Profiles {
			require.NoError(t, run.AddProfiles(pd))
		}
	}
	return run.Result()
}

func findingOf(fs []report.Finding, rule string) *report.Finding {
	for i := range fs {
		if fs[i].Rule == rule {
			return &fs[i]
		}
	}
	return nil
}

// A custom rule in config links to profile-metadata facts the way the
// built-in profiler rule does: the links are catalog data, not code.
func TestCustomRuleUsesLinks(t *testing.T) {
	cfg := Default()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"custom_rules": []any{map[string]any{
			"id":                "block_event_recording",
			"threshold":         0.005,
			"recommendations":   map[string]any{"default": "turn block profiling off"},
			"signatures":        []any{map[string]any{"dialect": "go", "roots": []any{`^runtime\.saveblockevent$`}}},
			"metadata_evidence": []any{"block_profile", "mutex_profile"},
			"metric_evidence":   []any{map[string]any{"signal": "requests", "describe": "%.1f requests/s"}},
		}},
	}).Unmarshal(cfg))
	res := replay(t, cfg, "session-service",
		fixture("profiler-a", "cpu.pb.gz"), fixture("profiler-a", "block.pb.gz"), fixture("profiler-a", "mutex.pb.gz"))
	f := findingOf(res.Findings, "block_event_recording")
	require.NotNil(t, f, "custom rule not raised: %v", res.Findings)
	var notes []string
	for _, e := range f.Evidence {
		notes = append(notes, e.Description)
	}
	all := strings.Join(notes, "\n")
	assert.Contains(t, all, "block profiling is enabled")
	assert.Contains(t, all, "mutex profiling is enabled")
	assert.NotContains(t, all, "sampled at", "a fact the rule does not cite stays out")
}

// Every service the input holds is listed, judged or not and why.
func TestServicesJudgedOrNot(t *testing.T) {
	tests := []struct {
		name   string
		files  []string
		judged bool
		reason string
	}{
		{"judged Go CPU profile", []string{fixture("regex-a", "cpu.pb.gz")}, true, ""},
		{"48 CPU samples", []string{fixture("rw-go-too-few-samples", "profile.pb.gz")}, false, "fewer than the minimum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := replay(t, Default(), "svc", tt.files...)
			require.Len(t, res.Services, 1)
			s := res.Services[0]
			assert.Equal(t, "svc", s.Service)
			assert.Equal(t, tt.judged, s.Judged)
			if tt.judged {
				assert.Nil(t, s.Reason)
				assert.Positive(t, s.CPUSamples)
				assert.Positive(t, s.CPUSeconds)
				return
			}
			require.NotNil(t, s.Reason)
			assert.Contains(t, *s.Reason, tt.reason)
			assert.Empty(t, res.Findings)
		})
	}
}

// A service's version is the first present of version_attributes, in the
// spellings OTel resources, Pyroscope labels and Prometheus targets carry.
func TestVersionOf(t *testing.T) {
	adv, err := New(Default(), Live, "")
	require.NoError(t, err)
	tests := []struct {
		name  string
		attrs map[string]any
		want  string
	}{
		{"OTel service.version", map[string]any{"service.version": "1.4.2", "version": "ignored"}, "1.4.2"},
		{"Pyroscope label service_version", map[string]any{"service_version": "abc123"}, "abc123"},
		{"Prometheus target label version", map[string]any{"version": "v7"}, "v7"},
		{"git ref", map[string]any{"service_git_ref": "9f1c2e"}, "9f1c2e"},
		{"an empty value is no version", map[string]any{"service.version": "", "version": "v2"}, "v2"},
		{"none", map[string]any{"service.name": "checkout"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			require.NoError(t, m.FromRaw(tt.attrs))
			assert.Equal(t, tt.want, adv.VersionOf(m))
		})
	}
}
