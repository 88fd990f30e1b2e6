package svcname

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name   string
		attrs  map[string]any
		order  []string
		want   string
		wantOK bool
	}{
		{"service.name wins", map[string]any{"service.name": "checkout", "k8s.deployment.name": "checkout-v2"}, nil, "checkout", true},
		{"SDK default service.name falls back", map[string]any{"service.name": "unknown_service:java", "k8s.deployment.name": "fraud"}, nil, "fraud", true},
		{"bare unknown_service falls back", map[string]any{"service.name": "unknown_service", "process.executable.name": "java"}, nil, "java", true},
		{"eBPF process with OTEL_SERVICE_NAME in its environment", map[string]any{"process.environment_variable.OTEL_SERVICE_NAME": "fraud-detection", "process.executable.name": "java"}, nil, "fraud-detection", true},
		{"Pyroscope label", map[string]any{"service_name": "ride-sharing"}, nil, "ride-sharing", true},
		{"Prometheus job", map[string]any{"job": "cart", "instance": "10.0.0.1:9090"}, nil, "cart", true},
		{"empty value is unset", map[string]any{"service.name": "", "process.executable.name": "nginx"}, nil, "nginx", true},
		{"nothing names it", map[string]any{"host.name": "node-1"}, nil, "", false},
		{"custom order", map[string]any{"service.name": "a", "team": "payments"}, []string{"team", "service.name"}, "payments", true},
		{"non-string value", map[string]any{"service.name": int64(42)}, nil, "42", true},
		{"executable name before path", map[string]any{"process.executable.name": "nginx", "process.executable.path": "/usr/sbin/nginx-debug"}, nil, "nginx", true},
		{"executable path by its base name", map[string]any{"process.pid": int64(7), "process.executable.path": "/opt/app/bin/checkout"}, nil, "checkout", true},
		{"deleted executable path", map[string]any{"process.executable.path": "/usr/bin/fraud (deleted)"}, nil, "fraud", true},
		{"kernel thread path is no name", map[string]any{"process.executable.path": "[kworker/0:1]", "job": "node"}, nil, "node", true},
		{"pid alone is not named by Resolve", map[string]any{"process.pid": int64(7), "host.name": "node-1"}, nil, "", false},
		{"OTEL_SERVICE_NAME before the executable", map[string]any{"process.environment_variable.OTEL_SERVICE_NAME": "cart", "process.executable.path": "/usr/bin/java"}, nil, "cart", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			if err := m.FromRaw(tt.attrs); err != nil {
				t.Fatal(err)
			}
			got, ok := Resolve(m, tt.order)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("Resolve = (%q, %v), want (%q, %v)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// Names come from whoever sends data and become labels: bounded, valid
// UTF-8, and two long names with one prefix stay two services.
func TestBound(t *testing.T) {
	long := strings.Repeat("checkout-", 100)
	tests := []struct {
		name, in string
		check    func(t *testing.T, got string)
	}{
		{"short names are kept", "checkout", func(t *testing.T, got string) { assert.Equal(t, "checkout", got) }},
		{"invalid UTF-8 is replaced", "bad\xffname", func(t *testing.T, got string) { assert.Equal(t, "bad\uFFFDname", got) }},
		{"long names are cut with a hash", long, func(t *testing.T, got string) {
			assert.LessOrEqual(t, len(got), MaxNameBytes)
			assert.True(t, strings.HasPrefix(got, long[:100]))
			assert.NotEqual(t, got, Bound(long+"x"), "a different long name stays different")
		}},
		{"a cut never splits a rune", strings.Repeat("é", 300), func(t *testing.T, got string) {
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, len(got), MaxNameBytes)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, Bound(tt.in)) })
	}
}
