package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAdvice(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []activeFinding
	}{
		{
			name: "empty endpoint",
			text: "",
			want: nil,
		},
		{
			name: "profile rule with its CPU share",
			text: `# HELP perfadvisor_finding_active x
perfadvisor_finding_active{job="checkout",perfadvisor_rule="regex_compile_hot_path",perfadvisor_severity="warning"} 1
perfadvisor_finding_cpu_ratio{job="checkout",perfadvisor_rule="regex_compile_hot_path",perfadvisor_severity="warning"} 0.358
`,
			want: []activeFinding{{Service: "checkout", Rule: "regex_compile_hot_path", CPURatio: 0.358}},
		},
		{
			name: "fleet rule has no CPU share; sorted by service",
			text: `perfadvisor_finding_active{job="tls",perfadvisor_rule="tls_handshake_overhead"} 1
perfadvisor_finding_active{job="checkout",perfadvisor_rule="service_cpu_outlier"} 1
perfadvisor_finding_cpu_ratio{job="tls",perfadvisor_rule="tls_handshake_overhead"} 0.37 1700000000000
`,
			want: []activeFinding{
				{Service: "checkout", Rule: "service_cpu_outlier", CPURatio: -1},
				{Service: "tls", Rule: "tls_handshake_overhead", CPURatio: 0.37},
			},
		},
		{
			name: "other metrics and zero gauges are ignored",
			text: `process_cpu_time_seconds_total{job="checkout"} 12
perfadvisor_finding_active{job="a",perfadvisor_rule="dns_resolution_overhead"} 0
`,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAdvice(strings.NewReader(tt.text))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
