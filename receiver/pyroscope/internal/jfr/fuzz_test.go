package jfr

import (
	"testing"
	"time"
)

// FuzzJFR feeds mutated recordings to the check and the parser: either an
// error or profiles, never a panic, never an allocation a length field
// asked for.
func FuzzJFR(f *testing.F) {
	for _, name := range []string{"wall_tick_sample.jfr.gz", "new_spancontext.jfr.gz", "nativemem.jfr.gz"} {
		f.Add(recording(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := Convert(body, nil, Input{Start: time.Unix(1700000000, 0), End: time.Unix(1700000010, 0)})
		if err != nil {
			return
		}
		for _, p := range res.Profiles {
			if p.Name == "" || len(p.Pprof) == 0 {
				t.Fatalf("empty profile %+v", p)
			}
		}
	})
}
