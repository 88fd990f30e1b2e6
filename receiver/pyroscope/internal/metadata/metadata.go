// Package metadata holds the receiver's type, scope and stability, written by
// hand because mdatagen v0.160+ is not available to this build.
package metadata

import "go.opentelemetry.io/collector/component"

var Type = component.MustNewType("pyroscope")

const (
	// ScopeName names the meter of the receiver's self-telemetry.
	ScopeName = "github.com/perfadvisor/perfadvisor/receiver/pyroscope"

	ProfilesStability = component.StabilityLevelDevelopment
)
