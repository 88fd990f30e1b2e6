package pprofconv

import (
	"errors"
	"fmt"
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// FromPprofBytes decodes pprof bytes (gzipped or not, decompression capped
// at maxBytes) straight into a new OTLP message, without building a
// profile.Profile first. It yields what Parse followed by FromPprof yields,
// at a fraction of the allocations; every id and string index is checked.
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

// AppendBytes decodes pprof bytes as Append would add the parsed profile.
func (b *Builder) AppendBytes(data []byte, maxBytes int64, resource map[string]string) error {
	raw, err := Decompress(data, maxBytes)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		return errors.New("pprof: empty profile")
	}
	var rp rawProfile
	if err := rp.scan(raw); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	d := decoder{in: b.in, rp: &rp}
	if err := d.tables(); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	return d.emit(b.dst, resource)
}

// rawProfile is the first pass: the top-level fields, with sub-messages
// kept as slices of the input.
type rawProfile struct {
	sampleTypes                                 [][2]uint64
	samples, mappings, locations, functions     [][]byte
	strs                                        [][]byte
	dropFrames, keepFrames, docURL, defaultType uint64
	comments                                    []uint64
	timeNanos, durationNanos, period            int64
	periodType                                  [2]uint64
	hasPeriodType                               bool
	size                                        int // input bytes
}

