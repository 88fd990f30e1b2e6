//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPyroscopeJFRAndFoldedEndToEnd: a pyroscope-java upload (JFR recording
// and label contexts, multipart, format=jfr) and folded stacks
// (format=folded) reach perfadvisor through the collector's Pyroscope
// receiver and are analysed: the JFR service's profiled CPU and the folded
// service's regex finding appear on the prometheus exporter.
func TestPyroscopeJFRAndFoldedEndToEnd(t *testing.T) {
	pyroPort, otlpPort, promPort, telPort := FreePort(t), FreePort(t), FreePort(t), FreePort(t)
	sink := newOTLPSink(t)
	StartCollector(t, fmt.Sprintf(pyroscopeConfig, pyroPort, otlpPort, promPort, sink.URL(), telPort))
	ingest := fmt.Sprintf("http://127.0.0.1:%d/ingest", pyroPort)

	rec, err := os.ReadFile(RepoPath(t, "receiver", "pyroscope", "testdata", "jfr", "dump1.jfr.gz"))
	require.NoError(t, err)
	labels, err := os.ReadFile(RepoPath(t, "receiver", "pyroscope", "testdata", "jfr", "dump1.labels.pb.gz"))
	require.NoError(t, err)
	body, contentType := javaUpload(t, rec, labels)

	// 2 of every 6 samples compile a regexp on the request path.
	var folded strings.Builder
	for range 40 {
		folded.WriteString("main.main;main.handle;regexp.MustCompile;regexp.compile 2\n")
		folded.WriteString("main.main;main.handle;main.render 4\n")
	}

	// One upload per minute-aligned window, as the agents send them; the
	// third closes the first two.
	const jfrSvc, foldedSvc = "jfr-svc", "folded-svc"
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	for k := range 3 {
		from := base.Add(time.Duration(k)*time.Minute + 5*time.Second)
		q := url.Values{"name": {jfrSvc + "{env=e2e}"}, "units": {"samples"}, "aggregationType": {"sum"},
			"from": {strconv.FormatInt(from.Unix(), 10)}, "until": {strconv.FormatInt(from.Add(10*time.Second).Unix(), 10)},
			"spyName": {"javaspy"}, "sampleRate": {"100"}, "format": {"jfr"}}
		status, msg := httpPost(t, ingest+"?"+q.Encode(), contentType, body)
		require.Equal(t, http.StatusOK, status, "jfr upload %d: %s", k, msg)

		q = url.Values{"name": {foldedSvc + ".cpu{env=e2e}"}, "sampleRate": {"100"}, "spyName": {"rbspy"},
			"from": {strconv.FormatInt(from.Unix(), 10)}, "until": {strconv.FormatInt(from.Add(10*time.Second).Unix(), 10)},
			"format": {"folded"}}
		status, msg = httpPost(t, ingest+"?"+q.Encode(), "text/plain", []byte(folded.String()))
		require.Equal(t, http.StatusOK, status, "folded upload %d: %s", k, msg)
	}
	// A recording cut short is refused with a one-line reason and counted.
	status, msg := httpPost(t, ingest+"?name=jfr-svc&format=jfr", "application/octet-stream", []byte("FLR\x00\x00\x02\x00\x01short"))
	assert.Equal(t, http.StatusBadRequest, status, msg)
	assert.NotContains(t, strings.TrimSpace(msg), "\n")

	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	t.Run("the JFR CPU profile is analysed as CPU", func(t *testing.T) {
		var seconds float64
		Eventually(t, 90*time.Second, func() (bool, string) {
			for _, s := range ScrapeProm(t, promURL) {
				if s.Name == "perfadvisor_service_profiled_cpu_time_seconds_total" && s.Labels["job"] == jfrSvc && s.Value > 0 {
					seconds = s.Value
					return true, ""
				}
			}
			return false, "no perfadvisor_service_profiled_cpu_time_seconds_total{job=jfr-svc} > 0 yet"
		})
		// Each upload carries the same recording: the profiled CPU is a
		// whole number of uploads' CPU weight (the windows closed so far).
		var perUpload int64
		Eventually(t, 30*time.Second, func() (bool, string) {
			for _, pd := range sink.profiles() {
				if w, ok := weightOf(pd, jfrSvc, "process_cpu", "cpu"); ok && w > 0 {
					perUpload = w
					return true, ""
				}
			}
			return false, "no JFR CPU profile at the sink"
		})
		uploads := seconds * 1e9 / float64(perUpload)
		t.Logf("%s profiled CPU %.3f s = %.3f uploads of %.3f s", jfrSvc, seconds, uploads, float64(perUpload)/1e9)
		assert.InDelta(t, math.Round(uploads), uploads, 0.001)
		assert.GreaterOrEqual(t, math.Round(uploads), 2.0, "the first two windows are closed")
	})
	t.Run("the folded profile raises the regex finding", func(t *testing.T) {
		var got PromSample
		Eventually(t, 90*time.Second, func() (bool, string) {
			var ok bool
			got, ok = findSample(ScrapeProm(t, promURL), "perfadvisor_finding_cpu_ratio", foldedSvc, "regex_compile_hot_path")
			return ok, "no perfadvisor_finding_cpu_ratio{job=folded-svc,perfadvisor_rule=regex_compile_hot_path} yet"
		})
		assert.InDelta(t, 1.0/3, got.Value, 0.005)
	})
	t.Run("profiles pass through with their names", func(t *testing.T) {
		Eventually(t, 30*time.Second, func() (bool, string) {
			n, m := 0, 0
			for _, pd := range sink.profiles() {
				if w, ok := weightOf(pd, jfrSvc, "process_cpu", "cpu"); ok && w > 0 {
					n++
				}
				if w, ok := weightOf(pd, foldedSvc, "process_cpu", "cpu"); ok && w == 40*6*1e7 {
					m++
				}
			}
			return n == 3 && m == 3, fmt.Sprintf("%d of 3 JFR and %d of 3 folded uploads at the sink", n, m)
		})
	})
	t.Run("self-telemetry counts the uploads and the reject", func(t *testing.T) {
		telURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", telPort)
		Eventually(t, 30*time.Second, func() (bool, string) {
			var profiles, rejected float64
			for _, s := range ScrapeProm(t, telURL) {
				switch {
				case s.Name == "otelcol_receiver_pyroscope_profiles" && s.Labels["endpoint"] == "ingest":
					profiles = s.Value
				case s.Name == "otelcol_receiver_pyroscope_rejects" && s.Labels["endpoint"] == "ingest" && s.Labels["reason"] == "bad_profile":
					rejected = s.Value
				}
			}
			return profiles >= 6 && rejected == 1, fmt.Sprintf("ingest profiles %v (want >= 6), bad_profile rejects %v (want 1)", profiles, rejected)
		})
	})
}

// javaUpload is the multipart body pyroscope-java posts: `jfr` and `labels`.
func javaUpload(t *testing.T, rec, labels []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, part := range []struct {
		name string
		data []byte
	}{{"jfr", rec}, {"labels", labels}} {
		w, err := mw.CreateFormFile(part.name, part.name)
		require.NoError(t, err)
		_, err = w.Write(part.data)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

func httpPost(t *testing.T, u, contentType string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(u, contentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}
