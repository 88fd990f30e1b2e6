package pprofconv

import (
	"encoding/binary"
	"fmt"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// interner deduplicates dictionary entries with maps (the pprofile.Set*
// helpers scan linearly, which is quadratic on large profiles).
type interner struct {
	dict     pprofile.ProfilesDictionary
	strs     map[string]int32
	funcs    map[funcKey]int32
	mappings map[string]int32
	locs     map[string]int32
	stacks   *stackSet
	attrs    map[string]int32
	scratch  []byte
}

type funcKey struct {
	name, system, file int32
	start              int64
}

// newInterner indexes what dict already holds, adding the index-0 zero
// sentinels to any empty table, so new entries reuse existing ones.
func newInterner(dict pprofile.ProfilesDictionary) (*interner, error) {
	in := &interner{
		dict:     dict,
		strs:     make(map[string]int32, dict.StringTable().Len()+64),
		funcs:    make(map[funcKey]int32, dict.FunctionTable().Len()+64),
		mappings: map[string]int32{},
		locs:     make(map[string]int32, dict.LocationTable().Len()+64),
		attrs:    map[string]int32{},
	}
	if dict.StringTable().Len() == 0 {
		dict.StringTable().Append("")
	}
	if dict.MappingTable().Len() == 0 {
		dict.MappingTable().AppendEmpty()
	}
	if dict.LocationTable().Len() == 0 {
		dict.LocationTable().AppendEmpty()
	}
	if dict.FunctionTable().Len() == 0 {
		dict.FunctionTable().AppendEmpty()
	}
	if dict.StackTable().Len() == 0 {
		dict.StackTable().AppendEmpty()
	}
	if dict.AttributeTable().Len() == 0 {
		dict.AttributeTable().AppendEmpty()
	}
	if dict.LinkTable().Len() == 0 {
		dict.LinkTable().AppendEmpty()
	}
	// Index an existing dictionary only after validating it: keys built from
	// its entries must not point outside the tables.
	if err := ValidateDictionary(dict); err != nil {
		return nil, err
	}
	for i, s := range dict.StringTable().All() {
		if _, ok := in.strs[s]; !ok {
			in.strs[s] = int32(i)
		}
	}
	for i, f := range dict.FunctionTable().All() {
		k := funcKey{f.NameStrindex(), f.SystemNameStrindex(), f.FilenameStrindex(), f.StartLine()}
		if _, ok := in.funcs[k]; !ok {
			in.funcs[k] = int32(i)
		}
	}
	for i, m := range dict.MappingTable().All() {
		k := string(mappingKey(in.scratch[:0], m.MemoryStart(), m.MemoryLimit(), m.FileOffset(), m.FilenameStrindex(), m.AttributeIndices().AsRaw()))
		if _, ok := in.mappings[k]; !ok {
			in.mappings[k] = int32(i)
		}
	}
	for i, l := range dict.LocationTable().All() {
		b := locationKeyHead(in.scratch[:0], l.MappingIndex(), l.Address(), l.AttributeIndices().AsRaw())
		for _, ln := range l.Lines().All() {
			b = appendLine(b, ln.FunctionIndex(), ln.Line(), ln.Column())
		}
		if _, ok := in.locs[string(b)]; !ok {
			in.locs[string(b)] = int32(i)
		}
	}
	in.stacks = newStackSet(dict.StackTable())
	for i, a := range dict.AttributeTable().All() {
		k, ok := attrKey(in.scratch[:0], a.KeyStrindex(), a.UnitStrindex(), a.Value())
		if !ok {
			continue
		}
		if _, dup := in.attrs[string(k)]; !dup {
			in.attrs[string(k)] = int32(i)
		}
	}
	return in, nil
}

func (in *interner) str(s string) int32 {
	if i, ok := in.strs[s]; ok {
		return i
	}
	i := int32(in.dict.StringTable().Len())
	in.dict.StringTable().Append(s)
	in.strs[s] = i
	return i
}

// strBytes interns b without allocating when it is already known.
func (in *interner) strBytes(b []byte) int32 {
	if i, ok := in.strs[string(b)]; ok {
		return i
	}
	return in.str(string(b))
}

func (in *interner) function(name, system, file string, start int64) int32 {
	return in.functionKey(funcKey{in.str(name), in.str(system), in.str(file), start})
}

func (in *interner) functionKey(k funcKey) int32 {
	if i, ok := in.funcs[k]; ok {
		return i
	}
	i := int32(in.dict.FunctionTable().Len())
	f := in.dict.FunctionTable().AppendEmpty()
	f.SetNameStrindex(k.name)
	f.SetSystemNameStrindex(k.system)
	f.SetFilenameStrindex(k.file)
	f.SetStartLine(k.start)
	in.funcs[k] = i
	return i
}

// mapping interns a mapping whose attribute indices are already interned.
func (in *interner) mapping(start, limit, offset uint64, file int32, attrs []int32) int32 {
	in.scratch = mappingKey(in.scratch[:0], start, limit, offset, file, attrs)
	if i, ok := in.mappings[string(in.scratch)]; ok {
		return i
	}
	i := int32(in.dict.MappingTable().Len())
	m := in.dict.MappingTable().AppendEmpty()
	m.SetMemoryStart(start)
	m.SetMemoryLimit(limit)
	m.SetFileOffset(offset)
	m.SetFilenameStrindex(file)
	if len(attrs) > 0 {
		m.AttributeIndices().FromRaw(attrs)
	}
	in.mappings[string(in.scratch)] = i
	return i
}

type lineRef struct {
	fn        int32
	line, col int64
}

func (in *interner) location(mapping int32, addr uint64, attrs []int32, lines []lineRef) int32 {
	b := locationKeyHead(in.scratch[:0], mapping, addr, attrs)
	for _, l := range lines {
		b = appendLine(b, l.fn, l.line, l.col)
	}
	in.scratch = b
	if i, ok := in.locs[string(b)]; ok {
		return i
	}
	i := int32(in.dict.LocationTable().Len())
	loc := in.dict.LocationTable().AppendEmpty()
	loc.SetMappingIndex(mapping)
	loc.SetAddress(addr)
	if len(attrs) > 0 {
		loc.AttributeIndices().FromRaw(attrs)
	}
	ls := loc.Lines()
	ls.EnsureCapacity(len(lines))
	for _, l := range lines {
		nl := ls.AppendEmpty()
		nl.SetFunctionIndex(l.fn)
		nl.SetLine(l.line)
		nl.SetColumn(l.col)
	}
	in.locs[string(b)] = i
	return i
}

// stack interns a leaf-first list of location indices.
func (in *interner) stack(locs []int32) int32 { return in.stacks.intern(locs) }

func (in *interner) attrStr(key, value string) int32 {
	k := in.str(key)
	in.scratch = append(appendInt32s(in.scratch[:0], []int32{k, 0}), 's')
	in.scratch = append(in.scratch, value...)
	if i, ok := in.attrs[string(in.scratch)]; ok {
		return i
	}
	i := int32(in.dict.AttributeTable().Len())
	a := in.dict.AttributeTable().AppendEmpty()
	a.SetKeyStrindex(k)
	a.Value().SetStr(value)
	in.attrs[string(in.scratch)] = i
	return i
}

func (in *interner) attrInt(key string, value int64, unit string) int32 {
	k, u := in.str(key), in.str(unit)
	in.scratch = append(appendInt32s(in.scratch[:0], []int32{k, u}), 'i')
	in.scratch = binary.AppendVarint(in.scratch, value)
	if i, ok := in.attrs[string(in.scratch)]; ok {
		return i
	}
	i := int32(in.dict.AttributeTable().Len())
	a := in.dict.AttributeTable().AppendEmpty()
	a.SetKeyStrindex(k)
	a.SetUnitStrindex(u)
	a.Value().SetInt(value)
	in.attrs[string(in.scratch)] = i
	return i
}

func (in *interner) attrBool(key string, value bool) int32 {
	k := in.str(key)
	in.scratch = append(appendInt32s(in.scratch[:0], []int32{k, 0}), 'b')
	if value {
		in.scratch = append(in.scratch, 1)
	} else {
		in.scratch = append(in.scratch, 0)
	}
	if i, ok := in.attrs[string(in.scratch)]; ok {
		return i
	}
	i := int32(in.dict.AttributeTable().Len())
	a := in.dict.AttributeTable().AppendEmpty()
	a.SetKeyStrindex(k)
	a.Value().SetBool(value)
	in.attrs[string(in.scratch)] = i
	return i
}

// attrStrs interns a multi-valued label (pprof allows it; OTLP keys must be
// unique, so the values travel as one string slice).
func (in *interner) attrStrs(key string, values []string) int32 {
	i := int32(in.dict.AttributeTable().Len())
	a := in.dict.AttributeTable().AppendEmpty()
	a.SetKeyStrindex(in.str(key))
	s := a.Value().SetEmptySlice()
	s.EnsureCapacity(len(values))
	for _, v := range values {
		s.AppendEmpty().SetStr(v)
	}
	return i
}

func (in *interner) attrInts(key string, values []int64, unit string) int32 {
	i := int32(in.dict.AttributeTable().Len())
	a := in.dict.AttributeTable().AppendEmpty()
	a.SetKeyStrindex(in.str(key))
	a.SetUnitStrindex(in.str(unit))
	s := a.Value().SetEmptySlice()
	s.EnsureCapacity(len(values))
	for _, v := range values {
		s.AppendEmpty().SetInt(v)
	}
	return i
}

func mappingKey(b []byte, start, limit, offset uint64, file int32, attrs []int32) []byte {
	b = binary.AppendUvarint(b, start)
	b = binary.AppendUvarint(b, limit)
	b = binary.AppendUvarint(b, offset)
	b = binary.AppendVarint(b, int64(file))
	return appendInt32s(b, attrs)
}

func locationKeyHead(b []byte, mapping int32, addr uint64, attrs []int32) []byte {
	b = binary.AppendVarint(b, int64(mapping))
	b = binary.AppendUvarint(b, addr)
	b = appendInt32s(b, attrs)
	return append(b, '|')
}

func appendLine(b []byte, fn int32, line, col int64) []byte {
	b = binary.AppendVarint(b, int64(fn))
	b = binary.AppendVarint(b, line)
	return binary.AppendVarint(b, col)
}

func appendInt32s(b []byte, v []int32) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	for _, x := range v {
		b = binary.AppendVarint(b, int64(x))
	}
	return b
}

// attrKey is the dedup key of an existing attribute; only scalar values are
// deduplicated (slices are rare and appended as they come).
func attrKey(b []byte, key, unit int32, v pcommon.Value) ([]byte, bool) {
	b = appendInt32s(b, []int32{key, unit})
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if unit != 0 {
			return nil, false
		}
		return append(append(b, 's'), v.Str()...), true
	case pcommon.ValueTypeInt:
		return binary.AppendVarint(append(b, 'i'), v.Int()), true
	case pcommon.ValueTypeBool:
		if unit != 0 {
			return nil, false
		}
		if v.Bool() {
			return append(b, 'b', 1), true
		}
		return append(b, 'b', 0), true
	case pcommon.ValueTypeDouble:
		return binary.BigEndian.AppendUint64(append(b, 'd'), math.Float64bits(v.Double())), true
	}
	return nil, false
}

// errIndex is the error every out-of-range dictionary reference produces.
func errIndex(table string, idx int32, n int) error {
	return fmt.Errorf("%s index %d out of range [0,%d)", table, idx, n)
}
