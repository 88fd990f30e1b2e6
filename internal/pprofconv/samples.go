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
// keep, if not nil, selects the profiles that get samples.
func (d *decoder) emit(dst pprofile.Profiles, resource map[string]string, keep []bool) error {
	rp := d.rp
	nTypes := len(rp.sampleTypes)
	profAttrs, err := d.profileAttributes()
	if err != nil {
		return fmt.Errorf("pprof: %w", err)
	}

	// Samples go straight into profiles not yet in dst, moved there once
	// everything decoded: a bad sample adds nothing, and no copy of the
	// samples is kept on the way (a 1M-sample profile is 1M pdata samples
	// per sample type already).
	out := pprofile.NewProfilesSlice()
	out.EnsureCapacity(nTypes)
	for t := range nTypes {
		// A valid sample holds a value per type, each at least a byte of
		// input: the capacity stays within the input's size.
		if ss := out.AppendEmpty().Samples(); keep == nil || keep[t] {
			ss.EnsureCapacity(min(rp.nSamples, len(rp.raw)/nTypes))
		}
	}
	if err := d.samples(out, keep); err != nil {
		return err
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
	for t, op := range out.All() {
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
	}
	out.MoveAndAppendTo(startResource(dst, resource).Profiles())
	return nil
}

// samples decodes every sample, in input order, into out's profiles: one
// per sample type, each sample in those where its value is not zero (and
// that keep selects, if not nil). Every sample is decoded and checked, kept
// or not.
func (d *decoder) samples(out pprofile.ProfilesSlice, keep []bool) error {
	nTypes := len(d.rp.sampleTypes)
	dst := make([]pprofile.SampleSlice, nTypes)
	for t := range dst {
		dst[t] = out.At(t).Samples()
	}
	var ids, vals []uint64
	var locs, attrs []int32
	var labels []rawLabel
	top := wireReader{b: d.rp.raw}
	si := -1
	for !top.done() {
		// scan read these bytes already: only the samples are of interest.
		num, _, _, sb, err := top.field()
		if err != nil {
			return fmt.Errorf("pprof: %w", err)
		}
		if num != 2 {
			continue
		}
		si++
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
		var stack int32
		if len(ids) > 0 {
			locs = locs[:0]
			for _, id := range ids {
				li, ok := d.lcs.get(id)
				if !ok {
					return fmt.Errorf("pprof: sample %d: unknown location id %d", si, id)
				}
				locs = append(locs, li)
			}
			stack = d.in.stack(locs)
		}
		attrs = attrs[:0]
		if len(labels) > 0 {
			attrs = d.labelAttributes(labels, attrs)
		}
		for t, v := range vals {
			if v == 0 || keep != nil && !keep[t] {
				continue
			}
			os := dst[t].AppendEmpty()
			os.SetStackIndex(stack)
			os.Values().Append(int64(v))
			if len(attrs) > 0 {
				os.AttributeIndices().FromRaw(attrs)
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
func (d *decoder) labelAttributes(labels []rawLabel, out []int32) []int32 {
	sort.SliceStable(labels, func(i, j int) bool {
		if labels[i].num != labels[j].num {
			return !labels[i].num
		}
		return labels[i].key < labels[j].key
	})
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
