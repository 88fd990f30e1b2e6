package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/report")

// demoFleet is the bundled fleet: a dozen services' profiles (named with
// NAME=PATH: pprof files carry no service) and the fleet's CPU metrics.
func demoFleet() []string {
	named := [][2]string{
		{"checkout", "regex-a/cpu.pb.gz"}, {"checkout", "regex-a/allocs.pb.gz"},
		{"order-payments", "tls-a/cpu.pb.gz"}, {"order-status-api", "db-a/cpu.pb.gz"},
		{"webhook-dispatcher", "dns-a/cpu.pb.gz"}, {"inventory-projector", "kafka-a/cpu.pb.gz"},
		{"session-service", "profiler-a/cpu.pb.gz"}, {"session-service", "profiler-a/block.pb.gz"},
		{"session-service", "profiler-a/mutex.pb.gz"}, {"invoice-renderer", "alloc-a/cpu.pb.gz"},
		{"review-moderation", "python-regex-a/cpu.pb.gz"}, {"edge-gateway", "native-tls-a/cpu.pb.gz"},
		{"api-gateway", "regex-neg/cpu.pb.gz"},
	}
	var args []string
	for _, n := range named {
		args = append(args, n[0]+"="+fx(strings.Split(n[1], "/")...))
	}
	return append(args, fx("jvm-kafka-poll-a-otlp", "profiles.pb"), fx("jvm-regex-a-otlp", "profiles.pb"),
		fx("fleet-outlier-a", "metrics.json"))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "report", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got, "%s differs (go test ./cmd/perfadvisor -run TestReport -update rewrites it)", path)
}

// The report over the demo fleet reads like the guide and is the same for
// the same input, in markdown and JSON.
func TestReportGolden(t *testing.T) {
	for _, f := range []struct{ format, file string }{{"markdown", "fleet.md"}, {"json", "fleet.json"}} {
		t.Run(f.format, func(t *testing.T) {
			code, out, errOut := runCLI(append([]string{"report", "--format", f.format, "--price-per-core-hour", "0.04"}, demoFleet()...)...)
			require.Equal(t, 0, code, errOut)
			_, again, _ := runCLI(append([]string{"report", "--format", f.format, "--price-per-core-hour", "0.04"}, demoFleet()...)...)
			assert.Equal(t, out, again, "deterministic for the same input")
			golden(t, f.file, out)
		})
	}
}

// The JSON carries the contract's fields; the plan's phases add up to the
// total, each sample once.
func TestReportJSONContract(t *testing.T) {
	code, out, errOut := runCLI(append([]string{"report", "--format", "json"}, demoFleet()...)...)
	require.Equal(t, 0, code, errOut)
	var doc struct {
		Services []map[string]any `json:"services"`
		Phases   []struct {
			Name  string           `json:"name"`
			Items []map[string]any `json:"items"`
			Cores float64          `json:"expected_cores_saved"`
		} `json:"phases"`
		Total float64 `json:"total_expected_cores_saved"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.NotEmpty(t, doc.Services)
	for _, s := range doc.Services {
		for _, k := range []string{"service", "cpu_cores", "expected_cpu_reduction", "expected_cpu_reduction_interval", "expected_cores_saved", "findings"} {
			assert.Contains(t, s, k, "service %v", s["service"])
		}
	}
	require.Len(t, doc.Phases, 3)
	sum := 0.0
	for _, ph := range doc.Phases {
		sum += ph.Cores
		for _, it := range ph.Items {
			for _, k := range []string{"rule", "service", "expected_cpu_reduction", "effort"} {
				assert.Contains(t, it, k)
			}
		}
	}
	assert.InDelta(t, doc.Total, sum, 0.002)
	assert.Greater(t, doc.Total, 0.0)
}
