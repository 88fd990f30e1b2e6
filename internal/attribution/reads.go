package attribution

// SampleTypesRead reports which of one service's profiles in a message
// Accumulate reads the samples of, given their types as spelled (sample
// type, unit, period type, period unit) and no Pyroscope profile name, as
// in a pprof file. The others count by their type alone (a Go CPU profile's
// samples/count beside its cpu/nanoseconds), so a caller that builds a
// message only to accumulate it may leave their samples out.
func SampleTypesRead(types [][4]string) []bool {
	pts := make([]profileType, len(types))
	nanos := false
	for i, t := range types {
		pts[i] = profileType{sample: lower(t[0]), unit: lower(t[1]), period: lower(t[2]), periodUnit: lower(t[3])}
		if pts[i].kind(false) == kindCPUNanos {
			nanos = true
		}
	}
	read := make([]bool, len(types))
	for i, t := range pts {
		read[i] = t.kind(nanos) != kindSkip
	}
	return read
}
