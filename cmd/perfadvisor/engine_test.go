package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the real engine through the CLI: they check the wiring
// (files → one window per service, metric replay, --service, --config),
// with figures measured by the fixtures' own truth commands.

func findingOf(findings []map[string]any, rule, service string) map[string]any {
	for _, f := range findings {
		if f["rule"] == rule && f["service"] == service {
			return f
		}
	}
	return nil
}

func TestAnalyzeFindings(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		rule     string
		service  string
		cpuRatio float64 // expect.json truth; 0 = check value instead
		value    float64
		mustNot  []string
	}{
		{"go cpu+allocs as one window", []string{"--service", "checkout", fx("regex-a", "cpu.pb.gz"), fx("regex-a", "allocs.pb.gz")},
			"regex_compile_hot_path", "checkout", 0.358, 0, []string{"tls_handshake_overhead", "kafka_poll_inefficiency", "dns_resolution_overhead"}},
		{"cpu, allocs, block and mutex together", []string{"--service", "session-service",
			fx("profiler-a", "cpu.pb.gz"), fx("profiler-a", "allocs.pb.gz"), fx("profiler-a", "block.pb.gz"), fx("profiler-a", "mutex.pb.gz")},
			"profiler_overhead", "session-service", 0.041, 0, []string{"regex_compile_hot_path"}},
		{"OTLP profiles JSON keeps its service.name", []string{"--service", "someone-else", fx("jvm-regex-a-otlp", "profiles.json")},
			"regex_compile_hot_path", "user-profile", 0.137, 0, nil},
		{"eBPF OTLP protobuf", []string{"--service", "fraud-detection", fx("ebpf-jvm-kafka", "profiles.pb")},
			"kafka_poll_inefficiency", "fraud-detection", 0.12, 0, []string{"regex_compile_hot_path"}},
		{"metric fleet replay", []string{fx("fleet-outlier-a", "metrics.json")},
			"service_cpu_outlier", "checkout", 0, 17.14, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := analyzeJSON(t, tt.args...)
			f := findingOf(findings, tt.rule, tt.service)
			require.NotNil(t, f, "no %s finding for %s in %v", tt.rule, tt.service, findings)
			if tt.cpuRatio > 0 {
				assert.InDelta(t, tt.cpuRatio, f["cpu_ratio"], 0.02)
			} else {
				assert.InEpsilon(t, tt.value, f["value"], 0.25)
			}
			for _, r := range tt.mustNot {
				assert.Nil(t, findingOf(findings, r, tt.service), "unexpected %s", r)
			}
		})
	}
}

func TestAnalyzeConfig(t *testing.T) {
	disable := tempFile(t, "disable.yaml", []byte("rules:\n  regex_compile_hot_path:\n    enabled: false\n"))
	raise := tempFile(t, "raise.yaml", []byte("rules:\n  regex_compile_hot_path:\n    threshold: 0.9\n"))
	files := []string{"--service", "checkout", fx("regex-a", "cpu.pb.gz")}
	tests := []struct {
		name    string
		config  string
		wantHit bool
	}{
		{"built-in catalog", "", true},
		{"rule disabled", disable, false},
		{"threshold above the share", raise, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := files
			if tt.config != "" {
				args = append([]string{"--config", tt.config}, files...)
			}
			f := findingOf(analyzeJSON(t, args...), "regex_compile_hot_path", "checkout")
			assert.Equal(t, tt.wantHit, f != nil)
		})
	}
}

func compareJSON(t *testing.T, before, after []string) map[string]comparison {
	t.Helper()
	args := []string{"compare", "--format", "json", "--service", "svc", "--before"}
	args = append(append(append(args, before...), "--after"), after...)
	code, stdout, stderr := runCLI(args...)
	require.Equal(t, exitOK, code, stderr)
	var doc struct {
		Rules []comparison `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	out := map[string]comparison{}
	for _, r := range doc.Rules {
		assert.Equal(t, "svc", r.Service)
		out[r.Rule] = r
	}
	return out
}

func TestCompareVerdicts(t *testing.T) {
	regexA, regexNeg := fx("regex-a", "cpu.pb.gz"), fx("regex-neg", "cpu.pb.gz")
	tlsA, tlsNeg := fx("tls-a", "cpu.pb.gz"), fx("tls-neg", "cpu.pb.gz")
	tests := []struct {
		name         string
		before       []string
		after        []string
		rule         string
		wantVerdict  string
		wantRealized float64 // within 0.03
	}{
		{"regex fixed", []string{regexA}, []string{regexNeg}, "regex_compile_hot_path", verdictFixed, 0.358},
		{"regex regressed", []string{regexNeg}, []string{regexA}, "regex_compile_hot_path", verdictRegressed, -0.36},
		{"same profile unchanged", []string{regexA}, []string{regexA}, "regex_compile_hot_path", verdictUnchanged, 0},
		{"tls fixed", []string{tlsA}, []string{tlsNeg}, "tls_handshake_overhead", verdictFixed, 0.377},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := compareJSON(t, tt.before, tt.after)
			r, ok := rows[tt.rule]
			require.True(t, ok, "no row for %s in %v", tt.rule, rows)
			assert.Equal(t, tt.wantVerdict, r.Verdict)
			assert.InDelta(t, tt.wantRealized, r.RealizedReduction, 0.03)
			lo, hi := r.RealizedReductionInterval[0], r.RealizedReductionInterval[1]
			assert.True(t, lo <= r.RealizedReduction && r.RealizedReduction <= hi, "%v not in [%v, %v]", r.RealizedReduction, lo, hi)
			for _, v := range []float64{r.Before, r.After, r.ExpectedReduction} {
				assert.GreaterOrEqual(t, v, 0.0)
				assert.LessOrEqual(t, v, 1.0)
			}
		})
	}
}

func TestRulesListsEveryID(t *testing.T) {
	code, stdout, stderr := runCLI("rules", "--format", "json")
	require.Equal(t, exitOK, code, stderr)
	var doc struct {
		Rules []map[string]any `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	ids := map[any]bool{}
	for _, r := range doc.Rules {
		ids[r["id"]] = true
	}
	for _, id := range []string{"profiler_overhead", "regex_compile_hot_path", "tls_handshake_overhead", "kafka_poll_inefficiency",
		"alloc_gc_pressure", "db_connection_churn", "dns_resolution_overhead", "service_cpu_outlier",
		"service_elevated_baseline", "service_cpu_spikes", "goroutine_growth"} {
		assert.True(t, ids[id], "rules lacks %s", id)
	}
	disable := tempFile(t, "d.yaml", []byte("rules: {dns_resolution_overhead: {enabled: false}}\n"))
	code, stdout, _ = runCLI("rules", "--format", "json", "--config", disable)
	require.Equal(t, exitOK, code)
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	for _, r := range doc.Rules {
		if r["id"] == "dns_resolution_overhead" {
			assert.Equal(t, false, r["enabled"])
		}
	}
}
