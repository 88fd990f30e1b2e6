package ingest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testLimits = Limits{MaxLabels: 4, MaxLabelLength: 32, MaxBodyBytes: 1 << 20}

func TestParseName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Name
		wantErr Kind
	}{
		{name: "app only", in: "checkout", want: Name{App: "checkout", Labels: map[string]string{}}},
		{name: "sdk v1.5 form", in: "checkout{env=prod,otel.scope.name=com.grafana.pyroscope/go}",
			want: Name{App: "checkout", Labels: map[string]string{"env": "prod", "otel.scope.name": "com.grafana.pyroscope/go"}}},
		{name: "legacy cpu suffix is stripped", in: "checkout.cpu{env=prod}",
			want: Name{App: "checkout", Kind: "process_cpu", Labels: map[string]string{"env": "prod"}}},
		{name: "legacy block suffix", in: "checkout.block_duration",
			want: Name{App: "checkout", Kind: "block", Labels: map[string]string{}}},
		{name: "dotted app name is kept", in: "backend.purchases", want: Name{App: "backend.purchases", Labels: map[string]string{}}},
		{name: "empty braces", in: "app{}", want: Name{App: "app", Labels: map[string]string{}}},
		{name: "spaces are trimmed", in: " app { a = 1 , b = 2 } ", want: Name{App: "app", Labels: map[string]string{"a": "1", "b": "2"}}},
		{name: "missing name", in: "", wantErr: KindBadRequest},
		{name: "labels without app", in: "{a=1}", wantErr: KindBadRequest},
		{name: "unclosed brace", in: "app{a=1", wantErr: KindBadRequest},
		{name: "nested brace", in: "app{a={}}", wantErr: KindBadRequest},
		{name: "pair without equals", in: "app{a}", wantErr: KindBadRequest},
		{name: "bad label name", in: "app{a-b=1}", wantErr: KindBadRequest},
		{name: "duplicate label", in: "app{a=1,a=2}", wantErr: KindBadRequest},
		{name: "label flood", in: "app{" + strings.Repeat("a=1,", 10000) + "b=2}", wantErr: KindLabels},
		{name: "long value", in: "app{a=" + strings.Repeat("x", 33) + "}", wantErr: KindLabels},
		{name: "invalid utf-8", in: "app{a=\xff}", wantErr: KindBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseName(tt.in, testLimits)
			if tt.want.App == "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, KindOf(err), "kind of %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantUnix int64 // nanoseconds; -1 for an error
	}{
		{name: "empty is unknown", in: "", wantUnix: 0},
		{name: "nanoseconds (pyroscope-go v1.5)", in: "1700000000123456789", wantUnix: 1700000000123456789},
		{name: "seconds (older agents)", in: "1700000000", wantUnix: 1700000000_000000000},
		{name: "milliseconds", in: "1700000000123", wantUnix: 1700000000_123000000},
		{name: "microseconds", in: "1700000000123456", wantUnix: 1700000000_123456000},
		{name: "negative", in: "-5", wantUnix: -1},
		{name: "not a number", in: "now", wantUnix: -1},
		{name: "overflow", in: "99999999999999999999999", wantUnix: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if tt.wantUnix < 0 {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tt.wantUnix == 0 {
				assert.True(t, got.IsZero())
				return
			}
			assert.Equal(t, tt.wantUnix, got.UnixNano())
		})
	}
}
