package advisor

import (
	"strings"
	"testing"
)

func TestSymbolizationConfig(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string // "" when valid
		wantSym bool   // the analyzer gets a symbolizer
	}{
		{"defaults: on", func(*Config) {}, "", true},
		{"off", func(c *Config) { c.Symbolization.Enabled = false }, "", false},
		{"off ignores its bounds", func(c *Config) { c.Symbolization = SymbolizationConfig{} }, "", false},
		{"a gateway's symbol directory", func(c *Config) { c.Symbolization.SearchPaths = []string{"/var/lib/symbols", "/usr/lib/debug"} }, "", true},
		{"relative search path", func(c *Config) { c.Symbolization.SearchPaths = []string{"symbols"} }, "must be an absolute directory", false},
		{"no files", func(c *Config) { c.Symbolization.MaxFiles = 0 }, "symbolization.max_files", false},
		{"tiny byte budget", func(c *Config) { c.Symbolization.MaxSymbolBytes = 1000 }, "symbolization.max_symbol_bytes", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.edit(c)
			err := c.Validate()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Validate() = %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			if got := c.analyzerOptions("").Symbolizer != nil; got != tc.wantSym {
				t.Errorf("symbolizer set = %v, want %v", got, tc.wantSym)
			}
		})
	}
}
