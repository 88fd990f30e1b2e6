package pprofconv

import (
	"bytes"
	"encoding/binary"
	"runtime/pprof"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// legacyCPU is a binary legacy CPU profile: header, one 2-frame sample, trailer.
func legacyCPU(order binary.ByteOrder) []byte {
	var b bytes.Buffer
	for _, w := range []uint64{0, 3, 0, 10000, 0, 1, 2, 0x401000, 0x402000, 0, 1, 0} {
		_ = binary.Write(&b, order, w)
	}
	return b.Bytes()
}

func runtimeText(t *testing.T, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, pprof.Lookup(name).WriteTo(&b, 1))
	return b.Bytes()
}

func TestLegacyFormats(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"heap text (debug=1)", runtimeText(t, "heap")},
		{"goroutine counts (debug=1)", runtimeText(t, "goroutine")},
		{"mutex text (debug=1)", runtimeText(t, "mutex")},
		{"block text (debug=1)", runtimeText(t, "block")},
		{"contention text", []byte("--- contention ---\ncycles/second=3000000000\n10 20 @ 0x401000 0x402000\n")},
		{"gzipped heap text", gz(t, runtimeText(t, "heap"))},
		{"binary CPU, little endian", legacyCPU(binary.LittleEndian)},
		{"binary CPU, big endian", legacyCPU(binary.BigEndian)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromPprofBytes(tt.data, 0, nil)
			require.ErrorIs(t, err, ErrLegacyFormat)
			assert.Equal(t, "legacy pprof format: convert it with `go tool pprof -proto`", err.Error())
		})
	}
	t.Run("garbage is not called legacy", func(t *testing.T) {
		_, err := FromPprofBytes([]byte("\x8a\x03not a protobuf at all"), 0, nil)
		require.Error(t, err)
		assert.NotErrorIs(t, err, ErrLegacyFormat)
	})
}
