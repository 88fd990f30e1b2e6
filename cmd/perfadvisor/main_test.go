package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixtures = "../../testdata/fixtures"

func fx(parts ...string) string { return filepath.Join(append([]string{fixtures}, parts...)...) }

// runCLI runs the command in-process, as main does.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func tempFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestExitCodes(t *testing.T) {
	good, err := os.ReadFile(fx("regex-a", "cpu.pb.gz"))
	require.NoError(t, err)
	random := make([]byte, 2048)
	rand.New(rand.NewSource(7)).Read(random)
	badConfig := tempFile(t, "bad.yaml", []byte("rules: [this is not a map"))
	unknownKey := tempFile(t, "unknown.yaml", []byte("no_such_key: 1\n"))
	badValue := tempFile(t, "badvalue.yaml", []byte("min_samples: -1\n"))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string // substring of the single stderr line
	}{
		{"no command", nil, exitUsage, "no command"},
		{"unknown command", []string{"analyse"}, exitUsage, `unknown command "analyse"`},
		{"help", []string{"help"}, exitOK, ""},
		{"analyze without files", []string{"analyze"}, exitUsage, "no input files"},
		{"unknown flag", []string{"analyze", "--fromat", "json", fx("regex-a", "cpu.pb.gz")}, exitUsage, "unknown flag --fromat"},
		{"bad format", []string{"analyze", "--format", "xml", fx("regex-a", "cpu.pb.gz")}, exitUsage, `--format "xml"`},
		{"flag without value", []string{"analyze", fx("regex-a", "cpu.pb.gz"), "--service"}, exitUsage, "--service needs a value"},
		{"bad input format", []string{"analyze", "--input-format", "jfr", fx("regex-a", "cpu.pb.gz")}, exitUsage, "jfr"},
		{"bad size flag", []string{"analyze", "--max-file-bytes", "-5", fx("regex-a", "cpu.pb.gz")}, exitUsage, "--max-file-bytes"},
		{"unparsable config", []string{"analyze", "--config", badConfig, fx("regex-a", "cpu.pb.gz")}, exitUsage, "--config"},
		{"config with an unknown key", []string{"analyze", "--config", unknownKey, fx("regex-a", "cpu.pb.gz")}, exitUsage, "no_such_key"},
		{"config the processor would refuse", []string{"analyze", "--config", badValue, fx("regex-a", "cpu.pb.gz")}, exitUsage, "min_samples must be 0 or more"},
		{"missing config", []string{"rules", "--config", filepath.Join(t.TempDir(), "none.yaml")}, exitUsage, "no such file"},
		{"rules with a file", []string{"rules", "x.pb.gz"}, exitUsage, "takes no files"},
		{"compare without after", []string{"compare", "--before", fx("regex-a", "cpu.pb.gz")}, exitUsage, "--after"},
		{"compare with stray file", []string{"compare", fx("regex-a", "cpu.pb.gz")}, exitUsage, "after --before or --after"},
		{"missing file", []string{"analyze", filepath.Join(t.TempDir(), "cpu.pb.gz")}, exitInput, "cpu.pb.gz: no such file or directory"},
		{"empty file", []string{"analyze", tempFile(t, "empty.pb.gz", nil)}, exitInput, "empty.pb.gz: empty file"},
		{"random bytes", []string{"analyze", tempFile(t, "random.bin", random)}, exitInput, "random.bin: not a pprof, OTLP profiles or OTLP metrics file"},
		{"truncated gzip", []string{"analyze", tempFile(t, "cut.pb.gz", good[:len(good)/2])}, exitInput, "cut.pb.gz: gzip"},
		{"gzip bomb", []string{"analyze", "--max-decompressed-bytes", "1048576",
			tempFile(t, "bomb.pb.gz", gzipBytes(t, make([]byte, 8<<20)))}, exitInput, "exceeds the limit"},
		{"file over the size cap", []string{"analyze", "--max-file-bytes", "1000", fx("regex-a", "cpu.pb.gz")}, exitInput, "over the 1000-byte limit"},
		{"pprof forced as metrics", []string{"analyze", "--input-format", "otlp-metrics", fx("regex-a", "cpu.pb.gz")}, exitInput, "OTLP metrics"},
		{"one good, one bad file", []string{"analyze", fx("regex-a", "cpu.pb.gz"), tempFile(t, "bad.pb.gz", random)}, exitInput, "bad.pb.gz"},
		{"analyze pprof", []string{"analyze", fx("regex-a", "cpu.pb.gz")}, exitOK, ""},
		{"flags after files", []string{"analyze", fx("regex-a", "cpu.pb.gz"), "--format=json", "--service", "checkout"}, exitOK, ""},
		{"analyze metrics", []string{"analyze", "--format", "json", fx("fleet-neg", "metrics.json")}, exitOK, ""},
		{"analyze OTLP profiles", []string{"analyze", "--format", "json", fx("jvm-regex-a-otlp", "profiles.pb")}, exitOK, ""},
		{"rules", []string{"rules", "--format", "json"}, exitOK, ""},
		{"compare markdown", []string{"compare", "--format", "markdown", "--before", fx("regex-a", "cpu.pb.gz"), "--after", fx("regex-neg", "cpu.pb.gz")}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(tt.args...)
			assert.Equal(t, tt.wantCode, code, "stderr: %s", stderr)
			if tt.wantStderr == "" {
				assert.Empty(t, stderr)
				return
			}
			assert.True(t, strings.HasPrefix(stderr, "perfadvisor: "), stderr)
			assert.Contains(t, stderr, tt.wantStderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "exactly one line: %q", stderr)
			assert.NotContains(t, stderr, "goroutine ")
		})
	}
}

