package attribution

import "go.opentelemetry.io/collector/pdata/pprofile"

// ServiceOf is the service a resource's profiles are attributed to, so a
// caller can tell which services a batch touches.
func (a *Analyzer) ServiceOf(rp pprofile.ResourceProfiles) string { return a.serviceOf(rp) }
