package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
)

// otlpRecorder decodes what the feeder posts, as a collector's OTLP/HTTP receiver would.
type otlpRecorder struct {
	mu            sync.Mutex
	services      map[string]int // profile messages per service.name
	metricPoints  int
	lastEventTime int64
	status        int // HTTP status to answer with
}

func (r *otlpRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status != http.StatusOK {
		http.Error(w, "refused", r.status)
		return
	}
	switch req.URL.Path {
	case profilesPath:
		er := pprofileotlp.NewExportRequest()
		if err := er.UnmarshalProto(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rp := er.Profiles().ResourceProfiles().At(0)
		svc, _ := rp.Resource().Attributes().Get("service.name")
		r.services[svc.Str()]++
		for _, p := range rp.ScopeProfiles().At(0).Profiles().All() {
			end := int64(p.Time()) + int64(p.DurationNano())
			r.lastEventTime = max(r.lastEventTime, end)
		}
	case metricsPath:
		er := pmetricotlp.NewExportRequest()
		if err := er.UnmarshalProto(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.metricPoints += er.Metrics().DataPointCount()
	default:
		http.NotFound(w, req)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func TestFeed(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		wantOutput string
	}{
		{name: "a collector that accepts everything", status: http.StatusOK, wantOutput: ": ok\n"},
		{name: "a collector that refuses is reported, not fatal", status: http.StatusServiceUnavailable, wantOutput: "failed, first: POST /v1development/profiles: 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &otlpRecorder{services: map[string]int{}, status: tt.status}
			srv := httptest.NewServer(rec)
			defer srv.Close()

			c, err := loadProfileCase(fixturesRoot, "regex-a")
			require.NoError(t, err)
			md, err := loadMetricsCase(fixturesRoot, "fleet-outlier-a")
			require.NoError(t, err)
			start := time.Now().Add(-time.Hour)
			o := options{rounds: 3, interval: time.Millisecond, step: 30 * time.Second}
			var out bytes.Buffer
			require.NoError(t, feed(context.Background(), o, newReplay([]demoCase{c}, md, o.step, start), newSender(srv.URL), nil, &out))

			assert.Contains(t, out.String(), "round 3:")
			assert.Contains(t, out.String(), tt.wantOutput)
			if tt.status != http.StatusOK {
				return
			}
			assert.Equal(t, map[string]int{"checkout": 3}, rec.services, "one message per case and round")
			assert.Equal(t, 3*72, rec.metricPoints, "12 services x 3 CPU modes x 2 points per 30 s step, per round")
			assert.Equal(t, start.Add(3*o.step).UnixNano(), rec.lastEventTime, "event time advanced by one step per round")
		})
	}
}
