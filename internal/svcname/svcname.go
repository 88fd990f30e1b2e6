// Package svcname resolves the service a resource belongs to, with the same
// fallback order in the CLI, the processor and the metric rules.
package svcname

import (
	"fmt"
	"hash/fnv"
	"path"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Resource attributes the OpenTelemetry eBPF profiler sets on a process
// (semconv ProcessPIDKey, ProcessExecutableNameKey, ProcessExecutablePathKey
// in open-telemetry/opentelemetry-ebpf-profiler
// reporter/internal/pdata/generate.go); without Kubernetes metadata they are
// all it says about a process.
const (
	PIDAttr            = "process.pid"
	ExecutableNameAttr = "process.executable.name"
	ExecutablePathAttr = "process.executable.path"
	hostNameAttr       = "host.name"
)

// DefaultOrder is tried in order; the first non-empty attribute names the service.
var DefaultOrder = []string{
	"service.name",
	// The eBPF profiler's include_env_vars puts the SDK's own setting here.
	"process.environment_variable.OTEL_SERVICE_NAME",
	"k8s.deployment.name",
	"k8s.statefulset.name",
	"k8s.daemonset.name",
	"service_name", // Pyroscope label
	ExecutableNameAttr,
	ExecutablePathAttr, // its base name
	"job",              // Prometheus scrape job
}

// Resolve returns the service named by attrs, trying order (DefaultOrder when
// nil). ok is false when none of the attributes is set; a `service.name` of
// the SDK default form "unknown_service[:exe]" counts as unset, and
// process.executable.path names the service by its base name.
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
		if k == ExecutablePathAttr {
			s = baseName(s)
		}
		if s == "" || (k == "service.name" && isUnknown(s)) {
			continue
		}
		return Bound(s), true
	}
	return "", false
}

// MaxNameBytes bounds a service name: it becomes a metric label, a log
// attribute and a map key, and comes from whoever sends data.
const MaxNameBytes = 256

// Bound makes a name safe to use as a label: invalid UTF-8 replaced, and a
// name over MaxNameBytes cut at a rune boundary with a hash of the whole, so
// two long names that share a prefix stay two services.
func Bound(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= MaxNameBytes {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	cut := MaxNameBytes - 9
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s~%08x", s[:cut], h.Sum32())
}

// ResolveProcess is Resolve for a resource that may be one process seen from
// outside (the eBPF profiler without Kubernetes metadata: process.pid and
// little else). When no attribute of order names it and it carries
// process.pid, the base name of mainMappingFile (the file of its main
// executable mapping, see MainMappingFile) names it, else its pid, so that
// the processes of a host never merge into one bucket. A resource without
// process.pid (a pprof file, a metrics scrape) is left unnamed for the
// caller's default, as Resolve leaves it.
func ResolveProcess(attrs pcommon.Map, order []string, mainMappingFile string) (name string, ok bool) {
	if name, ok := Resolve(attrs, order); ok {
		return name, true
	}
	pid, found := attrs.Get(PIDAttr)
	if !found || pid.AsString() == "" {
		return "", false
	}
	if exe := baseName(mainMappingFile); exe != "" {
		return Bound(exe), true
	}
	name = PIDAttr + "=" + pid.AsString()
	if host, found := attrs.Get(hostNameAttr); found && host.AsString() != "" {
		name += "@" + host.AsString()
	}
	return Bound(name), true
}

// baseName is the last element of an executable path; a kernel thread's
// "[name]" or an empty path gives "".
func baseName(p string) string {
	p = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p), "(deleted)"))
	if p == "" || strings.HasPrefix(p, "[") {
		return ""
	}
	b := path.Base(strings.ReplaceAll(p, "\\", "/"))
	if b == "." || b == "/" {
		return ""
	}
	return b
}

func isUnknown(s string) bool {
	return s == "unknown_service" || len(s) > len("unknown_service:") && s[:len("unknown_service:")] == "unknown_service:"
}
