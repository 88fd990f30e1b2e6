package jfr

import (
	"errors"
	"fmt"
)

// checkPools follows the constant-pool chain from cp as the parser does and
// walks every constant. It returns the frame count of each stack trace.
func (ct *chunkTypes) checkPools(b []byte, start, cp, end int) (map[uint64]int, error) {
	depths := map[uint64]int{}
	// Each link is read within its own event, and no two links may
	// overlap: the parser appends every constant it reads, so re-reading
	// the same bytes through a crafted chain would multiply them.
	var spans [][2]int
	for pos := cp; ; {
		if pos < start+chunkHeaderSize || pos >= end {
			return nil, fmt.Errorf("link to %d outside the chunk", pos)
		}
		if len(spans) >= maxPoolChain {
			return nil, errors.New("too many constant pools")
		}
		r := &reader{b: b, pos: pos, end: end}
		size, err := r.varLong()
		if err != nil {
			return nil, err
		}
		if size == 0 || size > uint64(end-pos) {
			return nil, fmt.Errorf("constant pool at %d: size %d outside the chunk", pos, size)
		}
		span := [2]int{pos, pos + int(size)}
		for _, o := range spans {
			if span[0] < o[1] && o[0] < span[1] {
				return nil, errors.New("constant pools overlap or link in a loop")
			}
		}
		spans = append(spans, span)
		r.end = span[1]
		var delta uint64
		for i := range 4 { // type, start, duration, delta
			v, err := r.varLong()
			if err != nil {
				return nil, err
			}
			if i == 3 {
				delta = v
			}
		}
		if _, err := r.varint(32); err != nil { // flush
			return nil, err
		}
		n, err := r.count(2)
		if err != nil {
			return nil, err
		}
		for range n {
			typ, err := r.varLong()
			if err != nil {
				return nil, err
			}
			c := ct.classes[int64(typ)]
			if c == nil {
				return nil, fmt.Errorf("unknown type %d", int64(typ))
			}
			if err := ct.constants(r, c, depths); err != nil {
				return nil, fmt.Errorf("%.64s: %w", c.name, err)
			}
		}
		if delta == 0 {
			return depths, nil
		}
		pos += int(int64(delta))
		if pos <= 0 {
			return depths, nil
		}
	}
}

func (ct *chunkTypes) constants(r *reader, c *class, depths map[uint64]int) error {
	if c.name == "jdk.types.ChunkHeader" {
		return r.skip(chunkHeaderSize) // the parser skips it unread
	}
	n, err := r.count(1 + c.width)
	if err != nil {
		return err
	}
	for range n {
		id, err := r.varLong()
		if err != nil {
			return err
		}
		frames, err := ct.value(r, c, 0)
		if err != nil {
			return err
		}
		if c.id == ct.stackTrace {
			depths[id] = frames
		}
	}
	return nil
}

// value skips one value of c. For a stack trace it returns its frame count
// (the length of its array field).
func (ct *chunkTypes) value(r *reader, c *class, depth int) (int, error) {
	if depth > maxDepth {
		return 0, errors.New("values nested too deep")
	}
	if err := ct.step(1 + len(c.fields)); err != nil {
		return 0, err
	}
	switch c.id {
	case ct.tString:
		return 0, skipString(r)
	case ct.tInt, ct.tFloat: // the parser reads floats as varints too
		_, err := r.varint(32)
		return 0, err
	case ct.tShort:
		_, err := r.varint(16)
		return 0, err
	case ct.tLong:
		_, err := r.varLong()
		return 0, err
	case ct.tBool:
		_, err := r.u8()
		return 0, err
	}
	frames := 0
	for _, f := range c.fields {
		fc := ct.classes[f.typ]
		if fc == nil && !f.cp {
			return 0, fmt.Errorf("field %.64q of unknown type %d", f.name, f.typ)
		}
		n := 1
		if f.array {
			w := 1
			if !f.cp {
				w = fc.width
			}
			var err error
			if n, err = r.count(w); err != nil {
				return 0, err
			}
			frames = n
		}
		for range n {
			var err error
			if f.cp {
				_, err = r.varLong()
			} else {
				_, err = ct.value(r, fc, depth+1)
			}
			if err != nil {
				return 0, err
			}
		}
	}
	return frames, nil
}

// skipString skips a string value; a char-array string's length sizes a
// rune buffer in the parser, so it must fit in the bytes left.
func skipString(r *reader) error {
	enc, err := r.u8()
	if err != nil {
		return err
	}
	switch enc {
	case 0, 1:
		return nil
	case 2:
		_, err := r.varLong()
		return err
	case 3, 5:
		n, err := r.count(1)
		if err != nil {
			return err
		}
		return r.skip(n)
	case 4:
		n, err := r.count(1)
		if err != nil {
			return err
		}
		for range n {
			if _, err := r.varint(32); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown string encoding %d", enc)
}

// checkEvents walks the events of a chunk: each must lie inside it, and
// the events the parser decodes must decode within their own size.
func (ct *chunkTypes) checkEvents(r *reader, depths map[uint64]int, refs *refCounter) error {
	for r.left() > 0 {
		start := r.pos
		size, err := r.varLong()
		if err != nil {
			return err
		}
		if size == 0 || size > uint64(r.end-start) {
			return fmt.Errorf("event at %d: size %d outside the chunk", start, size)
		}
		ev := &reader{b: r.b, pos: r.pos, end: start + int(size)}
		r.pos = start + int(size)
		typ, err := ev.varLong()
		if err != nil {
			return err
		}
		c := ct.classes[int64(typ)]
		if c == nil || !parsedEvents[c.name] {
			continue
		}
		if err := ct.step(1 + len(c.fields)); err != nil {
			return err
		}
		for _, f := range c.fields {
			fc := ct.classes[f.typ]
			if f.array || (!f.cp && fc == nil) {
				return fmt.Errorf("event %.64s: unsupported field %.64q", c.name, f.name)
			}
			if f.name == "contextId" && f.typ == ct.tLong && !f.cp {
				id, err := ev.varLong()
				if err != nil {
					return fmt.Errorf("event %.64s: %w", c.name, err)
				}
				if err := refs.add(refs.labels(id)); err != nil {
					return err
				}
				continue
			}
			if !f.cp {
				if _, err := ct.value(ev, fc, 1); err != nil {
					return fmt.Errorf("event %.64s: %w", c.name, err)
				}
				continue
			}
			v, err := ev.varLong()
			if err != nil {
				return fmt.Errorf("event %.64s: %w", c.name, err)
			}
			if f.typ == ct.stackTrace {
				if err := refs.add(depths[v]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