// findingKeys are the keys docs/design.md §4 promises on every finding.
var findingKeys = []string{"rule", "service", "cpu_ratio", "value", "severity", "expected_cpu_reduction", "recommendation", "evidence"}

func analyzeJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"analyze", "--format", "json"}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	raw, ok := doc["findings"]
	require.True(t, ok, "no findings key in %s", stdout)
	require.NotEqual(t, "null", string(raw), "findings must be a list, never null")
	var findings []map[string]any
	require.NoError(t, json.Unmarshal(raw, &findings))
	for _, f := range findings {
		for _, k := range findingKeys {
			assert.Contains(t, f, k, "finding %v", f["rule"])
		}
		assert.NotNil(t, f["evidence"], "evidence must be a list")
		assert.Contains(t, []any{"info", "warning", "critical"}, f["severity"])
		if r, ok := f["cpu_ratio"].(float64); ok {
			assert.GreaterOrEqual(t, r, 0.0)
			assert.LessOrEqual(t, r, 1.0)
		}
	}
	return findings
}

func TestAnalyzeJSONShape(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"go cpu and allocs", []string{"--service", "checkout", fx("regex-a", "cpu.pb.gz"), fx("regex-a", "allocs.pb.gz")}},
		{"cpu, block and mutex together", []string{"--service", "svc", fx("profiler-a", "cpu.pb.gz"), fx("profiler-a", "block.pb.gz"), fx("profiler-a", "mutex.pb.gz")}},
		{"OTLP profiles JSON", []string{fx("jvm-regex-a-otlp", "profiles.json")}},
		{"eBPF OTLP profiles", []string{"--service", "unnamed", fx("ebpf-jvm-kafka", "profiles.pb")}},
		{"metric fleet", []string{fx("fleet-outlier-a", "metrics.json")}},
		{"clean profile", []string{"--service", "clean", fx("clean-python", "cpu.pb.gz")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			findings := analyzeJSON(t, tt.args...)
			type key struct{ rule, service any }
			seen := map[key]bool{}
			for _, f := range findings {
				k := key{f["rule"], f["service"]}
				assert.False(t, seen[k], "two findings for %v", k)
				seen[k] = true
			}
		})
	}
}

func TestAnalyzeText(t *testing.T) {
	code, stdout, stderr := runCLI("analyze", "--service", "checkout", fx("regex-a", "cpu.pb.gz"))
	require.Equal(t, exitOK, code, stderr)
	assert.True(t, strings.Contains(stdout, "RULE") || strings.HasPrefix(stdout, "No findings"), stdout)
}

func TestRulesJSON(t *testing.T) {
	code, stdout, stderr := runCLI("rules", "--format", "json")
	require.Equal(t, exitOK, code, stderr)
	var doc struct {
		Rules []map[string]any `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	for _, r := range doc.Rules {
		assert.Contains(t, r, "id")
		assert.Contains(t, r, "enabled")
		assert.Contains(t, r, "threshold")
	}
}

func TestCompareJSONShape(t *testing.T) {
	code, stdout, stderr := runCLI("compare", "--format", "json", "--service", "checkout",
		"--before", fx("regex-a", "cpu.pb.gz"), "--after", fx("regex-neg", "cpu.pb.gz"))
	require.Equal(t, exitOK, code, stderr)
	var doc map[string][]map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	rows, ok := doc["rules"]
	require.True(t, ok, stdout)
	for _, r := range rows {
		for _, k := range []string{"rule", "service", "before", "after", "realized_reduction", "expected_reduction", "verdict"} {
			assert.Contains(t, r, k)
		}
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantFlags map[string]string
		wantFiles []string
		wantLists map[string][]string
		wantErr   string
	}{
		{"flags before files", []string{"--format", "json", "a", "b"}, map[string]string{"format": "json"}, []string{"a", "b"}, map[string][]string{}, ""},
		{"equals form and single dash", []string{"-format=json", "a"}, map[string]string{"format": "json"}, []string{"a"}, map[string][]string{}, ""},
		{"double dash ends flags", []string{"--", "--format"}, map[string]string{}, []string{"--format"}, map[string][]string{}, ""},
		{"lists", []string{"--before", "a", "b", "--format", "json", "c", "--after", "d"}, map[string]string{"format": "json"}, nil,
			map[string][]string{"before": {"a", "b", "c"}, "after": {"d"}}, ""},
		{"repeated flag", []string{"--format", "json", "--format", "text"}, nil, nil, nil, "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseArgs(tt.args, []string{"format"}, []string{"before", "after"})
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantFlags, got.flags)
			assert.Equal(t, tt.wantFiles, got.files)
			assert.Equal(t, tt.wantLists, got.lists)
		})
	}
}

func TestConfigProcessorBlock(t *testing.T) {
	path := tempFile(t, "collector.yaml", []byte(`
processors:
  perfadvisor:
    window: 60s
    rules:
      regex_compile_hot_path: {enabled: false}
`))
	cfg, err := loadConfig(path)
	require.NoError(t, err)
	cat, err := cfg.Catalog()
	require.NoError(t, err)
	r, ok := cat.Rule("regex_compile_hot_path")
	require.True(t, ok)
	assert.False(t, r.IsEnabled())
}
