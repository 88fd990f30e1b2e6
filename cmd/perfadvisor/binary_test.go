package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinary runs the built command as a user would: real exit status, one
// stderr line, output on stdout.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "perfadvisor")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"json report", []string{"analyze", "--format", "json", "--service", "checkout", fx("regex-a", "cpu.pb.gz")}, 0, `"findings": [`, ""},
		{"unreadable input", []string{"analyze", fx("README.md")}, 1, "", "perfadvisor: " + fx("README.md") + ": not a pprof"},
		{"bad usage", []string{"analyze", "--bogus"}, 2, "", "perfadvisor: unknown flag --bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantCode, code, stderr.String())
			assert.Contains(t, stdout.String(), tt.wantStdout)
			if tt.wantStderr == "" {
				assert.Empty(t, stderr.String())
			} else {
				assert.True(t, strings.HasPrefix(stderr.String(), tt.wantStderr), stderr.String())
				assert.Equal(t, 1, strings.Count(stderr.String(), "\n"))
			}
		})
	}
}
