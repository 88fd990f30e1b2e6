package pprofconv

import (
	"fmt"

	"github.com/google/pprof/profile"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// ToPprof converts one OTLP profile (one sample type) back to pprof. Every
// index is checked once; a bad one is an error, never a panic. A sample's
// value is the sum of its Values, or its number of timestamps when it has no
// values (how the eBPF profiler sends samples/count).
func ToPprof(dict pprofile.ProfilesDictionary, p pprofile.Profile) (*profile.Profile, error) {
	if err := ValidateDictionary(dict); err != nil {
		return nil, err
	}
	if err := validateProfile(dict, p); err != nil {
		return nil, err
	}
	strs := dict.StringTable()
	s := func(i int32) string { return strs.At(int(i)) }

	out := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: s(p.SampleType().TypeStrindex()), Unit: s(p.SampleType().UnitStrindex())}},
		TimeNanos:     int64(p.Time()),
		DurationNanos: int64(min(p.DurationNano(), 1<<63-1)),
		Period:        p.Period(),
	}
	if pt := p.PeriodType(); pt.TypeStrindex() != 0 || pt.UnitStrindex() != 0 {
		out.PeriodType = &profile.ValueType{Type: s(pt.TypeStrindex()), Unit: s(pt.UnitStrindex())}
	}
	attrs := dict.AttributeTable()
	for _, ai := range p.AttributeIndices().All() {
		a := attrs.At(int(ai))
		switch s(a.KeyStrindex()) {
		case DefaultSampleTypeAttr:
			out.DefaultSampleType = a.Value().AsString()
		case CommentAttr:
			out.Comments = append(out.Comments, stringsOf(a.Value())...)
		case DocURLAttr:
			out.DocURL = a.Value().AsString()
		case DropFramesAttr:
			out.DropFrames = a.Value().AsString()
		case KeepFramesAttr:
			out.KeepFrames = a.Value().AsString()
		}
	}

	c := converter{dict: dict, out: out,
		fns:  map[int32]*profile.Function{},
		maps: map[int32]*profile.Mapping{},
		locs: map[int32]*profile.Location{},
	}
	stacks := dict.StackTable()
	stackLocs := map[int32][]*profile.Location{}
	out.Sample = make([]*profile.Sample, 0, p.Samples().Len())
	for _, smp := range p.Samples().All() {
		si := smp.StackIndex()
		locs, ok := stackLocs[si]
		if !ok {
			idx := stacks.At(int(si)).LocationIndices()
			locs = make([]*profile.Location, idx.Len())
			for i, li := range idx.All() {
				locs[i] = c.location(li)
			}
			stackLocs[si] = locs
		}
		var v int64
		if smp.Values().Len() > 0 {
			for _, x := range smp.Values().All() {
				v += x
			}
		} else {
			v = int64(smp.TimestampsUnixNano().Len())
		}
		ps := &profile.Sample{Location: locs, Value: []int64{v}}
		for _, ai := range smp.AttributeIndices().All() {
			c.label(ps, attrs.At(int(ai)))
		}
		out.Sample = append(out.Sample, ps)
	}
	if err := out.CheckValid(); err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	return out, nil
}

// converter memoises table entries by index so shared entries stay shared.
type converter struct {
	dict pprofile.ProfilesDictionary
	out  *profile.Profile
	fns  map[int32]*profile.Function
	maps map[int32]*profile.Mapping
	locs map[int32]*profile.Location
}

func (c *converter) str(i int32) string { return c.dict.StringTable().At(int(i)) }

