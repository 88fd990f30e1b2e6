package ingest

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// javaBody is a multipart upload as pyroscope-java sends it: a `jfr` part
// and, when there are label contexts, a `labels` part.
func javaBody(t *testing.T, parts map[string][]byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, name := range []string{"jfr", "labels", "profile"} {
		if b, ok := parts[name]; ok {
			w, err := mw.CreateFormFile(name, name)
			require.NoError(t, err)
			_, err = w.Write(b)
			require.NoError(t, err)
		}
	}
	require.NoError(t, mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

func TestDecodeFormats(t *testing.T) {
	rec, lab := []byte("FLR\x00recording"), []byte("labels")
	both, bothType := javaBody(t, map[string][]byte{"jfr": rec, "labels": lab})
	only, onlyType := javaBody(t, map[string][]byte{"jfr": rec})
	wrong, wrongType := javaBody(t, map[string][]byte{"profile": rec})
	q := func(kv ...string) url.Values {
		v := url.Values{"name": {"shop{env=prod}"}, "from": {"1700000000"}, "until": {"1700000010"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name        string
		query       url.Values
		contentType string
		body        []byte
		wantErr     bool
		format      string
		profile     []byte
		labels      []byte
	}{
		{name: "pyroscope-java multipart with labels", query: q("format", "jfr", "sampleRate", "100", "spyName", "javaspy"), contentType: bothType, body: both, format: FormatJFR, profile: rec, labels: lab},
		{name: "pyroscope-java multipart without labels", query: q("format", "jfr"), contentType: onlyType, body: only, format: FormatJFR, profile: rec},
		{name: "jfr multipart with a profile field only", query: q("format", "jfr"), contentType: wrongType, body: wrong, wantErr: true},
		{name: "raw jfr body", query: q("format", "jfr"), contentType: "application/octet-stream", body: rec, format: FormatJFR, profile: rec},
		{name: "raw jfr body of any content type", query: q("format", "jfr"), contentType: "application/json", body: rec, format: FormatJFR, profile: rec},
		{name: "folded", query: q("format", "folded", "units", "samples"), contentType: "text/plain", body: []byte("a;b 1\n"), format: FormatFolded, profile: []byte("a;b 1\n")},
		{name: "groups is folded", query: q("format", "groups"), contentType: "", body: []byte("a;b 1\n"), format: FormatFolded, profile: []byte("a;b 1\n")},
		{name: "lines", query: q("format", "lines"), contentType: "text/plain", body: []byte("a;b\n"), format: FormatLines, profile: []byte("a;b\n")},
		{name: "empty folded body", query: q("format", "folded"), contentType: "text/plain", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Decode(tt.query, tt.contentType, bytes.NewReader(tt.body), testLimits)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.format, req.Format)
			assert.Equal(t, tt.profile, req.Profile)
			assert.Equal(t, tt.labels, req.Labels)
		})
	}
	req, err := Decode(q("format", "folded", "units", "objects", "aggregationType", "average", "sampleRate", "99", "spyName", "rbspy"), "", bytes.NewReader([]byte("a 1")), testLimits)
	require.NoError(t, err)
	assert.Equal(t, []any{"objects", "average", int64(99), "rbspy"}, []any{req.Units, req.Aggregation, req.SampleRate, req.SpyName})
}
