package pprofconv

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// lastOnly keeps the samples of the last sample type (a Go CPU profile's
// cpu/nanoseconds) and checks what the decoder passes.
func lastOnly(t *testing.T) KeepSamples {
	return func(types [][4]string) []bool {
		keep := make([]bool, len(types))
		for i, ty := range types {
			require.NotEmpty(t, ty[0], "sample type %d", i)
		}
		keep[len(keep)-1] = true
		return keep
	}
}

// withoutSamples empties the profiles keep leaves out, as the decoder should.
func withoutSamples(pd pprofile.Profiles, keep func(int) bool) {
	for _, rp := range pd.ResourceProfiles().All() {
		for _, sp := range rp.ScopeProfiles().All() {
			for i, p := range sp.Profiles().All() {
				if !keep(i) {
					p.Samples().RemoveIf(func(pprofile.Sample) bool { return true })
				}
			}
		}
	}
}

// TestKeepSamples: leaving samples out changes nothing else (dictionary,
// headers, the kept profiles), and keeping all is FromPprofBytes.
func TestKeepSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "*", "*.pb.gz"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	all := func(types [][4]string) []bool {
		keep := make([]bool, len(types))
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	tests := []struct {
		name string
		keep func(t *testing.T) KeepSamples
		kept func(i, n int) bool
	}{
		{"nil keeps all", func(*testing.T) KeepSamples { return nil }, func(int, int) bool { return true }},
		{"all", func(*testing.T) KeepSamples { return all }, func(int, int) bool { return true }},
		{"last only", lastOnly, func(i, n int) bool { return i == n-1 }},
		{"a mask of the wrong length keeps all", func(*testing.T) KeepSamples {
			return func([][4]string) []bool { return []bool{false} }
		}, func(int, int) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range files {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				want, err := FromPprofBytes(data, 0, nil)
				require.NoError(t, err)
				n := want.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().Len()
				if tt.name == "a mask of the wrong length keeps all" && n == 1 {
					continue // a one-element mask is the right length there
				}
				withoutSamples(want, func(i int) bool { return tt.kept(i, n) })
				got, err := FromPprofBytesKeeping(data, 0, nil, tt.keep(t))
				require.NoError(t, err)
				require.True(t, bytes.Equal(marshal(t, want), marshal(t, got)), f)
			}
		})
	}
}

// TestKeepSamplesSameErrors: a corrupt profile fails the same way whether
// samples are kept or not (every sample is still decoded and checked).
func TestKeepSamplesSameErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixtures, "native-tls-a", "cpu.pb.gz"))
	require.NoError(t, err)
	raw, err := Decompress(data, 0)
	require.NoError(t, err)
	failures := 0
	for i := 0; i < len(raw); i += 1 + len(raw)/400 {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(raw)
			bad[i] ^= flip
			_, want := FromPprofBytes(bad, 0, nil)
			_, got := FromPprofBytesKeeping(bad, 0, nil, lastOnly(t))
			if want == nil {
				require.NoError(t, got, "offset %d", i)
				continue
			}
			failures++
			require.EqualError(t, got, want.Error(), "offset %d", i)
		}
	}
	require.Greater(t, failures, 100, "the mutations must reach the error paths")
}
