package pprofconv

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pprofiletest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// TestGolden pins the OTLP layout of the hand-made profile (inlined frames,
// labels with units, build id, comments). Regenerate with
// PPROFCONV_UPDATE_GOLDEN=1 after an intended change, and review the diff.
func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "handmade_profiles.yaml")
	var raw bytes.Buffer
	require.NoError(t, handMade().WriteUncompressed(&raw))
	direct, err := FromPprofBytes(raw.Bytes(), 0, map[string]string{"service.name": "checkout"})
	require.NoError(t, err)
	viaParse, err := oracleFromPprof(handMade(), map[string]string{"service.name": "checkout"})
	require.NoError(t, err)
	if os.Getenv("PPROFCONV_UPDATE_GOLDEN") != "" {
		require.NoError(t, golden.WriteProfilesToFile(path, viaParse))
	}
	want, err := golden.ReadProfiles(path)
	require.NoError(t, err)
	for name, got := range map[string]pprofile.Profiles{"FromPprof": viaParse, "FromPprofBytes": direct} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, pprofiletest.CompareProfiles(want, got))
		})
	}
}
