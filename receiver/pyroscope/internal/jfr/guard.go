package jfr

import (
	"errors"
	"fmt"
	"strconv"
)

const (
	chunkHeaderSize = 68
	chunkMagic      = 0x464c5200 // "FLR\0"

	maxDepth = 8 // nesting of by-value fields; real recordings use 2
	// maxPoolChain caps the constant-pool links followed per chunk (the
	// parser follows them without cycle detection).
	maxPoolChain = 4096
	// maxRefs caps the stack frames and context labels the events
	// reference in total (counted per event): the converter copies a stack
	// and its context's labels per distinct (stack, context) pair, so a
	// large stack or context referenced by many events would grow
	// quadratically in the body size. A 10 s pyroscope-java upload of 100
	// busy threads references about 10M.
	maxRefs = 1 << 25
	// maxWidth caps a computed least width (nested fields could overflow).
	maxWidth = 1 << 30
	// stepsPerByte bounds the walk's work by the chunk's size; real
	// recordings need about one step per byte.
	stepsPerByte = 8
)

// parsedEvents are the events jfr-parser decodes field by field (it skips
// the others by their size); their fields must stay within bounds.
var parsedEvents = map[string]bool{
	"jdk.ExecutionSample": true, "profiler.WallClockSample": true,
	"jdk.ObjectAllocationInNewTLAB": true, "jdk.ObjectAllocationOutsideTLAB": true,
	"jdk.ObjectAllocationSample": true, "jdk.JavaMonitorEnter": true, "jdk.ThreadPark": true,
	"profiler.LiveObject": true, "jdk.ActiveSetting": true, "profiler.Malloc": true, "profiler.Free": true,
}

type field struct {
	name  string
	typ   int64
	cp    bool
	array bool
}

type class struct {
	id       int64
	name     string
	fields   []field
	width    int // least encoded size of a value, at least 1; 0 until computed
	visiting bool
}

// chunkTypes is one chunk's metadata: the classes and the ids of the
// primitives the parser decodes specially.
type chunkTypes struct {
	classes                                     map[int64]*class
	tInt, tLong, tShort, tFloat, tBool, tString int64
	stackTrace                                  int64 // -1 when absent
	steps, maxSteps                             int
}

// Check walks a JFR recording the way jfr-parser reads it and refuses what
// would make the parser allocate by an unchecked length: every count must
// fit in the bytes that follow it, chunk sizes and offsets must lie inside
// the body, constant pools must not overlap or loop, and the events may
// reference at most maxRefs stack frames and context labels. It allocates
// in proportion to the body, never to a length field. labels gives the
// number of labels of a context id (nil: none).
func Check(b []byte, labels func(id uint64) int) error {
	if len(b) == 0 {
		return fmt.Errorf("empty recording")
	}
	if labels == nil {
		labels = func(uint64) int { return 0 }
	}
	c := refCounter{labels: labels}
	for pos := 0; pos < len(b); {
		end, err := checkChunk(b, pos, &c)
		if err != nil {
			return fmt.Errorf("chunk at %d: %w", pos, err)
		}
		pos = end
	}
	return nil
}

