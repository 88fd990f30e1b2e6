package pprofconv

// Attribute keys this package writes (and reads back in ToPprof).
const (
	// ProfileNameAttr is the profile attribute the Pyroscope receiver sets
	// from the `__name__` label (process_cpu, block, mutex, ...).
	ProfileNameAttr = "pyroscope.profile.name"

	BuildIDAttr           = "process.executable.build_id.gnu"
	HasFunctionsAttr      = "pprof.mapping.has_functions"
	HasFilenamesAttr      = "pprof.mapping.has_filenames"
	HasLineNumbersAttr    = "pprof.mapping.has_line_numbers"
	HasInlineFramesAttr   = "pprof.mapping.has_inline_frames"
	IsFoldedAttr          = "pprof.location.is_folded"
	DefaultSampleTypeAttr = "pprof.profile.default_sample_type"
	CommentAttr           = "pprof.profile.comment" // a string slice, in order
	DocURLAttr            = "pprof.profile.doc_url"
	DropFramesAttr        = "pprof.profile.drop_frames"
	KeepFramesAttr        = "pprof.profile.keep_frames"
)
