package pprofconv

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pprofiletest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// allPprofFixtures lists every pprof file under the repository's testdata.
func allPprofFixtures(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join("..", "..", "testdata"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".pb.gz") || strings.HasSuffix(path, ".pprof")) {
			out = append(out, path)
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, out, "no pprof fixtures under testdata")
	return out
}

// diffOracle decodes data with the direct decoder and with the oracle and
// describes any difference: one accepting what the other rejects, or output
// that is not byte-identical.
//
// Accepted difference: the direct decoder rejects field number 0 and field
// numbers above 2^29-1, which protobuf forbids and google/pprof skips; such
// bytes are not a profile any producer writes.
func diffOracle(data []byte) error {
	res := map[string]string{"service.name": "x"}
	got, gotErr := FromPprofBytes(data, fuzzMax, res)
	want, wantErr := oracleDecode(data, fuzzMax, res)
	switch {
	case gotErr != nil && wantErr != nil:
		return nil
	case gotErr != nil && errors.Is(gotErr, errFieldNumber):
		return nil
	case gotErr != nil:
		return fmt.Errorf("direct decoder rejects what the oracle accepts: %w", gotErr)
	case wantErr != nil:
		return fmt.Errorf("direct decoder accepts what the oracle rejects (%v)", wantErr)
	}
	if err := ValidateDictionary(got.Dictionary()); err != nil {
		return fmt.Errorf("direct decoder wrote an invalid dictionary: %w", err)
	}
	if !bytes.Equal(marshalCopy(got), marshalCopy(want)) {
		if err := pprofiletest.CompareProfiles(want, got); err != nil {
			return fmt.Errorf("output differs from the oracle: %w", err)
		}
		return errors.New("output differs from the oracle (protobuf encodings differ)")
	}
	return nil
}

// marshalCopy encodes a copy: the marshaler moves resource attributes into
// the string table of what it is given.
func marshalCopy(pd pprofile.Profiles) []byte {
	cp := pprofile.NewProfiles()
	pd.CopyTo(cp)
	b, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(cp)
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecoderMatchesOracleOnFixtures(t *testing.T) {
	for _, path := range allPprofFixtures(t) {
		t.Run(strings.TrimPrefix(path, filepath.Join("..", "..")+string(filepath.Separator)), func(t *testing.T) {
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			_, err = FromPprofBytes(data, 0, nil)
			require.NoError(t, err, "a fixture must decode")
			require.NoError(t, diffOracle(data))
		})
	}
}

// TestDecoderMatchesOracleOnEdgeCases pins the inputs where the two once
// disagreed, each built by appending fields to a valid profile.
func TestDecoderMatchesOracleOnEdgeCases(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, handMade().WriteUncompressed(&buf))
	good := buf.Bytes()
	with := func(extra ...byte) []byte { return append(append([]byte{}, good...), extra...) }

	tests := []struct {
		name       string
		data       []byte
		wantReject bool
	}{
		{"hand made", good, false},
		{"gzipped hand made", gz(t, good), false},
		// time_nanos (field 9) again after a non-zero one: a concatenation.
		{"two time_nanos", with(0x48, 0x05), true},
		// location 60 (field 4) whose line names function id 0.
		{"line without function", with(0x22, 0x06, 0x08, 60, 0x22, 0x02, 0x10, 0x07), true},
		// location 61 naming mapping id 9, which does not exist: unmapped.
		{"unknown mapping id", with(0x22, 0x04, 0x08, 61, 0x10, 0x09), false},
		// sample (field 2) with a packed location id list and a known id.
		{"packed location ids", with(0x12, 0x08, 0x0a, 0x02, 0x01, 0x02, 0x12, 0x02, 0x01, 0x01), false},
		// an unknown top-level field 20 with a fixed64 payload is skipped.
		{"unknown fixed64 field", with(0xa1, 0x01, 1, 2, 3, 4, 5, 6, 7, 8), false},
		// an unknown field with a group wire type is not protobuf pprof reads.
		{"group wire type", with(0xa3, 0x01), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, diffOracle(tt.data))
			_, err := FromPprofBytes(tt.data, 0, nil)
			if tt.wantReject {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

// fuzzSeedMax keeps big fixtures out of the fuzz seeds: the fuzzer minimises
// every new input it finds, which takes minutes on a 500 KB profile, and the
// fixture test above already holds every fixture to the oracle.
const fuzzSeedMax = 24 << 10

// FuzzDecoderMatchesOracle holds the direct decoder to the oracle on
// arbitrary bytes: the same verdict, and byte-identical output.
func FuzzDecoderMatchesOracle(f *testing.F) {
	addPprofSeeds(f)
	for _, path := range allPprofFixtures(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		raw, err := Decompress(data, 0)
		if err != nil {
			f.Fatal(err)
		}
		if len(raw) <= fuzzSeedMax {
			f.Add(raw) // the mutator works far better on uncompressed bytes
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := diffOracle(data); err != nil {
			t.Fatal(err)
		}
	})
}
