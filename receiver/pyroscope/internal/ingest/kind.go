package ingest

import "strings"

// ProfileName infers the Pyroscope profile name (the `__name__` label a push
// would carry: process_cpu, memory, block, mutex, goroutine, wall) of an
// /ingest profile from its sample type names (pprof ValueType.Type, one per
// sample type), the sample_type_config display names and the legacy
// app-name suffix. "" when it cannot tell.
func ProfileName(sampleTypes []string, req *Request) string {
	has := make(map[string]bool, len(sampleTypes))
	for _, st := range sampleTypes {
		has[st] = true
	}
	switch {
	case has["cpu"]:
		return "process_cpu"
	case has["alloc_objects"], has["alloc_space"], has["inuse_objects"], has["inuse_space"]:
		return "memory"
	case has["goroutine"], has["goroutines"]:
		return "goroutine"
	case has["wall"]:
		return "wall"
	case has["contentions"], has["delay"]:
		// Go's block and mutex profiles have the same sample types; the SDK
		// tells them apart only by display name (block_count, mutex_duration).
		for _, st := range req.SampleTypes {
			switch {
			case strings.HasPrefix(st.DisplayName, "block_"):
				return "block"
			case strings.HasPrefix(st.DisplayName, "mutex_"):
				return "mutex"
			}
		}
	}
	return req.Name.Kind
}
