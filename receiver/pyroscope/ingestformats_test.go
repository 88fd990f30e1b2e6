package pyroscope

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// jfrFile reads a test recording as stored (gzipped, as pyroscope-java
// sends it by default).
func jfrFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/jfr/" + name)
	require.NoError(t, err)
	return b
}

// javaMultipart is pyroscope-java's upload: a `jfr` part and an optional
// `labels` part, both files.
func javaMultipart(t testing.TB, rec, labels []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("jfr", "jfr")
	require.NoError(t, err)
	_, err = w.Write(rec)
	require.NoError(t, err)
	if labels != nil {
		w, err = mw.CreateFormFile("labels", "labels")
		require.NoError(t, err)
		_, err = w.Write(labels)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

// javaURL is the /ingest URL pyroscope-java builds (seconds for from/until).
func javaURL(base string, extra ...string) string {
	q := url.Values{"name": {"orders{env=prod}"}, "units": {"samples"}, "aggregationType": {"sum"},
		"from": {"1700000000"}, "until": {"1700000010"}, "spyName": {"javaspy"}, "sampleRate": {"100"}, "format": {"jfr"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return base + ingestPath + "?" + q.Encode()
}

func post(t *testing.T, u, contentType string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(u, contentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// judged runs the engine over pds: service → CPU sample count and runtime,
// and the active findings as rule@service.
func judged(t *testing.T, pds []pprofile.Profiles) (map[string]*attribution.ServiceStats, []string) {
	t.Helper()
	cat, err := catalog.Default()
	require.NoError(t, err)
	a, err := attribution.New(cat, attribution.Options{})
	require.NoError(t, err)
	w := attribution.NewWindow()
	for _, pd := range pds {
		require.NoError(t, a.Accumulate(pd, w))
	}
	out := map[string]*attribution.ServiceStats{}
	var active []string
	for _, ss := range w.Services {
		out[ss.Service] = ss
		for _, sig := range a.Evaluate(ss) {
			if sig.Active {
				active = append(active, sig.Rule+"@"+sig.Service)
			}
		}
	}
	return out, active
}

func TestIngestJFR(t *testing.T) {
	mp, mpType := javaMultipart(t, jfrFile(t, "dump1.jfr.gz"), jfrFile(t, "dump1.labels.pb.gz"))
	tests := []struct {
		name        string
		url         string
		contentType string
		body        []byte
		want        []string // name sample-type period-type period, one OTLP profile per pprof sample type
	}{
		{name: "pyroscope-java multipart, itimer, with labels", url: javaURL("%s"), contentType: mpType, body: mp,
			want: []string{"process_cpu cpu/nanoseconds cpu/nanoseconds 10000000"}},
		{name: "raw gzipped recording, cpu + alloc + lock", url: javaURL("%s", "sampleRate", "", "units", ""), contentType: "application/octet-stream",
			body: jfrFile(t, "example.jfr.gz"),
			want: []string{
				"memory alloc_in_new_tlab_bytes/bytes space/bytes 0",
				"memory alloc_in_new_tlab_objects/count space/bytes 0",
				"memory alloc_outside_tlab_bytes/bytes space/bytes 0",
				"memory alloc_outside_tlab_objects/count space/bytes 0",
				"mutex contentions/count mutex/count 0",
				"mutex delay/nanoseconds mutex/count 0",
				"process_cpu cpu/nanoseconds cpu/nanoseconds 10000000",
			}},
		{name: "raw recording, wall", url: javaURL("%s", "sampleRate", "50"), contentType: "application/octet-stream",
			body: plain(t, jfrFile(t, "wall_tick_sample.jfr.gz")),
			want: []string{"wall wall/nanoseconds wall/nanoseconds 20000000"}},
		{name: "raw recording, thread park and allocation samples", url: javaURL("%s"), contentType: "application/octet-stream",
			body: jfrFile(t, "object-allocation-sample.jfr.gz"),
			want: []string{
				"block contentions/count block/count 0",
				"block delay/nanoseconds block/count 0",
				"memory alloc_sample_bytes/bytes space/bytes 0",
				"memory alloc_sample_objects/count space/bytes 0",
				"process_cpu cpu/nanoseconds cpu/nanoseconds 10000000",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.ProfilesSink)
			_, base := startReceiver(t, sink, receiver.Settings{}, nil)
			status, msg := post(t, strings.Replace(tt.url, "%s", base, 1), tt.contentType, tt.body)
			require.Equal(t, http.StatusOK, status, msg)
			require.Len(t, sink.AllProfiles(), 1, "one request is one OTLP message")
			sums := summarize(t, sink.AllProfiles()[0])
			sortSummaries(sums)
			var got []string
			for _, s := range sums {
				got = append(got, strings.Join([]string{s.Name, s.SampleType, s.PeriodType, itoa(s.Period)}, " "))
				assert.Equal(t, "orders", s.Resource["service.name"])
				assert.Equal(t, "prod", s.Resource["env"])
				assert.Equal(t, int64(1700000000e9), s.Time)
				assert.Equal(t, int64(10e9), s.Duration)
				assert.Positive(t, s.Samples)
			}
			assert.Equal(t, tt.want, got)

			services, _ := judged(t, sink.AllProfiles())
			if ss := services["orders"]; strings.Contains(tt.want[len(tt.want)-1], "process_cpu") {
				require.NotNil(t, ss)
				assert.Positive(t, ss.CPUSamples, "the engine reads the JFR CPU profile as CPU")
				assert.Equal(t, "jvm", ss.Runtime)
			}
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestIngestJFRLabels(t *testing.T) {
	sink := new(consumertest.ProfilesSink)
	_, base := startReceiver(t, sink, receiver.Settings{}, nil)
	mp, mpType := javaMultipart(t, jfrFile(t, "dump1.jfr.gz"), jfrFile(t, "dump1.labels.pb.gz"))
	status, msg := post(t, javaURL(base), mpType, mp)
	require.Equal(t, http.StatusOK, status, msg)
	pd := sink.AllProfiles()[0]
	assert.Equal(t, "itimer", pd.ResourceProfiles().At(0).Resource().Attributes().AsRaw()[labelJFREvent])
	labelled := 0
	for _, rp := range pd.ResourceProfiles().All() {
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				for _, s := range p.Samples().All() {
					if s.AttributeIndices().Len() > 0 {
						labelled++
					}
				}
			}
		}
	}
	assert.Positive(t, labelled, "the label contexts become sample attributes")
}

func TestIngestFolded(t *testing.T) {
	var folded strings.Builder
	for range 30 {
		folded.WriteString("main.main;main.handle;regexp.MustCompile;regexp.compile 2\n")
		folded.WriteString("main.main;main.handle;main.render 4\n")
	}
	var lines strings.Builder
	for range 100 {
		lines.WriteString("main.main;main.handle;regexp.MustCompile;regexp.compile\nmain.main;main.render\n")
	}
	tests := []struct {
		name    string
		query   string
		body    string
		want    string // name sample-type period total
		finding string
	}{
		{name: "folded cpu by app-name suffix", query: "format=folded&name=shop.cpu%7Benv%3Dprod%7D&sampleRate=100", body: folded.String(),
			want: "process_cpu cpu/nanoseconds 10000000 1800000000", finding: "regex_compile_hot_path@shop"},
		{name: "folded samples with a sampleRate are CPU", query: "format=folded&name=shop%7Benv%3Dprod%7D&units=samples&sampleRate=50", body: folded.String(),
			want: "process_cpu cpu/nanoseconds 20000000 3600000000", finding: "regex_compile_hot_path@shop"},
		{name: "groups is folded", query: "format=groups&name=shop%7Benv%3Dprod%7D&sampleRate=100", body: folded.String(),
			want: "process_cpu cpu/nanoseconds 10000000 1800000000", finding: "regex_compile_hot_path@shop"},
		{name: "lines count one sample each", query: "format=lines&name=shop%7Benv%3Dprod%7D&spyName=rbspy&sampleRate=100", body: lines.String(),
			want: "process_cpu cpu/nanoseconds 10000000 2000000000", finding: "regex_compile_hot_path@shop"},
		{name: "objects are not CPU", query: "format=folded&name=shop%7Benv%3Dprod%7D&units=objects&aggregationType=sum", body: folded.String(),
			want: " objects/count 0 180"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.ProfilesSink)
			_, base := startReceiver(t, sink, receiver.Settings{}, nil)
			status, msg := post(t, base+ingestPath+"?"+tt.query+"&from=1700000000&until=1700000010", "text/plain", []byte(tt.body))
			require.Equal(t, http.StatusOK, status, msg)
			sums := summarize(t, sink.AllProfiles()[0])
			require.Len(t, sums, 1)
			s := sums[0]
			assert.Equal(t, tt.want, strings.Join([]string{s.Name, s.SampleType, itoa(s.Period), itoa(s.Total)}, " "))
			assert.Equal(t, "shop", s.Resource["service.name"])
			_, active := judged(t, sink.AllProfiles())
			if tt.finding != "" {
				assert.Contains(t, active, tt.finding)
			}
		})
	}
}

// hugeChunk is a recording whose chunk header claims 2^62 bytes.
func hugeChunk(t *testing.T) []byte {
	b := plain(t, jfrFile(t, "wall_tick_sample.jfr.gz"))
	binary.BigEndian.PutUint64(b[8:], 1<<62)
	return b
}

func TestIngestJFRBadInput(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.ProfilesSink)
	_, base := startReceiver(t, sink, set, func(c *Config) { c.MaxDecompressedSize = 8 << 20 })

	bomb := zeroBomb(t, 64<<20)
	bombMP, bombMPType := javaMultipart(t, bomb, nil)
	labelBombMP, labelBombMPType := javaMultipart(t, jfrFile(t, "dump1.jfr.gz"), bomb)
	badLabelsMP, badLabelsMPType := javaMultipart(t, jfrFile(t, "dump1.jfr.gz"), []byte("\xff\xff\xff"))
	noJFR, noJFRType := sdkMultipart(t, jfrFile(t, "dump1.jfr.gz"))
	rec := plain(t, jfrFile(t, "wall_tick_sample.jfr.gz"))
	tests := []struct {
		name        string
		url         string
		contentType string
		body        []byte
		status      int
		reason      string
	}{
		{"gzip bomb as the jfr part", javaURL(base), bombMPType, bombMP, http.StatusRequestEntityTooLarge, "max_decompressed_size"},
		{"gzip bomb as the labels part", javaURL(base), labelBombMPType, labelBombMP, http.StatusRequestEntityTooLarge, "max_decompressed_size"},
		{"gzip bomb as a raw body", javaURL(base), "application/octet-stream", bomb, http.StatusRequestEntityTooLarge, "max_decompressed_size"},
		{"huge chunk header", javaURL(base), "application/octet-stream", hugeChunk(t), http.StatusBadRequest, "chunk size"},
		{"truncated recording", javaURL(base), "application/octet-stream", rec[:len(rec)/3], http.StatusBadRequest, "jfr"},
		{"not a recording", javaURL(base), "application/octet-stream", []byte(strings.Repeat("garbage ", 20)), http.StatusBadRequest, "not a JFR chunk"},
		{"bad labels", javaURL(base), badLabelsMPType, badLabelsMP, http.StatusBadRequest, "labels"},
		{"multipart without a jfr part", javaURL(base), noJFRType, noJFR, http.StatusBadRequest, "no profile"},
		{"folded with a bad count", base + ingestPath + "?format=folded&name=a", "text/plain", []byte("a;b x\n"), http.StatusBadRequest, "folded body"},
		{"folded with nothing", base + ingestPath + "?format=folded&name=a", "text/plain", []byte("\n"), http.StatusBadRequest, "no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, msg := post(t, tt.url, tt.contentType, tt.body)
			assert.Equal(t, tt.status, status, msg)
			assert.Contains(t, msg, tt.reason)
			assert.NotContains(t, msg, "\n", "one line")
		})
	}
	assert.Empty(t, sink.AllProfiles())
	rejects := counterByAttrs(t, tel, "otelcol_receiver_pyroscope_rejects")
	assert.Equal(t, int64(3), rejects["ingest/too_large"])
	assert.Equal(t, int64(len(tests)-3), rejects["ingest/bad_profile"]+rejects["ingest/bad_request"])
}
