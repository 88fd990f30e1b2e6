package pprofconv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/google/pprof/profile"
	"github.com/klauspost/compress/gzip"
)

// DefaultMaxBytes caps a decompressed profile when the caller gives no cap.
const DefaultMaxBytes = 512 << 20

// ErrTooLarge is returned (wrapped) when decompressed data passes the cap.
var ErrTooLarge = errors.New("decompressed size exceeds the limit")

// IsGzip reports whether data starts with the gzip magic number.
func IsGzip(data []byte) bool {
	return len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
}

// Decompress gunzips data when it carries the gzip magic number, never
// producing more than maxBytes (a gzip bomb is an error, not an OOM).
// Data that is not gzip is returned as is.
func Decompress(data []byte, maxBytes int64) ([]byte, error) {
	if !IsGzip(data) {
		return data, nil
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	// An honest single-member file states its size in the trailer: fill a
	// buffer of that size in one pass. The trailer is only a hint, bounded
	// by the cap; when the stream disagrees, count first then fill.
	if out, ok, err := gunzipHinted(data, maxBytes); ok || err != nil {
		return out, err
	}
	// Two passes: the first only counts, so a bomb is refused holding no
	// more than the decompressor's window, and the second fills a buffer of
	// exactly the size found (a growing buffer peaks near twice the cap).
	n, err := gunzip(data, io.Discard, maxBytes)
	if err != nil {
		return nil, err
	}
	out := bytes.NewBuffer(make([]byte, 0, n))
	if m, err := gunzip(data, out, n); err != nil || m != n {
		return nil, fmt.Errorf("gzip: the stream changed between reads (%d then %d bytes): %v", n, m, err)
	}
	return out.Bytes(), nil
}

// gunzipHinted decompresses into a buffer of the size the gzip trailer
// (ISIZE) states, if that is within maxBytes; ok is false when the trailer
// is absent, over the cap, or not the stream's size (several members, a
// stream of 4 GiB or more, a lie), and the caller counts instead. A read
// error is returned as gunzip would return it.
func gunzipHinted(data []byte, maxBytes int64) (out []byte, ok bool, err error) {
	if len(data) < 18 { // a 10-byte header and the 8-byte trailer at least
		return nil, false, nil
	}
	hint := int64(binary.LittleEndian.Uint32(data[len(data)-4:]))
	if hint == 0 || hint > maxBytes {
		return nil, false, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false, fmt.Errorf("gzip: %w", err)
	}
	defer zr.Close()
	out = make([]byte, hint)
	if _, err := io.ReadFull(zr, out); err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			return nil, false, nil // shorter than stated
		}
		return nil, false, fmt.Errorf("gzip: %w", err)
	}
	// The stream must end here; reading on also checks the CRC and size.
	var one [1]byte
	switch n, err := zr.Read(one[:]); {
	case n > 0:
		return nil, false, nil // longer than stated
	case err == io.EOF:
		return out, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("gzip: %w", err)
	}
	// A reader may return (0, nil): read through the two-pass path.
	return nil, false, nil
}

// gunzip writes at most maxBytes of data's decompressed stream to w and
// returns its size; a longer stream is ErrTooLarge.
func gunzip(data []byte, w io.Writer, maxBytes int64) (int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("gzip: %w", err)
	}
	defer zr.Close()
	n, err := io.Copy(w, io.LimitReader(zr, maxBytes+1))
	if err != nil {
		return 0, fmt.Errorf("gzip: %w", err)
	}
	if n > maxBytes {
		return 0, fmt.Errorf("gzip: %w (%d bytes)", ErrTooLarge, maxBytes)
	}
	return n, nil
}

// Parse decompresses (capped) and decodes a pprof profile. It never hands
// gzip to profile.ParseData, which would gunzip without a limit.
func Parse(data []byte, maxBytes int64) (p *profile.Profile, err error) {
	raw, err := Decompress(data, maxBytes)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, errors.New("pprof: empty profile")
	}
	// The decoder is not ours; a panic on hostile bytes must become an error.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("pprof: malformed profile: %v", r)
		}
	}()
	p, err = profile.ParseUncompressed(raw)
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	return p, nil
}
