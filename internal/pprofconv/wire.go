package pprofconv

import (
	"errors"
	"fmt"
)

// Protobuf wire types used by profile.proto.
const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
)

var errTruncated = errors.New("truncated protobuf")

// errFieldNumber marks a tag protobuf forbids (0, or past 2^29-1); a legacy
// text profile or random bytes usually fail here first.
var errFieldNumber = errors.New("bad field number")

// wireReader walks the fields of one protobuf message without allocating.
type wireReader struct {
	b   []byte
	pos int
}

func (r *wireReader) done() bool { return r.pos >= len(r.b) }

func (r *wireReader) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if r.pos >= len(r.b) {
			return 0, errTruncated
		}
		c := r.b[r.pos]
		r.pos++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint overflows 64 bits")
}

// field reads a tag; for wireBytes it also returns the payload, for
// wireVarint the value, and skips fixed-width payloads.
func (r *wireReader) field() (num int, wt int, v uint64, payload []byte, err error) {
	tag, err := r.varint()
	if err != nil {
		return 0, 0, 0, nil, err
	}
	num, wt = int(tag>>3), int(tag&7)
	if num <= 0 || tag>>3 > 1<<29 {
		return 0, 0, 0, nil, fmt.Errorf("%w %d", errFieldNumber, tag>>3)
	}
	switch wt {
	case wireVarint:
		v, err = r.varint()
	case wireBytes:
		var n uint64
		n, err = r.varint()
		if err == nil {
			if n > uint64(len(r.b)-r.pos) {
				return 0, 0, 0, nil, errTruncated
			}
			payload = r.b[r.pos : r.pos+int(n)]
			r.pos += int(n)
		}
	case wire64:
		if len(r.b)-r.pos < 8 {
			return 0, 0, 0, nil, errTruncated
		}
		r.pos += 8
	case wire32:
		if len(r.b)-r.pos < 4 {
			return 0, 0, 0, nil, errTruncated
		}
		r.pos += 4
	default:
		return 0, 0, 0, nil, fmt.Errorf("unsupported wire type %d", wt)
	}
	return num, wt, v, payload, err
}

// appendVarints appends a repeated varint field, packed or not.
func appendVarints(dst []uint64, wt int, v uint64, payload []byte) ([]uint64, error) {
	switch wt {
	case wireVarint:
		return append(dst, v), nil
	case wireBytes:
		r := wireReader{b: payload}
		for !r.done() {
			x, err := r.varint()
			if err != nil {
				return dst, err
			}
			dst = append(dst, x)
		}
		return dst, nil
	}
	return dst, fmt.Errorf("wire type %d for a repeated integer", wt)
}

// wantVarint rejects a scalar field sent with another wire type.
func wantVarint(wt int, what string) error {
	if wt != wireVarint {
		return fmt.Errorf("%s: wire type %d, want varint", what, wt)
	}
	return nil
}

func wantBytes(wt int, what string) error {
	if wt != wireBytes {
		return fmt.Errorf("%s: wire type %d, want length-delimited", what, wt)
	}
	return nil
}
