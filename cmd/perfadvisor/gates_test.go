package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
)

func TestTakeRepeated(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantValues []string
		wantRest   []string
		wantErr    string
	}{
		{"none", []string{"--format", "json", "a"}, nil, []string{"--format", "json", "a"}, ""},
		{"both forms, repeated", []string{"--fail-on", "regression", "a", "--fail-on=any>0.1", "-fail-on", "x>1"},
			[]string{"regression", "any>0.1", "x>1"}, []string{"a"}, ""},
		{"after a double dash is a file", []string{"--", "--fail-on", "x"}, nil, []string{"--", "--fail-on", "x"}, ""},
		{"no value", []string{"a", "--fail-on"}, nil, nil, "--fail-on needs a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, rest, err := takeRepeated(tt.args, "fail-on")
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantValues, values)
			assert.Equal(t, tt.wantRest, rest)
		})
	}
}

func TestParseGate(t *testing.T) {
	cat, err := catalog.Default()
	require.NoError(t, err)
	tests := []struct {
		name    string
		expr    string
		compare bool // else analyze
		want    gate
		wantErr string
	}{
		{"regression", "regression", true, gate{expr: "regression", kind: gateRegression}, ""},
		{"rule share", "regex_compile_hot_path>0.05", true, gate{expr: "regex_compile_hot_path>0.05", kind: gateShare, rule: "regex_compile_hot_path", bound: 0.05}, ""},
		{"percent", "any>5%", false, gate{expr: "any>5%", kind: gateShare, bound: 0.05}, ""},
		{"severity", "severity>=warning", false, gate{expr: "severity>=warning", kind: gateSeverity, severity: 2}, ""},
		{"regression on analyze", "regression", false, gate{}, "regression needs compare"},
		{"severity on compare", "severity>=warning", true, gate{}, "severity gates are for analyze"},
		{"unknown severity", "severity>=high", false, gate{}, "info, warning or critical"},
		{"unknown rule", "regex>0.1", true, gate{}, `unknown rule "regex"`},
		{"metric rule", "service_cpu_outlier>0.1", false, gate{}, "metric rule"},
		{"not a number", "any>lots", true, gate{}, "not a number"},
		{"share above one", "any>1.5", true, gate{}, "outside 0..1"},
		{"no operator", "tls_handshake_overhead", true, gate{}, "want regression, RULE>SHARE or any>SHARE"},
		{"greater or equal on a share", "any>=0.1", true, gate{}, "want regression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseGate(tt.expr, cat, tt.compare, !tt.compare)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				var ue *usageError
				assert.ErrorAs(t, err, &ue, "a malformed gate is bad usage (exit 2)")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGateExitCodes(t *testing.T) {
	regexA, regexNeg := fx("regex-a", "cpu.pb.gz"), fx("regex-neg", "cpu.pb.gz")
	tests := []struct {
		name      string
		args      []string
		wantCode  int
		wantLines []string // each a substring of one stderr line, in order
	}{
		{"analyze passes its gate", []string{"analyze", "--service", "checkout", "--fail-on", "regex_compile_hot_path>0.5", regexA}, exitOK, nil},
		{"analyze share gate", []string{"analyze", "--service", "checkout", "--fail-on", "regex_compile_hot_path>30%", regexA}, exitGate,
			[]string{"rule regex_compile_hot_path, service checkout: CPU share 35.8% > 30.0%"}},
		{"analyze severity gate, one line per finding", []string{"analyze", "--service", "checkout", "--fail-on", "severity>=warning", regexA}, exitGate,
			[]string{"rule alloc_gc_pressure, service checkout: critical", "rule regex_compile_hot_path, service checkout: critical"}},
		{"analyze bad gate", []string{"analyze", "--fail-on", "severity>=loud", regexA}, exitUsage, []string{"severity is info, warning or critical"}},
		{"compare fix passes the regression gate", []string{"compare", "--service", "checkout", "--fail-on", "regression",
			"--before", regexA, "--after", regexNeg}, exitOK, nil},
		{"compare regression", []string{"compare", "--service", "checkout", "--fail-on", "regression",
			"--before", regexNeg, "--after", regexA}, exitGate, []string{"rule regex_compile_hot_path, service checkout: regressed"}},
		{"compare share gate on the after side", []string{"compare", "--service", "checkout", "--fail-on", "regex_compile_hot_path>0.01",
			"--before", regexA, "--after", regexNeg}, exitOK, nil},
		{"compare bad gate", []string{"compare", "--fail-on", "regresion", "--before", regexA, "--after", regexNeg}, exitUsage, []string{"--fail-on \"regresion\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			assert.Equal(t, tt.wantCode, code, "stderr: %s", stderr)
			if tt.wantCode != exitUsage {
				assert.NotEmpty(t, stdout, "the report is printed whatever the gates say")
			}
			if len(tt.wantLines) == 0 {
				assert.Empty(t, stderr)
				return
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if tt.wantCode == exitGate {
				require.GreaterOrEqual(t, len(lines), len(tt.wantLines), stderr)
			} else {
				require.Len(t, lines, 1, stderr)
			}
			i := 0
			for _, l := range lines {
				assert.True(t, strings.HasPrefix(l, "perfadvisor: "), l)
				if i < len(tt.wantLines) && strings.Contains(l, tt.wantLines[i]) {
					i++
				}
			}
			assert.Equal(t, len(tt.wantLines), i, "stderr lacks %v: %s", tt.wantLines, stderr)
		})
	}
}
