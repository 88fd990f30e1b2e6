package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// versionedFile writes one OTLP profiles file holding the regex-a capture
// as version v1 and the regex-neg capture as v2, the version carried by the
// resource attribute key, or by each profile's attributes when inProfile.
func versionedFile(t *testing.T, key string, inProfile bool) string {
	t.Helper()
	pd := pprofile.NewProfiles()
	b, err := pprofconv.NewBuilder(pd)
	require.NoError(t, err)
	for _, side := range []struct{ fixture, version string }{{"regex-a", "v1"}, {"regex-neg", "v2"}} {
		data, err := os.ReadFile(fx(side.fixture, "cpu.pb.gz"))
		require.NoError(t, err)
		res := map[string]string{"service.name": "checkout"}
		if !inProfile {
			res[key] = side.version
		}
		require.NoError(t, b.AppendBytes(data, 1<<30, res))
		if inProfile {
			rp := pd.ResourceProfiles().At(pd.ResourceProfiles().Len() - 1)
			for _, sp := range rp.ScopeProfiles().All() {
				for _, p := range sp.Profiles().All() {
					addProfileAttr(pd.Dictionary(), p, key, side.version)
				}
			}
		}
	}
	raw, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(pd)
	require.NoError(t, err)
	return tempFile(t, "profiles.pb", raw)
}

func addProfileAttr(dict pprofile.ProfilesDictionary, p pprofile.Profile, key, value string) {
	strs := dict.StringTable()
	strs.Append(key)
	kv := dict.AttributeTable().AppendEmpty()
	kv.SetKeyStrindex(int32(strs.Len() - 1))
	kv.Value().SetStr(value)
	p.AttributeIndices().Append(int32(dict.AttributeTable().Len() - 1))
}

func TestCompareByVersion(t *testing.T) {
	code, stdout, stderr := runCLI("compare", "--format", "json", "--service", "checkout",
		"--before", fx("regex-a", "cpu.pb.gz"), "--after", fx("regex-neg", "cpu.pb.gz"))
	require.Equal(t, exitOK, code, stderr)
	var want comparisonDoc
	require.NoError(t, json.Unmarshal([]byte(stdout), &want))

	tests := []struct {
		name      string
		key       string
		inProfile bool
	}{
		{"OTel resource attribute", "service.version", false},
		{"Pyroscope label", "version", false},
		{"underscore spelling", "service_version", false},
		{"git ref in the profile's attributes", "service_git_ref", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := versionedFile(t, tt.key, tt.inProfile)
			code, stdout, stderr := runCLI("compare", "--format", "json", "--before-version", "v1", "--after-version", "v2", file)
			require.Equal(t, exitOK, code, stderr)
			var got comparisonDoc
			require.NoError(t, json.Unmarshal([]byte(stdout), &got))
			assert.Equal(t, want, got, "splitting one file by version must equal comparing the two captures")
		})
	}
}

func TestCompareByVersionErrors(t *testing.T) {
	file := versionedFile(t, "service.version", false)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"missing version", []string{"--before-version", "v1", "--after-version", "v3", file}, exitInput,
			`no profiles of version "v3" in the input (versions seen: "v1" (2 profiles), "v2" (2 profiles))`},
		{"one flag only", []string{"--before-version", "v1", file}, exitUsage, "give both"},
		{"same version", []string{"--before-version", "v1", "--after-version", "v1", file}, exitUsage, "both \"v1\""},
		{"lists with versions", []string{"--before-version", "v1", "--after-version", "v2", "--before", file}, exitUsage, "without --before/--after"},
		{"no files", []string{"--before-version", "v1", "--after-version", "v2"}, exitUsage, "no input files"},
		{"pprof has no version", []string{"--before-version", "v1", "--after-version", "v2", fx("regex-a", "cpu.pb.gz")}, exitInput, "no version attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(append([]string{"compare"}, tt.args...)...)
			assert.Equal(t, tt.wantCode, code, stderr)
			assert.Contains(t, stderr, tt.wantErr)
		})
	}
}
