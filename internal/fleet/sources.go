package fleet

import "strings"

// cpuSource is one way a service's CPU reaches a collector (docs/collector.md, "CPU sources").
// The order of cpuSources is the preference when a service reports several:
// exact cumulative counters of the process first, then container and pod
// counters, then runtime-reported counters, then sampled gauges that can miss
// short bursts. One source per service, so nothing is counted twice.
type cpuSource struct {
	names []string
	gauge bool // the value is cores in use at the timestamp, not CPU seconds
	label string
}

var cpuSources = []cpuSource{
	{names: []string{"process.cpu.time"}, label: "process.cpu.time"},
	{names: []string{"process_cpu_seconds_total", "process_cpu_seconds"}, label: "process_cpu_seconds_total"},
	{names: []string{"container.cpu.time"}, label: "container.cpu.time"},
	{names: []string{"k8s.pod.cpu.time"}, label: "k8s.pod.cpu.time"},
	{names: []string{"jvm.cpu.time", "process.runtime.jvm.cpu.time"}, label: "jvm.cpu.time"},
	{names: []string{"go.cpu.time"}, label: "go.cpu.time"},
	{names: []string{"container.cpu.usage"}, gauge: true, label: "container.cpu.usage"},
	{names: []string{"k8s.pod.cpu.usage"}, gauge: true, label: "k8s.pod.cpu.usage"},
}

// cpuSourceIndex maps a metric name to its index in cpuSources.
var cpuSourceIndex = func() map[string]int {
	m := map[string]int{}
	for i, s := range cpuSources {
		for _, n := range s.names {
			m[n] = i
		}
	}
	return m
}()

// goroutineNames are the goroutine-count gauges of the Go runtimes' instrumentations.
var goroutineNames = map[string]bool{
	"go.goroutine.count":             true, // OTel contrib runtime instrumentation (semconv)
	"process.runtime.go.goroutines":  true, // older contrib runtime instrumentation
	"go_goroutines":                  true, // Prometheus client_golang
	"go_sched_goroutines_goroutines": true,
}

// unitScale converts a CPU-time unit to seconds; ok is false for units that
// are not time (e.g. a utilisation ratio published under a CPU name).
func unitScale(unit string, gauge bool) (float64, bool) {
	if gauge {
		switch unit {
		case "", "{cpu}", "{cpus}", "cpu", "{core}", "cores", "1": // "1" is how some exporters spell cores
			return 1, true
		case "m{cpu}", "millicores":
			return 1e-3, true
		}
		return 0, false
	}
	switch unit {
	case "", "s", "seconds":
		return 1, true
	case "ms":
		return 1e-3, true
	case "us", "µs":
		return 1e-6, true
	case "ns":
		return 1e-9, true
	}
	return 0, false
}

// normName folds the spellings of one metric across producers (JMX's
// fetch-rate, OTel's fetch_rate, dotted or not) into one comparable form.
func normName(n string) string {
	n = strings.ToLower(n)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == ':' {
			return '_'
		}
		return r
	}, n)
}