func (c *converter) location(i int32) *profile.Location {
	if l, ok := c.locs[i]; ok {
		return l
	}
	src := c.dict.LocationTable().At(int(i))
	l := &profile.Location{ID: uint64(len(c.out.Location) + 1), Address: src.Address()}
	if mi := src.MappingIndex(); mi != 0 {
		l.Mapping = c.mapping(mi)
	}
	for _, ai := range src.AttributeIndices().All() {
		a := c.dict.AttributeTable().At(int(ai))
		if c.str(a.KeyStrindex()) == IsFoldedAttr && a.Value().Type() == pcommon.ValueTypeBool {
			l.IsFolded = a.Value().Bool()
		}
	}
	l.Line = make([]profile.Line, 0, src.Lines().Len())
	for _, ln := range src.Lines().All() {
		l.Line = append(l.Line, profile.Line{Function: c.function(ln.FunctionIndex()), Line: ln.Line(), Column: ln.Column()})
	}
	c.out.Location = append(c.out.Location, l)
	c.locs[i] = l
	return l
}

func (c *converter) function(i int32) *profile.Function {
	if f, ok := c.fns[i]; ok {
		return f
	}
	src := c.dict.FunctionTable().At(int(i))
	f := &profile.Function{
		ID:         uint64(len(c.out.Function) + 1),
		Name:       c.str(src.NameStrindex()),
		SystemName: c.str(src.SystemNameStrindex()),
		Filename:   c.str(src.FilenameStrindex()),
		StartLine:  src.StartLine(),
	}
	c.out.Function = append(c.out.Function, f)
	c.fns[i] = f
	return f
}

func (c *converter) mapping(i int32) *profile.Mapping {
	if m, ok := c.maps[i]; ok {
		return m
	}
	src := c.dict.MappingTable().At(int(i))
	m := &profile.Mapping{
		ID:     uint64(len(c.out.Mapping) + 1),
		Start:  src.MemoryStart(),
		Limit:  src.MemoryLimit(),
		Offset: src.FileOffset(),
		File:   c.str(src.FilenameStrindex()),
	}
	for _, ai := range src.AttributeIndices().All() {
		a := c.dict.AttributeTable().At(int(ai))
		v := a.Value()
		switch c.str(a.KeyStrindex()) {
		case BuildIDAttr:
			m.BuildID = v.AsString()
		case HasFunctionsAttr:
			m.HasFunctions = v.Bool()
		case HasFilenamesAttr:
			m.HasFilenames = v.Bool()
		case HasLineNumbersAttr:
			m.HasLineNumbers = v.Bool()
		case HasInlineFramesAttr:
			m.HasInlineFrames = v.Bool()
		}
	}
	c.out.Mapping = append(c.out.Mapping, m)
	c.maps[i] = m
	return m
}

// label turns a sample attribute into a pprof label: integers become numeric
// labels with their unit, slices become multi-valued labels.
func (c *converter) label(s *profile.Sample, a pprofile.KeyValueAndUnit) {
	key := c.str(a.KeyStrindex())
	unit := c.str(a.UnitStrindex())
	v := a.Value()
	addNum := func(n int64) {
		if s.NumLabel == nil {
			s.NumLabel = map[string][]int64{}
		}
		s.NumLabel[key] = append(s.NumLabel[key], n)
		if unit != "" {
			if s.NumUnit == nil {
				s.NumUnit = map[string][]string{}
			}
			s.NumUnit[key] = append(s.NumUnit[key], unit)
		}
	}
	addStr := func(x string) {
		if s.Label == nil {
			s.Label = map[string][]string{}
		}
		s.Label[key] = append(s.Label[key], x)
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		addNum(v.Int())
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			if e.Type() == pcommon.ValueTypeInt {
				addNum(e.Int())
			} else {
				addStr(e.AsString())
			}
		}
	case pcommon.ValueTypeEmpty:
	default:
		addStr(v.AsString())
	}
	// pprof wants NumUnit, when present, as long as NumLabel for that key.
	if s.NumUnit != nil && len(s.NumUnit[key]) != 0 && len(s.NumUnit[key]) != len(s.NumLabel[key]) {
		delete(s.NumUnit, key)
	}
}

func stringsOf(v pcommon.Value) []string {
	if v.Type() != pcommon.ValueTypeSlice {
		return []string{v.AsString()}
	}
	out := make([]string, 0, v.Slice().Len())
	for _, e := range v.Slice().All() {
		out = append(out, e.AsString())
	}
	return out
}
