package ingest

import (
	"bytes"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../../../testdata/fixtures/" + name)
	require.NoError(t, err)
	return b
}

// sampleTypeNames lists the sample type names of every profile in pd, as
// the receiver reads them after appending a pprof.
func sampleTypeNames(pd pprofile.Profiles) []string {
	strs := pd.Dictionary().StringTable()
	var out []string
	for _, rp := range pd.ResourceProfiles().All() {
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				out = append(out, strs.At(int(p.SampleType().TypeStrindex())))
			}
		}
	}
	return out
}

func TestDecode(t *testing.T) {
	block := fixture(t, "profiler-a/block.pb.gz")
	sdk, sdkType := sdkBody(t, block, `{"contentions":{"display-name":"block_count","units":"lock_samples"},"delay":{"display-name":"block_duration","units":"lock_nanoseconds"}}`)
	noProfile, noProfileType := sdkBody(t, nil, "")
	badConfig, badConfigType := sdkBody(t, block, `{not json`)
	query := func(kv ...string) url.Values {
		q := url.Values{"name": {"checkout{env=prod}"}, "from": {"1700000000000000000"}, "until": {"1700000010000000000"}}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	tests := []struct {
		name        string
		query       url.Values
		contentType string
		body        []byte
		ok          bool
		wantErr     Kind
		wantName    string // ProfileName of the decoded profile
	}{
		{name: "sdk multipart with sample_type_config", query: query(), contentType: sdkType, body: sdk, ok: true, wantName: "block"},
		{name: "plain pprof body", query: query("name", "checkout.mutex_count"), contentType: "binary/octet-stream+pprof", body: block, ok: true, wantName: "mutex"},
		{name: "no content type is a pprof body", query: query(), contentType: "", body: block, ok: true},
		{name: "format pprof is accepted", query: query("format", "pprof"), contentType: "application/octet-stream", body: block, ok: true},
		{name: "trie is not supported", query: query("format", "trie"), contentType: "application/octet-stream", body: block, wantErr: KindUnsupported},
		{name: "json content type", query: query(), contentType: "application/json", body: []byte(`{}`), wantErr: KindUnsupported},
		{name: "broken content type", query: query(), contentType: "multipart/form-data; boundary=", body: sdk, wantErr: KindUnsupported},
		{name: "multipart without profile field", query: query(), contentType: noProfileType, body: noProfile, wantErr: KindBadRequest},
		{name: "bad sample_type_config", query: query(), contentType: badConfigType, body: badConfig, wantErr: KindBadRequest},
		{name: "truncated multipart", query: query(), contentType: sdkType, body: sdk[:len(sdk)/2], wantErr: KindBadRequest},
		{name: "empty body", query: query(), contentType: "application/octet-stream", wantErr: KindBadRequest},
		{name: "missing name", query: query("name", ""), contentType: sdkType, body: sdk, wantErr: KindBadRequest},
		{name: "bad from", query: query("from", "yesterday"), contentType: sdkType, body: sdk, wantErr: KindBadRequest},
		{name: "until before from", query: query("until", "1600000000"), contentType: sdkType, body: sdk, wantErr: KindBadRequest},
		{name: "bad sampleRate", query: query("sampleRate", "fast"), contentType: sdkType, body: sdk, wantErr: KindBadRequest},
		{name: "body over the cap", query: query(), contentType: "application/octet-stream", body: bytes.Repeat([]byte{1}, 2<<20), wantErr: KindTooLarge},
		{name: "label flood", query: query("name", "app{"+strings.Repeat("a=1,", 100)+"}"), contentType: sdkType, body: sdk, wantErr: KindLabels},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Decode(tt.query, tt.contentType, bytes.NewReader(tt.body), testLimits)
			if !tt.ok {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, KindOf(err), "kind of %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "checkout", req.Name.App)
			assert.Equal(t, block, req.Profile)
			assert.Equal(t, int64(1700000000000000000), req.From.UnixNano())
			pd, err := pprofconv.FromPprofBytes(req.Profile, 1<<20, nil)
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, ProfileName(sampleTypeNames(pd), req))
		})
	}
}
