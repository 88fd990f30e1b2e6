package ingest

import (
	"bytes"
	"compress/gzip"
	"mime/multipart"
	"net/url"
	"os"
	"testing"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// FuzzDecode drives the whole /ingest decode path with hostile input: name
// parsing, content type, multipart, and the capped gunzip + pprof decode.
func FuzzDecode(f *testing.F) {
	blk, err := os.ReadFile("../../../../testdata/fixtures/profiler-a/block.pb.gz")
	if err != nil {
		f.Fatal(err)
	}
	body, ctype := sdkBody(f, blk, `{"contentions":{"display-name":"block_count","units":"lock_samples"}}`)
	f.Add("app{env=prod,service_name=svc}", ctype, "1700000000000000000", body)
	f.Add("app.cpu", "binary/octet-stream+pprof", "1700000000", blk)
	f.Add("a{", "multipart/form-data; boundary=x", "", []byte("--x\r\nContent-Disposition: form-data; name=\"profile\"\r\n\r\n\x1f\x8b\x08\x00\r\n--x--\r\n"))
	f.Add("a{k=v,,}", "application/octet-stream", "-1", []byte{0x1f, 0x8b})
	f.Add("", "text/plain", "x", []byte("garbage"))
	f.Add("a", "application/octet-stream", "", bomb(f, 1<<20))

	lim := Limits{MaxLabels: 8, MaxLabelLength: 64, MaxBodyBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, name, contentType, from string, payload []byte) {
		q := url.Values{"name": {name}, "from": {from}, "until": {from}}
		req, err := Decode(q, contentType, bytes.NewReader(payload), lim)
		if err != nil {
			if KindOf(err) < KindBadRequest || KindOf(err) > KindUnsupported {
				t.Fatalf("unknown kind for %v", err)
			}
			return
		}
		if len(req.Name.Labels) > lim.MaxLabels {
			t.Fatalf("%d labels passed a cap of %d", len(req.Name.Labels), lim.MaxLabels)
		}
		if int64(len(req.Profile)) > lim.MaxBodyBytes {
			t.Fatalf("profile of %d bytes passed a cap of %d", len(req.Profile), lim.MaxBodyBytes)
		}
		pd, err := pprofconv.FromPprofBytes(req.Profile, 4<<20, nil)
		if err != nil {
			return
		}
		_ = ProfileName(sampleTypeNames(pd), req)
	})
}

// sdkBody builds the multipart body pyroscope-go v1.5 sends.
func sdkBody(tb testing.TB, profile []byte, sampleTypeConfig string) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("profile", "profile.pprof")
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = fw.Write(profile)
	if sampleTypeConfig != "" {
		fw, err = w.CreateFormFile("sample_type_config", "sample_type_config.json")
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = fw.Write([]byte(sampleTypeConfig))
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// bomb is n zero bytes gzipped (about n/1000 bytes on the wire).
func bomb(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(make([]byte, n)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
