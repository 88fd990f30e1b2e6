package pprofconv

import (
	"errors"
	"fmt"
)

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
	// Mappings, functions, then locations: the order google/pprof hands them
	// over, so the dictionary matches a translation of its profile.Profile.
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
	// An unknown mapping id leaves the location unmapped, as google/pprof
	// reads it: the frames still name their functions.
	var mi int32
	if mapID != 0 {
		if v, ok := d.mps.get(mapID); ok {
			mi = v
		}
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
	// A line must name a function: google/pprof rejects one without.
	if fnID == 0 {
		return ln, errors.New("line without a function id")
	}
	v, ok := d.fns.get(fnID)
	if !ok {
		return ln, fmt.Errorf("unknown function id %d", fnID)
	}
	ln.fn = v
	return ln, nil
}
