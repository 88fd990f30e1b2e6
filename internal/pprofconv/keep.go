package pprofconv

import "go.opentelemetry.io/collector/pdata/pprofile"

// KeepSamples says, given a profile's sample types as spelled (sample type,
// unit, period type, period unit; one entry per output profile), which
// output profiles get their samples. The others are written with their
// type, period and attributes but no samples: a reader that ignores them
// is spared a pdata sample per input sample each.
type KeepSamples func(types [][4]string) []bool

// FromPprofBytesKeeping is FromPprofBytes writing samples only into the
// profiles keep selects (nil keeps all). Errors are FromPprofBytes's.
func FromPprofBytesKeeping(data []byte, maxBytes int64, resource map[string]string, keep KeepSamples) (pprofile.Profiles, error) {
	pd := pprofile.NewProfiles()
	b, err := NewBuilder(pd)
	if err != nil {
		return pprofile.Profiles{}, err
	}
	b.keep = keep
	if err := b.AppendBytes(data, maxBytes, resource); err != nil {
		return pprofile.Profiles{}, err
	}
	return pd, nil
}

// kept is the mask of output profiles that get samples, nil for all. A
// string index out of range keeps all: the decoder then fails on it where
// it always did, after the samples.
func (d *decoder) kept(keep KeepSamples) []bool {
	rp := d.rp
	if keep == nil {
		return nil
	}
	var period [2]string
	if rp.hasPeriodType {
		for i, idx := range rp.periodType {
			s, err := d.text(idx)
			if err != nil {
				return nil
			}
			period[i] = s
		}
	}
	types := make([][4]string, len(rp.sampleTypes))
	for i, st := range rp.sampleTypes {
		for j, idx := range st {
			s, err := d.text(idx)
			if err != nil {
				return nil
			}
			types[i][j] = s
		}
		types[i][2], types[i][3] = period[0], period[1]
	}
	if mask := keep(types); len(mask) == len(types) {
		return mask
	}
	return nil
}
