package pprofconv

import (
	"errors"
	"fmt"

	"github.com/google/pprof/profile"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// The oracle: the plain translation through google/pprof's profile.Profile
// that the direct decoder replaced in production. It is kept here, slow and
// obviously correct, so the tests and FuzzDecoderMatchesOracle can hold the
// direct decoder to byte-identical output.

// oracleFromPprof converts one parsed pprof profile into a new OTLP message
// with one ResourceProfiles carrying resource as attributes.
func oracleFromPprof(p *profile.Profile, resource map[string]string) (pprofile.Profiles, error) {
	pd := pprofile.NewProfiles()
	if err := oracleAppendPprof(pd, p, resource); err != nil {
		return pprofile.Profiles{}, err
	}
	return pd, nil
}

// oracleAppendPprof adds p to dst as one more ResourceProfiles, reusing dst's
// dictionary; on error nothing is added.
func oracleAppendPprof(dst pprofile.Profiles, p *profile.Profile, resource map[string]string) error {
	b, err := NewBuilder(dst)
	if err != nil {
		return err
	}
	return b.oracleAppend(p, resource)
}

// oracleDecode is what production did before: Parse, then translate.
func oracleDecode(data []byte, maxBytes int64, resource map[string]string) (pprofile.Profiles, error) {
	p, err := Parse(data, maxBytes)
	if err != nil {
		return pprofile.Profiles{}, err
	}
	return oracleFromPprof(p, resource)
}

// oracleAppend adds p as one ResourceProfiles with one Profile per sample type.
func (b *Builder) oracleAppend(p *profile.Profile, resource map[string]string) error {
	if p == nil {
		return errors.New("pprof: nil profile")
	}
	if err := p.CheckValid(); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	if len(p.SampleType) == 0 {
		return errors.New("pprof: no sample types")
	}
	in := b.in

	// Mappings, functions and locations are converted once per pprof entry.
	mapIdx := make(map[*profile.Mapping]int32, len(p.Mapping))
	for _, m := range p.Mapping {
		var attrs []int32
		if m.BuildID != "" {
			attrs = append(attrs, in.attrStr(BuildIDAttr, m.BuildID))
		}
		for _, f := range []struct {
			key string
			on  bool
		}{{HasFunctionsAttr, m.HasFunctions}, {HasFilenamesAttr, m.HasFilenames},
			{HasLineNumbersAttr, m.HasLineNumbers}, {HasInlineFramesAttr, m.HasInlineFrames}} {
			if f.on {
				attrs = append(attrs, in.attrBool(f.key, true))
			}
		}
		mapIdx[m] = in.mapping(m.Start, m.Limit, m.Offset, in.str(m.File), attrs)
	}
	fnIdx := make(map[*profile.Function]int32, len(p.Function))
	for _, f := range p.Function {
		fnIdx[f] = in.function(f.Name, f.SystemName, f.Filename, f.StartLine)
	}
	locIdx := make(map[*profile.Location]int32, len(p.Location))
	var lines []lineRef
	var folded []int32
	for _, l := range p.Location {
		lines = lines[:0]
		for _, ln := range l.Line {
			var fi int32
			if ln.Function != nil {
				fi = fnIdx[ln.Function]
			}
			lines = append(lines, lineRef{fn: fi, line: ln.Line, col: ln.Column})
		}
		var mi int32
		if l.Mapping != nil {
			mi = mapIdx[l.Mapping]
		}
		var attrs []int32
		if l.IsFolded {
			if folded == nil {
				folded = []int32{in.attrBool(IsFoldedAttr, true)}
			}
			attrs = folded
		}
		locIdx[l] = in.location(mi, l.Address, attrs, lines)
	}

	sp := startResource(b.dst, resource)
	profAttrs := b.oracleProfileAttributes(p)

	// Stacks and sample attributes are shared by every sample type's profile.
	stackOf := make([]int32, len(p.Sample))
	attrsOf := make([][]int32, len(p.Sample))
	var locs []int32
	for si, s := range p.Sample {
		locs = locs[:0]
		for _, l := range s.Location {
			locs = append(locs, locIdx[l])
		}
		if len(locs) > 0 {
			stackOf[si] = in.stack(locs)
		}
		attrsOf[si] = b.oracleSampleAttributes(s)
	}

	out := sp.Profiles()
	out.EnsureCapacity(len(p.SampleType))
	for ti, st := range p.SampleType {
		op := out.AppendEmpty()
		op.SampleType().SetTypeStrindex(in.str(st.Type))
		op.SampleType().SetUnitStrindex(in.str(st.Unit))
		if p.PeriodType != nil {
			op.PeriodType().SetTypeStrindex(in.str(p.PeriodType.Type))
			op.PeriodType().SetUnitStrindex(in.str(p.PeriodType.Unit))
		}
		op.SetPeriod(p.Period)
		op.SetTime(pcommon.Timestamp(uint64(max(p.TimeNanos, 0))))
		op.SetDurationNano(uint64(max(p.DurationNanos, 0)))
		if len(profAttrs) > 0 {
			op.AttributeIndices().FromRaw(profAttrs)
		}
		n := 0
		for _, s := range p.Sample {
			if s.Value[ti] != 0 {
				n++
			}
		}
		samples := op.Samples()
		samples.EnsureCapacity(n)
		// A zero value carries no weight in this sample type; skipping it keeps
		// allocation and inuse profiles from quadrupling the message.
		for si, s := range p.Sample {
			v := s.Value[ti]
			if v == 0 {
				continue
			}
			os := samples.AppendEmpty()
			os.SetStackIndex(stackOf[si])
			os.Values().Append(v)
			if len(attrsOf[si]) > 0 {
				os.AttributeIndices().FromRaw(attrsOf[si])
			}
		}
	}
	return nil
}

func (b *Builder) oracleProfileAttributes(p *profile.Profile) []int32 {
	in := b.in
	var out []int32
	if p.DefaultSampleType != "" {
		out = append(out, in.attrStr(DefaultSampleTypeAttr, p.DefaultSampleType))
	}
	if len(p.Comments) > 0 {
		out = append(out, in.attrStrs(CommentAttr, p.Comments))
	}
	if p.DocURL != "" {
		out = append(out, in.attrStr(DocURLAttr, p.DocURL))
	}
	if p.DropFrames != "" {
		out = append(out, in.attrStr(DropFramesAttr, p.DropFrames))
	}
	if p.KeepFrames != "" {
		out = append(out, in.attrStr(KeepFramesAttr, p.KeepFrames))
	}
	return out
}

func (b *Builder) oracleSampleAttributes(s *profile.Sample) []int32 {
	if len(s.Label) == 0 && len(s.NumLabel) == 0 {
		return nil
	}
	in := b.in
	out := make([]int32, 0, len(s.Label)+len(s.NumLabel))
	for _, k := range sortedKeys(s.Label) {
		vs := s.Label[k]
		switch len(vs) {
		case 0:
		case 1:
			out = append(out, in.attrStr(k, vs[0]))
		default:
			out = append(out, in.attrStrs(k, vs))
		}
	}
	for _, k := range sortedKeys(s.NumLabel) {
		vs := s.NumLabel[k]
		units := s.NumUnit[k]
		unit := ""
		if len(units) > 0 {
			unit = units[0]
		}
		switch len(vs) {
		case 0:
		case 1:
			out = append(out, in.attrInt(k, vs[0], unit))
		default:
			out = append(out, in.attrInts(k, vs, unit))
		}
	}
	return out
}
