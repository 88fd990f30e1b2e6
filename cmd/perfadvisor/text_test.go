package main

import "testing"

func TestSafeEscapesControlCharacters(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain frame", "crypto/tls.(*Conn).clientHandshake", "crypto/tls.(*Conn).clientHandshake"},
		{"terminal escape", "main.f\x1b[2J\x1b]0;pwned\x07", `main.f\x1b[2J\x1b]0;pwned\a`},
		{"carriage return", "a\rb", `a\rb`},
		{"advice newline kept", "line one\nline two", "line one\nline two"},
		{"invalid UTF-8", "ab\xffc", `ab\xffc`},
		{"unicode kept", "café → ok", "café → ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safe(tt.in); got != tt.want {
				t.Fatalf("safe(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
