//go:build !race

package main

import (
	"path/filepath"
	"testing"
)

// extraKeepInputs adds a profile of many samples over the fixtures' stacks
// (its writer lives with the large-profile test, which -race leaves out).
func extraKeepInputs(t *testing.T) [][]string {
	large := filepath.Join(t.TempDir(), "large.pb.gz")
	writeLargeProfile(t, large, 20_000)
	return [][]string{{large}}
}