func checkChunk(b []byte, pos int, refs *refCounter) (int, error) {
	r := &reader{b: b, pos: pos, end: len(b)}
	if r.left() < chunkHeaderSize {
		return 0, fmt.Errorf("truncated chunk header")
	}
	magic := uint32(b[pos])<<24 | uint32(b[pos+1])<<16 | uint32(b[pos+2])<<8 | uint32(b[pos+3])
	if magic != chunkMagic {
		return 0, fmt.Errorf("not a JFR chunk (magic %#x)", magic)
	}
	version := uint32(b[pos+4])<<24 | uint32(b[pos+5])<<16 | uint32(b[pos+6])<<8 | uint32(b[pos+7])
	if version < 0x20000 || version > 0x2ffff {
		return 0, fmt.Errorf("unsupported JFR version %#x", version)
	}
	r.pos += 8
	size, _ := r.u64be()
	cpOff, _ := r.u64be()
	metaOff, _ := r.u64be()
	if size < chunkHeaderSize || size > uint64(len(b)-pos) {
		return 0, fmt.Errorf("chunk size %d outside the %d bytes left", size, len(b)-pos)
	}
	if cpOff < chunkHeaderSize || cpOff >= size || metaOff < chunkHeaderSize || metaOff >= size {
		return 0, fmt.Errorf("offsets (constant pool %d, metadata %d) outside the chunk of %d bytes", cpOff, metaOff, size)
	}
	end := pos + int(size)
	ct, err := readMetadata(&reader{b: b, pos: pos + int(metaOff), end: end})
	if err != nil {
		return 0, fmt.Errorf("metadata: %w", err)
	}
	ct.maxSteps = stepsPerByte*int(size) + 1<<16
	depths, err := ct.checkPools(b, pos, pos+int(cpOff), end)
	if err != nil {
		return 0, fmt.Errorf("constant pool: %w", err)
	}
	if err := ct.checkEvents(&reader{b: b, pos: pos + chunkHeaderSize, end: end}, depths, refs); err != nil {
		return 0, fmt.Errorf("events: %w", err)
	}
	return end, nil
}

// readMetadata reads the metadata event in the order the parser does.
func readMetadata(r *reader) (*chunkTypes, error) {
	if _, err := r.varint(32); err != nil { // size
		return nil, err
	}
	if _, err := r.varint(32); err != nil { // type
		return nil, err
	}
	for range 3 { // start, duration, metadata id
		if _, err := r.varLong(); err != nil {
			return nil, err
		}
	}
	n, err := r.count(1)
	if err != nil {
		return nil, err
	}
	strs := make([]string, n)
	for i := range strs {
		if strs[i], err = metaString(r); err != nil {
			return nil, err
		}
	}
	name, _, children, err := element(r, strs, false)
	if err != nil {
		return nil, err
	}
	if name != "root" {
		return nil, fmt.Errorf("expected root element, got %.32q", name)
	}
	ct := &chunkTypes{classes: map[int64]*class{}, stackTrace: -1}
	for range children {
		name, _, n, err := element(r, strs, false)
		if err != nil {
			return nil, err
		}
		switch name {
		case "metadata":
			for range n {
				if err := ct.readClass(r, strs); err != nil {
					return nil, err
				}
			}
		case "region":
		default:
			return nil, fmt.Errorf("unexpected element %.32q", name)
		}
	}
	return ct, ct.resolve()
}

func (ct *chunkTypes) readClass(r *reader, strs []string) error {
	_, attrs, n, err := element(r, strs, true)
	if err != nil {
		return err
	}
	id, err := strconv.Atoi(attrs["id"])
	if err != nil || attrs["name"] == "" {
		return fmt.Errorf("class without an id or a name")
	}
	c := &class{id: int64(id), name: attrs["name"]}
	for range n {
		name, fa, sub, err := element(r, strs, true)
		if err != nil {
			return err
		}
		if name == "field" {
			typ, err := strconv.Atoi(fa["class"])
			if err != nil || fa["name"] == "" {
				return fmt.Errorf("class %.64q: field without a class or a name", c.name)
			}
			if d := fa["dimension"]; d != "" && d != "1" {
				return fmt.Errorf("class %.64q: unsupported dimension %.8q", c.name, d)
			}
			c.fields = append(c.fields, field{name: fa["name"], typ: int64(typ),
				cp: fa["constantPool"] == "true", array: fa["dimension"] == "1"})
		}
		for range sub {
			if _, _, _, err := element(r, strs, false); err != nil {
				return err
			}
		}
	}
	ct.classes[c.id] = c
	return nil
}

