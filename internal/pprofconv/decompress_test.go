package pprofconv

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withISIZE rewrites a gzip stream's size trailer: the stream then fails
// its own check, unless the two-pass path never trusts the trailer.
func withISIZE(b []byte, n uint32) []byte {
	b = bytes.Clone(b)
	binary.LittleEndian.PutUint32(b[len(b)-4:], n)
	return b
}

// TestDecompressTrailerHint: the ISIZE trailer only sizes the buffer; a
// wrong one costs a second read, never a wrong result or a bigger one.
func TestDecompressTrailerHint(t *testing.T) {
	hello := []byte("hello, profile")
	twoMembers := append(gz(t, []byte("hello, ")), gz(t, []byte("profile"))...)
	zeros := make([]byte, 1<<20)
	tests := []struct {
		name    string
		data    []byte
		max     int64
		want    []byte
		wantErr string
	}{
		{"honest trailer", gz(t, hello), 100, hello, ""},
		{"exactly at the cap", gz(t, hello), int64(len(hello)), hello, ""},
		{"two members: the trailer is the last one's", twoMembers, 100, hello, ""},
		{"empty stream", gz(t, nil), 100, []byte{}, ""},
		// A trailer that disagrees with the stream fails gzip's own check on
		// the read that counts: the error names it, whatever path read it.
		{"trailer too small", withISIZE(gz(t, hello), 3), 100, nil, "gzip"},
		{"trailer too large", withISIZE(gz(t, hello), 50), 100, nil, "gzip"},
		{"trailer over the cap", withISIZE(gz(t, hello), 1<<30), 100, nil, "gzip"},
		{"bomb with a small trailer is refused at the cap", withISIZE(gz(t, zeros), 10), 1 << 10, nil, "exceeds the limit"},
		{"bomb with an honest trailer over the cap", gz(t, zeros), 1 << 10, nil, "exceeds the limit"},
		{"truncated stream", gz(t, hello)[:15], 100, nil, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decompress(tt.data, tt.max)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestDecompressSameErrorsBothPaths: the one-pass path reports a corrupt
// stream as the counting path does.
func TestDecompressSameErrorsBothPaths(t *testing.T) {
	good := gz(t, bytes.Repeat([]byte("perfadvisor "), 1000))
	bad := bytes.Clone(good)
	bad[len(bad)/2] ^= 0xff
	_, hinted := Decompress(bad, 1<<20)
	_, counted := gunzip(bad, &bytes.Buffer{}, 1<<20)
	require.Error(t, hinted)
	require.Error(t, counted)
	assert.Equal(t, counted.Error(), hinted.Error())
}
