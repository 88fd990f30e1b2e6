package jfr

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var (
	errEOF      = errors.New("unexpected end of data")
	errOverflow = errors.New("varint overflow")
)

// reader reads JFR's primitive encodings from b[pos:end]. It decodes
// varints exactly as jfr-parser does, so that the guard and the parser see
// the same numbers.
type reader struct {
	b        []byte
	pos, end int
}

func (r *reader) left() int { return r.end - r.pos }

func (r *reader) u8() (byte, error) {
	if r.pos >= r.end {
		return 0, errEOF
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) u64be() (uint64, error) {
	if r.left() < 8 {
		return 0, errEOF
	}
	v := binary.BigEndian.Uint64(r.b[r.pos:])
	r.pos += 8
	return v, nil
}

// varint reads an unsigned LEB128 of at most bits bits (16 or 32), failing
// where jfr-parser's varInt/varShort fail.
func (r *reader) varint(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			return 0, errOverflow
		}
		c, err := r.u8()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v & (1<<bits - 1), nil
		}
	}
}

// varLong reads JFR's 64-bit varint: up to eight 7-bit groups, then a full byte.
func (r *reader) varLong() (uint64, error) {
	var v uint64
	for shift := uint(0); shift <= 56; shift += 7 {
		c, err := r.u8()
		if err != nil {
			return 0, err
		}
		if shift == 56 {
			return v | uint64(c)<<shift, nil
		}
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return v, nil
}

// count reads a 32-bit element count and checks that count elements of at
// least width bytes each fit in what is left: the parser sizes slices, maps
// and rune buffers by these counts before reading a single element.
func (r *reader) count(width int) (int, error) {
	n, err := r.varint(32)
	if err != nil {
		return 0, err
	}
	if width < 1 {
		width = 1
	}
	if n > uint64(r.left()/width) {
		return 0, fmt.Errorf("count %d does not fit in the %d bytes left", n, r.left())
	}
	return int(n), nil
}

func (r *reader) skip(n int) error {
	if n < 0 || n > r.left() {
		return errEOF
	}
	r.pos += n
	return nil
}

// sub returns a reader over [pos, pos+n) of r's buffer.
func (r *reader) sub(pos, n int) (*reader, error) {
	if pos < 0 || n < 0 || pos > r.end || n > r.end-pos {
		return nil, errEOF
	}
	return &reader{b: r.b, pos: pos, end: pos + n}, nil
}
