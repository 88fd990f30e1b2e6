package inputfile

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadAll: the stated size only sizes the first buffer.
func TestReadAll(t *testing.T) {
	data := bytes.Repeat([]byte("perfadvisor"), 1000)
	tests := []struct {
		name string
		r    io.Reader
		size int64
		want []byte
		err  bool
	}{
		{"as stated", bytes.NewReader(data), int64(len(data)) + 1, data, false},
		{"shorter than stated", bytes.NewReader(data[:10]), int64(len(data)), data[:10], false},
		{"longer than stated", bytes.NewReader(data), 7, data, false},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data)), 1, data, false},
		{"empty", bytes.NewReader(nil), 1, []byte{}, false},
		{"a read error", iotest.ErrReader(errors.New("boom")), 10, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(tt.r, tt.size)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