func (rp *rawProfile) scan(raw []byte) error {
	rp.size = len(raw)
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
				rp.samples = append(rp.samples, payload)
			case 3:
				rp.mappings = append(rp.mappings, payload)
			case 4:
				rp.locations = append(rp.locations, payload)
			case 5:
				rp.functions = append(rp.functions, payload)
			case 6:
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

// decoder is the second pass: tables into the interner, then samples.
type decoder struct {
	in  *interner
	rp  *rawProfile
	str []int32 // pprof string index → OTLP string index, -1 until used
	fns idMap
	mps idMap
	lcs idMap
}

// idMap maps pprof ids to OTLP indices: dense ids (the norm) in a slice,
// the rest in a map.
type idMap struct {
	dense  []int32 // index id; -1 = absent
	sparse map[uint64]int32
}

func newIDMap(n int) idMap {
	d := make([]int32, n+1)
	for i := range d {
		d[i] = -1
	}
	return idMap{dense: d}
}

func (m *idMap) put(id uint64, v int32) error {
	if id == 0 {
		return errors.New("id 0")
	}
	if id < uint64(len(m.dense)) {
		if m.dense[id] >= 0 {
			return fmt.Errorf("duplicate id %d", id)
		}
		m.dense[id] = v
		return nil
	}
	if m.sparse == nil {
		m.sparse = map[uint64]int32{}
	}
	if _, dup := m.sparse[id]; dup {
		return fmt.Errorf("duplicate id %d", id)
	}
	m.sparse[id] = v
	return nil
}

func (m *idMap) get(id uint64) (int32, bool) {
	if id < uint64(len(m.dense)) {
		v := m.dense[id]
		return v, v >= 0
	}
	v, ok := m.sparse[id]
	return v, ok
}

// s interns pprof string index i, checking its range.
func (d *decoder) s(i uint64) (int32, error) {
	if i >= uint64(len(d.rp.strs)) {
		return 0, fmt.Errorf("string index %d out of range [0,%d)", i, len(d.rp.strs))
	}
	if v := d.str[i]; v >= 0 {
		return v, nil
	}
	v := d.in.strBytes(d.rp.strs[i])
	d.str[i] = v
	return v, nil
}

func (d *decoder) text(i uint64) (string, error) {
	if i >= uint64(len(d.rp.strs)) {
		return "", fmt.Errorf("string index %d out of range [0,%d)", i, len(d.rp.strs))
	}
	return string(d.rp.strs[i]), nil
}

func (d *decoder) tables() error {
	rp := d.rp
	d.str = make([]int32, len(rp.strs))
	for i := range d.str {
		d.str[i] = -1
	}
	d.fns, d.mps, d.lcs = newIDMap(len(rp.functions)), newIDMap(len(rp.mappings)), newIDMap(len(rp.locations))
	// The same order as Builder.Append, so both paths build the same dictionary.
	for _, b := range rp.mappings {
		if err := d.mapping(b); err != nil {
			return fmt.Errorf("mapping: %w", err)
		}
	}
	for _, b := range rp.functions {
		if err := d.function(b); err != nil {
			return fmt.Errorf("function: %w", err)
		}
	}
	var lines []lineRef
	for _, b := range rp.locations {
		var err error
		if lines, err = d.location(b, lines[:0]); err != nil {
			return fmt.Errorf("location: %w", err)
		}
	}
	return nil
}

func (d *decoder) function(b []byte) error {
	var id, name, sys, file uint64
	var start int64
	r := wireReader{b: b}
	for !r.done() {
		num, wt, v, _, err := r.field()
		if err != nil {
			return err
		}
		if num >= 1 && num <= 5 {
			if err := wantVarint(wt, "function field"); err != nil {
				return err
			}
		}
		switch num {
		case 1:
			id = v
		case 2:
			name = v
		case 3:
			sys = v
		case 4:
			file = v
		case 5:
			start = int64(v)
		}
	}
	var k funcKey
	var err error
	if k.name, err = d.s(name); err != nil {
		return err
	}
	if k.system, err = d.s(sys); err != nil {
		return err
	}
	if k.file, err = d.s(file); err != nil {
		return err
	}
	k.start = start
	return d.fns.put(id, d.in.functionKey(k))
}

func (d *decoder) mapping(b []byte) error {
	var id, start, limit, offset, file, buildID uint64
	var flags [4]bool
	r := wireReader{b: b}
	for !r.done() {
		num, wt, v, _, err := r.field()
		if err != nil {
			return err
		}
		if num >= 1 && num <= 10 {
			if err := wantVarint(wt, "mapping field"); err != nil {
				return err
			}
		}
		switch num {
		case 1:
			id = v
		case 2:
			start = v
		case 3:
			limit = v
		case 4:
			offset = v
		case 5:
			file = v
		case 6:
			buildID = v
		case 7, 8, 9, 10:
			flags[num-7] = v != 0
		}
	}
	var attrs []int32
	if buildID != 0 {
		bid, err := d.text(buildID)
		if err != nil {
			return err
		}
		attrs = append(attrs, d.in.attrStr(BuildIDAttr, bid))
	}
	for i, key := range []string{HasFunctionsAttr, HasFilenamesAttr, HasLineNumbersAttr, HasInlineFramesAttr} {
		if flags[i] {
			attrs = append(attrs, d.in.attrBool(key, true))
		}
	}
	fileIdx, err := d.s(file)
	if err != nil {
		return err
	}
	return d.mps.put(id, d.in.mapping(start, limit, offset, fileIdx, attrs))
}

func (d *decoder) location(b []byte, lines []lineRef) ([]lineRef, error) {
	var id, mapID, addr uint64
	var folded bool
	r := wireReader{b: b}
	for !r.done() {
		num, wt, v, payload, err := r.field()
		if err != nil {
			return lines, err
		}
		switch num {
		case 1, 2, 3, 5:
			if err := wantVarint(wt, "location field"); err != nil {
				return lines, err
			}
			switch num {
			case 1:
				id = v
			case 2:
				mapID = v
			case 3:
				addr = v
			case 5:
				folded = v != 0
			}
		case 4:
			if err := wantBytes(wt, "line"); err != nil {
				return lines, err
			}
			ln, err := d.line(payload)
			if err != nil {
				return lines, err
			}
			lines = append(lines, ln)
		}
	}
	var mi int32
	if mapID != 0 {
		v, ok := d.mps.get(mapID)
		if !ok {
			return lines, fmt.Errorf("location %d: unknown mapping id %d", id, mapID)
		}
		mi = v
	}
	var attrs []int32
	if folded {
		attrs = []int32{d.in.attrBool(IsFoldedAttr, true)}
	}
	return lines, d.lcs.put(id, d.in.location(mi, addr, attrs, lines))
}

func (d *decoder) line(b []byte) (lineRef, error) {
	var ln lineRef
	var fnID uint64
	r := wireReader{b: b}
	for !r.done() {
		num, wt, v, _, err := r.field()
		if err != nil {
			return ln, err
		}
		if num >= 1 && num <= 3 {
			if err := wantVarint(wt, "line field"); err != nil {
				return ln, err
			}
		}
		switch num {
		case 1:
			fnID = v
		case 2:
			ln.line = int64(v)
		case 3:
			ln.col = int64(v)
		}
	}
	if fnID != 0 {
		v, ok := d.fns.get(fnID)
		if !ok {
			return ln, fmt.Errorf("unknown function id %d", fnID)
		}
		ln.fn = v
	}
	return ln, nil
}

// rawLabel is one pprof label before grouping by key.
type rawLabel struct {
	key      string
	num      bool
	str      string
	n        int64
	unit     string
	position int
}

// emit writes the resource, one profile per sample type, and the samples.
func (d *decoder) emit(dst pprofile.Profiles, resource map[string]string) error {
	rp, in := d.rp, d.in
	nTypes := len(rp.sampleTypes)
	profAttrs, err := d.profileAttributes()
	if err != nil {
		return fmt.Errorf("pprof: %w", err)
	}

	// Decode every sample before touching dst, so a bad one adds nothing.
	stackOf := make([]int32, len(rp.samples))
	attrsOf := make([][]int32, len(rp.samples))
	// Every value takes at least a byte of input, so this capacity is bounded
	// by the input even when many sample types meet many empty samples.
	values := make([]int64, 0, min(len(rp.samples)*nTypes, rp.size))
	counts := make([]int, nTypes)
	var ids []uint64
	var locs []int32
	var vals []uint64
	var labels []rawLabel
	for si, sb := range rp.samples {
		ids, vals, labels = ids[:0], vals[:0], labels[:0]
		r := wireReader{b: sb}
		for !r.done() {
			num, wt, v, payload, err := r.field()
			if err != nil {
				return fmt.Errorf("pprof: sample %d: %w", si, err)
			}
			switch num {
			case 1:
				ids, err = appendVarints(ids, wt, v, payload)
			case 2:
				vals, err = appendVarints(vals, wt, v, payload)
			case 3:
				if err = wantBytes(wt, "label"); err == nil {
					labels, err = d.label(payload, labels)
				}
			}
			if err != nil {
				return fmt.Errorf("pprof: sample %d: %w", si, err)
			}
		}
		if len(vals) != nTypes {
			return fmt.Errorf("pprof: sample %d has %d values for %d sample types", si, len(vals), nTypes)
		}
		if len(ids) > 0 {
			locs = locs[:0]
			for _, id := range ids {
				li, ok := d.lcs.get(id)
				if !ok {
					return fmt.Errorf("pprof: sample %d: unknown location id %d", si, id)
				}
				locs = append(locs, li)
			}
			stackOf[si] = in.stack(locs)
		}
		if len(labels) > 0 {
			attrsOf[si] = d.labelAttributes(labels)
		}
		for t, v := range vals {
			values = append(values, int64(v))
			if v != 0 {
				counts[t]++
			}
		}
	}

	type header struct{ typ, unit int32 }
	types := make([]header, nTypes)
	var pt header
	for i, st := range rp.sampleTypes {
		var err error
		if types[i].typ, err = d.s(st[0]); err != nil {
			return fmt.Errorf("pprof: sample type: %w", err)
		}
		if types[i].unit, err = d.s(st[1]); err != nil {
			return fmt.Errorf("pprof: sample type: %w", err)
		}
		if rp.hasPeriodType {
			if pt.typ, err = d.s(rp.periodType[0]); err != nil {
				return fmt.Errorf("pprof: period type: %w", err)
			}
			if pt.unit, err = d.s(rp.periodType[1]); err != nil {
				return fmt.Errorf("pprof: period type: %w", err)
			}
		}
	}

	sp := startResource(dst, resource)
	out := sp.Profiles()
	out.EnsureCapacity(nTypes)
	for t := range nTypes {
		op := out.AppendEmpty()
		op.SampleType().SetTypeStrindex(types[t].typ)
		op.SampleType().SetUnitStrindex(types[t].unit)
		op.PeriodType().SetTypeStrindex(pt.typ)
		op.PeriodType().SetUnitStrindex(pt.unit)
		op.SetPeriod(rp.period)
		op.SetTime(pcommon.Timestamp(uint64(max(rp.timeNanos, 0))))
		op.SetDurationNano(uint64(max(rp.durationNanos, 0)))
		if len(profAttrs) > 0 {
			op.AttributeIndices().FromRaw(profAttrs)
		}
		samples := op.Samples()
		samples.EnsureCapacity(counts[t])
		for si := range rp.samples {
			v := values[si*nTypes+t]
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

func (d *decoder) label(b []byte, out []rawLabel) ([]rawLabel, error) {
	var key, str, unit uint64
	var n int64
	r := wireReader{b: b}
	for !r.done() {
		num, wt, v, _, err := r.field()
		if err != nil {
			return out, err
		}
		if num >= 1 && num <= 4 {
			if err := wantVarint(wt, "label field"); err != nil {
				return out, err
			}
		}
		switch num {
		case 1:
			key = v
		case 2:
			str = v
		case 3:
			n = int64(v)
		case 4:
			unit = v
		}
	}
	// As profile.Parse: a string value makes a string label, else a number
	// or unit makes a numeric one, else the label is empty and dropped.
	l := rawLabel{position: len(out)}
	var err error
	if l.key, err = d.text(key); err != nil {
		return out, err
	}
	switch {
	case str != 0:
		if l.str, err = d.text(str); err != nil {
			return out, err
		}
	case n != 0 || unit != 0:
		l.num, l.n = true, n
		if l.unit, err = d.text(unit); err != nil {
			return out, err
		}
	default:
		return out, nil
	}
	return append(out, l), nil
}

// labelAttributes groups labels by key, as FromPprof does: string labels
// by key, then numeric ones; a key with several values becomes a slice.
func (d *decoder) labelAttributes(labels []rawLabel) []int32 {
	sort.SliceStable(labels, func(i, j int) bool {
		if labels[i].num != labels[j].num {
			return !labels[i].num
		}
		return labels[i].key < labels[j].key
	})
	out := make([]int32, 0, len(labels))
	for i := 0; i < len(labels); {
		j := i + 1
		for j < len(labels) && labels[j].num == labels[i].num && labels[j].key == labels[i].key {
			j++
		}
		l := labels[i]
		switch {
		case j-i == 1 && !l.num:
			out = append(out, d.in.attrStr(l.key, l.str))
		case j-i == 1:
			out = append(out, d.in.attrInt(l.key, l.n, l.unit))
		case !l.num:
			vs := make([]string, 0, j-i)
			for _, x := range labels[i:j] {
				vs = append(vs, x.str)
			}
			out = append(out, d.in.attrStrs(l.key, vs))
		default:
			vs := make([]int64, 0, j-i)
			for _, x := range labels[i:j] {
				vs = append(vs, x.n)
			}
			out = append(out, d.in.attrInts(l.key, vs, l.unit))
		}
		i = j
	}
	return out
}

func (d *decoder) profileAttributes() ([]int32, error) {
	rp, in := d.rp, d.in
	var out []int32
	for _, f := range []struct {
		key string
		idx uint64
	}{{DefaultSampleTypeAttr, rp.defaultType}} {
		if f.idx != 0 {
			s, err := d.text(f.idx)
			if err != nil {
				return nil, err
			}
			out = append(out, in.attrStr(f.key, s))
		}
	}
	if len(rp.comments) > 0 {
		cs := make([]string, 0, len(rp.comments))
		for _, c := range rp.comments {
			s, err := d.text(c)
			if err != nil {
				return nil, err
			}
			cs = append(cs, s)
		}
		out = append(out, in.attrStrs(CommentAttr, cs))
	}
	for _, f := range []struct {
		key string
		idx uint64
	}{{DocURLAttr, rp.docURL}, {DropFramesAttr, rp.dropFrames}, {KeepFramesAttr, rp.keepFrames}} {
		if f.idx != 0 {
			s, err := d.text(f.idx)
			if err != nil {
				return nil, err
			}
			out = append(out, in.attrStr(f.key, s))
		}
	}
	return out, nil
}

// startResource appends a ResourceProfiles with resource as attributes
// (sorted, for stable golden files) and one ScopeProfiles.
func startResource(dst pprofile.Profiles, resource map[string]string) pprofile.ScopeProfiles {
	rp := dst.ResourceProfiles().AppendEmpty()
	for _, k := range sortedKeys(resource) {
		rp.Resource().Attributes().PutStr(k, resource[k])
	}
	return rp.ScopeProfiles().AppendEmpty()
}
