package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// TestCorruptOTLPProfiles feeds OTLP profiles whose dictionary references
// point outside their tables: one line on stderr, exit 1, no panic.
func TestCorruptOTLPProfiles(t *testing.T) {
	data, err := os.ReadFile(fx("jvm-regex-a-otlp", "profiles.pb"))
	require.NoError(t, err)
	tests := []struct {
		name    string
		corrupt func(pd pprofile.Profiles)
	}{
		{"sample stack index past the table", func(pd pprofile.Profiles) {
			pd.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0).Samples().At(0).SetStackIndex(1 << 20)
		}},
		{"stack location index past the table", func(pd pprofile.Profiles) {
			pd.Dictionary().StackTable().At(1).LocationIndices().Append(1 << 24)
		}},
		{"line function index negative", func(pd pprofile.Profiles) {
			pd.Dictionary().LocationTable().At(1).Lines().At(0).SetFunctionIndex(-7)
		}},
		{"function name string past the table", func(pd pprofile.Profiles) {
			pd.Dictionary().FunctionTable().At(1).SetNameStrindex(1 << 26)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(data)
			require.NoError(t, err)
			tt.corrupt(pd)
			b, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(pd)
			require.NoError(t, err)
			path := tempFile(t, "corrupt.pb", b)
			code, stdout, stderr := runCLI("analyze", "--format", "json", path)
			assert.Equal(t, exitInput, code, "stdout: %s", stdout)
			assert.True(t, strings.HasPrefix(stderr, "perfadvisor: "+path+": "), stderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
		})
	}
}
