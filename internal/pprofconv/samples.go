package pprofconv

import (
	"fmt"
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

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

// labelAttributes groups labels by key, as google/pprof does: string labels
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