// element reads one metadata element header; every count it reads must fit
// in the bytes left (an attribute is two varints, a child at least three).
func element(r *reader, strs []string, attrs bool) (string, map[string]string, int, error) {
	idx, err := r.varint(32)
	if err != nil {
		return "", nil, 0, err
	}
	if idx >= uint64(len(strs)) {
		return "", nil, 0, fmt.Errorf("string index %d out of range", idx)
	}
	na, err := r.count(2)
	if err != nil {
		return "", nil, 0, err
	}
	var m map[string]string
	if attrs {
		m = make(map[string]string, na)
	}
	for range na {
		k, err := r.varint(32)
		if err != nil {
			return "", nil, 0, err
		}
		v, err := r.varint(32)
		if err != nil {
			return "", nil, 0, err
		}
		if k >= uint64(len(strs)) || v >= uint64(len(strs)) {
			return "", nil, 0, fmt.Errorf("string index out of range")
		}
		if attrs {
			m[strs[k]] = strs[v]
		}
	}
	nc, err := r.count(3)
	if err != nil {
		return "", nil, 0, err
	}
	return strs[idx], m, nc, nil
}

// metaString reads a metadata string (the parser knows encodings 0, 1, 3, 4).
func metaString(r *reader) (string, error) {
	enc, err := r.u8()
	if err != nil {
		return "", err
	}
	switch enc {
	case 0, 1:
		return "", nil
	case 3:
		n, err := r.count(1)
		if err != nil {
			return "", err
		}
		s := string(r.b[r.pos : r.pos+n])
		r.pos += n
		return s, nil
	case 4:
		n, err := r.count(1)
		if err != nil {
			return "", err
		}
		rs := make([]rune, n)
		for i := range rs {
			c, err := r.varint(32)
			if err != nil {
				return "", err
			}
			rs[i] = rune(c)
		}
		return string(rs), nil
	}
	return "", fmt.Errorf("unknown string encoding %d", enc)
}

// resolve finds the primitive ids and computes each class's least width.
func (ct *chunkTypes) resolve() error {
	byName := make(map[string]int64, len(ct.classes))
	for id, c := range ct.classes {
		byName[c.name] = id
	}
	for _, p := range []struct {
		name string
		id   *int64
	}{{"int", &ct.tInt}, {"long", &ct.tLong}, {"short", &ct.tShort}, {"float", &ct.tFloat},
		{"boolean", &ct.tBool}, {"java.lang.String", &ct.tString}} {
		id, ok := byName[p.name]
		if !ok {
			return fmt.Errorf("missing type %q", p.name)
		}
		*p.id = id
	}
	if id, ok := byName["jdk.types.StackTrace"]; ok {
		ct.stackTrace = id
	}
	for _, c := range ct.classes {
		ct.width(c)
	}
	return nil
}

// width is the least number of bytes a value of c takes (at least 1),
// memoised so that the walk is linear in the number of fields.
func (ct *chunkTypes) width(c *class) int {
	if c.width > 0 {
		return c.width
	}
	if c.visiting { // a by-value cycle: its values are refused when walked
		return 1
	}
	c.visiting = true
	w := 0
	if ct.primitive(c.id) {
		w = 1
	} else {
		for _, f := range c.fields {
			fc := ct.classes[f.typ]
			switch {
			case f.array, f.cp, fc == nil:
				w++
			default:
				w += ct.width(fc)
			}
			w = min(w, maxWidth)
		}
	}
	c.visiting = false
	c.width = max(w, 1)
	return c.width
}

func (ct *chunkTypes) primitive(id int64) bool {
	switch id {
	case ct.tInt, ct.tLong, ct.tShort, ct.tFloat, ct.tBool, ct.tString:
		return true
	}
	return false
}

// step charges n units of walking work: a crafted metadata can nest
// classes whose fields take no bytes, so the work is bounded separately.
func (ct *chunkTypes) step(n int) error {
	ct.steps += n
	if ct.steps > ct.maxSteps {
		return errors.New("recording too complex to check")
	}
	return nil
}

// refCounter sums what the events make the converter copy.
type refCounter struct {
	n      int
	labels func(id uint64) int
}

func (c *refCounter) add(n int) error {
	c.n += n
	if c.n > maxRefs {
		return fmt.Errorf("events reference more than %d stack frames and labels", maxRefs)
	}
	return nil
}
