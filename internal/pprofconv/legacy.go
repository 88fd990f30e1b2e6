package pprofconv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"regexp"
)

// ErrLegacyFormat is returned for pre-protobuf pprof (text heap, contention,
// mutex, goroutine and thread dumps; the binary legacy CPU format), which
// only google/pprof's heuristic parsers read.
var ErrLegacyFormat = errors.New("legacy pprof format: convert it with `go tool pprof -proto`")

// legacyTextRE matches the first line of every legacy text profile:
// "heap profile: 1: 2 [3: 4] @ heap/1048576", "goroutine profile: total 7",
// "--- contention:", "--- mutex:", "--- heapz 1 ---", "--- threadz 1 ---".
var legacyTextRE = regexp.MustCompile(`\A(--- |heap profile:|heap_v2/|[a-z_]+ profile: total \d+)`)

// isLegacy tells legacy pprof from garbage once protobuf decoding failed
// (a valid profile.proto never starts with these bytes as tags).
func isLegacy(raw []byte) bool {
	t := bytes.TrimLeft(raw, " \t\r\n")
	if legacyTextRE.Match(t[:min(len(t), 64)]) {
		return true
	}
	// Legacy CPU: a header of words 0, 3, 0, period, 0 in 32 or 64 bits,
	// either byte order.
	for _, w := range []int{4, 8} {
		if len(raw) < 5*w {
			continue
		}
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			word := func(i int) uint64 {
				if w == 4 {
					return uint64(bo.Uint32(raw[i*4:]))
				}
				return bo.Uint64(raw[i*8:])
			}
			if word(0) == 0 && word(1) == 3 && word(2) == 0 && word(4) == 0 {
				return true
			}
		}
	}
	return false
}
