// Package metadata holds the component's type, scope and stability. Written by
// hand from ../../metadata.yaml: mdatagen ≥ v0.160 is not obtainable here.
package metadata

import "go.opentelemetry.io/collector/component"

// Type is the component type used in collector configs.
var Type = component.MustNewType("perfadvisor")

// ScopeName is the instrumentation scope of the advice and of self-telemetry.
const ScopeName = "github.com/perfadvisor/perfadvisor/processor/perfadvisor"

// Stability per signal, as in metadata.yaml.
const (
	ProfilesStability = component.StabilityLevelDevelopment
	MetricsStability  = component.StabilityLevelDevelopment
	LogsStability     = component.StabilityLevelDevelopment
)
