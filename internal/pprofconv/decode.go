package pprofconv

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pprofile"
)

// Builder appends pprof profiles to one OTLP message, keeping its interning
// maps between calls so several files of one service share a dictionary.
type Builder struct {
	dst  pprofile.Profiles
	in   *interner
	keep KeepSamples // nil: every profile gets its samples
}

// NewBuilder indexes dst's dictionary, which must be valid.
func NewBuilder(dst pprofile.Profiles) (*Builder, error) {
	in, err := newInterner(dst.Dictionary())
	if err != nil {
		return nil, fmt.Errorf("destination dictionary: %w", err)
	}
	return &Builder{dst: dst, in: in}, nil
}

// FromPprofBytes decodes pprof bytes (gzipped or not, decompression capped
// at maxBytes) straight into a new OTLP message, without building a
// profile.Profile first. It yields what google/pprof's parse and a plain
// translation would (the tests hold it to that) at a fraction of the
// allocations; every id and string index is checked.
func FromPprofBytes(data []byte, maxBytes int64, resource map[string]string) (pprofile.Profiles, error) {
	pd := pprofile.NewProfiles()
	b, err := NewBuilder(pd)
	if err != nil {
		return pprofile.Profiles{}, err
	}
	if err := b.AppendBytes(data, maxBytes, resource); err != nil {
		return pprofile.Profiles{}, err
	}
	return pd, nil
}

// AppendBytes decodes pprof bytes into one more ResourceProfiles with one
// Profile per sample type; on error nothing is added.
func (b *Builder) AppendBytes(data []byte, maxBytes int64, resource map[string]string) error {
	raw, err := Decompress(data, maxBytes)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		return errors.New("pprof: empty profile")
	}
	if err := b.decode(raw, resource); err != nil {
		// Legacy text or binary profiles fail as protobuf; name the cause.
		if isLegacy(raw) {
			return ErrLegacyFormat
		}
		return err
	}
	return nil
}

func (b *Builder) decode(raw []byte, resource map[string]string) error {
	var rp rawProfile
	if err := rp.scan(raw); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	d := decoder{in: b.in, rp: &rp}
	// Most samples of a large profile bring a new stack: size the set once
	// (bounded, as the sample count comes from the input).
	b.in.stacks.reserve(min(rp.nSamples, maxStackReserve))
	if err := d.tables(); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	return d.emit(b.dst, resource, d.kept(b.keep))
}

// maxStackReserve bounds the stacks the decoder makes room for up front.
const maxStackReserve = 1 << 18

// MaxStrings caps a profile's string table: each entry costs far more in
// memory than its bytes on the wire (a 2M-entry table of short strings
// took 2.9x its raw size), and a million distinct names is already more
// than any real profile carries (a 1M-sample Go profile has ~10k).
const MaxStrings = 1 << 20

// rawProfile is the first pass: the top-level fields, with sub-messages
// kept as slices of the input (samples are only counted, and read again).
type rawProfile struct {
	sampleTypes                                 [][2]uint64
	raw                                         []byte // the samples are read from it again
	nSamples                                    int
	mappings, locations, functions              [][]byte
	strs                                        [][]byte
	dropFrames, keepFrames, docURL, defaultType uint64
	comments                                    []uint64
	timeNanos, durationNanos, period            int64
	periodType                                  [2]uint64
	hasPeriodType                               bool
}

func (rp *rawProfile) scan(raw []byte) error {
	rp.raw = raw
	r := wireReader{b: raw}
	for !r.done() {
		num, wt, v, payload, err := r.field()
		if err != nil {
			return err
		}
		switch num {
		case 1, 11: // sample_type, period_type
			if err := wantBytes(wt, "value type"); err != nil {
				return err
			}
			vt, err := scanValueType(payload)
			if err != nil {
				return err
			}
			if num == 1 {
				rp.sampleTypes = append(rp.sampleTypes, vt)
			} else {
				rp.periodType, rp.hasPeriodType = vt, true
			}
		case 2, 3, 4, 5, 6:
			if err := wantBytes(wt, "message"); err != nil {
				return err
			}
			switch num {
			case 2:
				rp.nSamples++ // kept in raw: a slice per sample cost 24 B each
			case 3:
				rp.mappings = append(rp.mappings, payload)
			case 4:
				rp.locations = append(rp.locations, payload)
			case 5:
				rp.functions = append(rp.functions, payload)
			case 6:
				if len(rp.strs) == MaxStrings {
					return fmt.Errorf("string table has more than %d entries (perfadvisor's limit; real profiles hold far fewer)", MaxStrings)
				}
				rp.strs = append(rp.strs, payload)
			}
		case 13: // comment
			if rp.comments, err = appendVarints(rp.comments, wt, v, payload); err != nil {
				return err
			}
		case 7, 8, 9, 10, 12, 14, 15:
			if err := wantVarint(wt, fmt.Sprintf("field %d", num)); err != nil {
				return err
			}
			switch num {
			case 7:
				rp.dropFrames = v
			case 8:
				rp.keepFrames = v
			case 9:
				// A second start time means concatenated profiles, which
				// google/pprof refuses rather than silently keeping one.
				if rp.timeNanos != 0 {
					return errors.New("concatenated profiles (time_nanos set twice)")
				}
				rp.timeNanos = int64(v)
			case 10:
				rp.durationNanos = int64(v)
			case 12:
				rp.period = int64(v)
			case 14:
				rp.defaultType = v
			case 15:
				rp.docURL = v
			}
		}
	}
	if len(rp.strs) == 0 || len(rp.strs[0]) != 0 {
		return errors.New("string table must start with the empty string")
	}
	if len(rp.sampleTypes) == 0 {
		return errors.New("no sample types")
	}
	return nil
}

func scanValueType(b []byte) ([2]uint64, error) {
	var vt [2]uint64
	r := wireReader{b: b}
	for !r.done() {
		num, wt, v, _, err := r.field()
		if err != nil {
			return vt, err
		}
		if num == 1 || num == 2 {
			if err := wantVarint(wt, "value type"); err != nil {
				return vt, err
			}
			vt[num-1] = v
		}
	}
	return vt, nil
}
