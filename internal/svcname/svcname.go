// Package svcname resolves the service a resource belongs to, with the same
// fallback order in the CLI, the processor and the metric rules.
package svcname

import "go.opentelemetry.io/collector/pdata/pcommon"

// DefaultOrder is tried in order; the first non-empty attribute names the service.
var DefaultOrder = []string{
	"service.name",
	// The eBPF profiler's include_env_vars puts the SDK's own setting here.
	"process.environment_variable.OTEL_SERVICE_NAME",
	"k8s.deployment.name",
	"k8s.statefulset.name",
	"k8s.daemonset.name",
	"service_name", // Pyroscope label
	"process.executable.name",
	"job", // Prometheus scrape job
}

// Resolve returns the service named by attrs, trying order (DefaultOrder when
// nil). ok is false when none of the attributes is set; a `service.name` of
// the SDK default form "unknown_service[:exe]" counts as unset.
func Resolve(attrs pcommon.Map, order []string) (name string, ok bool) {
	if order == nil {
		order = DefaultOrder
	}
	for _, k := range order {
		v, found := attrs.Get(k)
		if !found {
			continue
		}
		s := v.AsString()
		if s == "" || (k == "service.name" && isUnknown(s)) {
			continue
		}
		return s, true
	}
	return "", false
}

func isUnknown(s string) bool {
	return s == "unknown_service" || len(s) > len("unknown_service:") && s[:len("unknown_service:")] == "unknown_service:"
}
