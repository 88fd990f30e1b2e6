package pprofconv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

func TestStackSet(t *testing.T) {
	tests := []struct {
		name     string
		existing [][]int32 // already in the table
		intern   [][]int32
		want     []int32
	}{
		{"new stacks take the next index", nil, [][]int32{{1, 2}, {2, 1}, {1}, {}}, []int32{0, 1, 2, 3}},
		{"equal stacks share one", nil, [][]int32{{1, 2, 3}, {1, 2}, {1, 2, 3}, {1, 2}}, []int32{0, 1, 0, 1}},
		{"a prefix is another stack", nil, [][]int32{{7, 8}, {7}, {7, 8, 9}}, []int32{0, 1, 2}},
		{"the table's stacks are found, the first of equals wins", [][]int32{{}, {4, 5}, {4, 5}, {6}}, [][]int32{{4, 5}, {6}, {}, {9}}, []int32{1, 3, 0, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := pprofile.NewStackSlice()
			for _, locs := range tt.existing {
				tab.AppendEmpty().LocationIndices().FromRaw(locs)
			}
			s := newStackSet(tab)
			var got []int32
			for _, locs := range tt.intern {
				got = append(got, s.intern(locs))
			}
			assert.Equal(t, tt.want, got)
			for i, locs := range tt.intern {
				assert.True(t, equalInt32s(tab.At(int(got[i])).LocationIndices(), locs), "stack %d", i)
			}
		})
	}
}

// TestStackSetGrows past many resizes and keeps every stack findable.
func TestStackSetGrows(t *testing.T) {
	tab := pprofile.NewStackSlice()
	s := newStackSet(tab)
	const n = 20000
	for round := range 2 {
		for i := range n {
			got := s.intern([]int32{int32(i % 97), int32(i), int32(i / 3)})
			require.Equal(t, int32(i), got, "round %d", round)
		}
	}
	require.Equal(t, n, tab.Len())
	require.LessOrEqual(t, 2*s.n, len(s.slots), "at most half full")
}
