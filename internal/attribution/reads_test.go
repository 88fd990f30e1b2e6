package attribution

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSampleTypesRead(t *testing.T) {
	tests := []struct {
		name  string
		types [][4]string
		want  []bool
	}{
		{"go cpu: the count beside the nanoseconds is not read",
			[][4]string{{"samples", "count", "cpu", "nanoseconds"}, {"cpu", "nanoseconds", "cpu", "nanoseconds"}}, []bool{false, true}},
		{"a count alone is read", [][4]string{{"samples", "count", "cpu", "nanoseconds"}}, []bool{true}},
		{"upper case spellings", [][4]string{{"Samples", "Count", "CPU", "Nanoseconds"}, {"CPU", "Nanoseconds", "CPU", "Nanoseconds"}}, []bool{false, true}},
		{"heap: nothing read", [][4]string{{"alloc_objects", "count", "space", "bytes"}, {"alloc_space", "bytes", "space", "bytes"},
			{"inuse_objects", "count", "space", "bytes"}, {"inuse_space", "bytes", "space", "bytes"}}, []bool{false, false, false, false}},
		{"mutex: both read", [][4]string{{"contentions", "count", "contentions", "count"}, {"delay", "nanoseconds", "contentions", "count"}}, []bool{true, true}},
		{"wall: not read", [][4]string{{"wall", "nanoseconds", "wall", "nanoseconds"}}, []bool{false}},
		{"none", nil, []bool{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, SampleTypesRead(tt.types))
		})
	}
}
