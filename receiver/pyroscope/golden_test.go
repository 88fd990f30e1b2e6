package pyroscope

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"path/filepath"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/pprof/profile"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pprofiletest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/receiver"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// smallPprof is a two-sample Go-style profile; time and duration are left to the caller.
func smallPprof(t *testing.T, types [2]*profile.ValueType, period *profile.ValueType, timeNanos, durationNanos int64) []byte {
	t.Helper()
	fnMain := &profile.Function{ID: 1, Name: "main.main", Filename: "/app/main.go"}
	fnRe := &profile.Function{ID: 2, Name: "regexp.Compile", Filename: "/usr/local/go/src/regexp/regexp.go"}
	locMain := &profile.Location{ID: 1, Address: 0x1000, Line: []profile.Line{{Function: fnMain, Line: 12}}}
	locRe := &profile.Location{ID: 2, Address: 0x2000, Line: []profile.Line{{Function: fnRe, Line: 134}}}
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{types[0], types[1]},
		PeriodType:    period,
		Period:        10_000_000,
		TimeNanos:     timeNanos,
		DurationNanos: durationNanos,
		Function:      []*profile.Function{fnMain, fnRe},
		Location:      []*profile.Location{locMain, locRe},
		Sample: []*profile.Sample{
			{Location: []*profile.Location{locRe, locMain}, Value: []int64{3, 30_000_000}},
			{Location: []*profile.Location{locMain}, Value: []int64{1, 10_000_000}},
		},
	}
	var buf bytes.Buffer
	require.NoError(t, p.Write(&buf))
	return buf.Bytes()
}

// TestGolden pins what each endpoint makes of a known profile: resource
// attributes, pyroscope.profile.name, period, time and duration.
func TestGolden(t *testing.T) {
	cpuTypes := [2]*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}
	blockTypes := [2]*profile.ValueType{{Type: "contentions", Unit: "count"}, {Type: "delay", Unit: "nanoseconds"}}

	tests := []struct {
		name string
		file string
		send func(t *testing.T, base string)
	}{
		{
			name: "ingest: legacy name, no time or duration in the pprof",
			file: "ingest_expected.yaml",
			send: func(t *testing.T, base string) {
				body, ctype := sdkMultipart(t, smallPprof(t, cpuTypes, &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}, 0, 0))
				// from/until in seconds, as older agents send them.
				resp, err := http.Post(ingestURL(base, "checkout.cpu{env=prod,region=eu}"), ctype, bytes.NewReader(body))
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				require.Equal(t, http.StatusOK, resp.StatusCode)
			},
		},
		{
			name: "push: block profile with its own time and duration",
			file: "push_expected.yaml",
			send: func(t *testing.T, base string) {
				raw := smallPprof(t, blockTypes, &profile.ValueType{Type: "contentions", Unit: "count"}, 1_700_000_000_000_000_000, 15_000_000_000)
				_, err := pushv1connect.NewPusherServiceClient(http.DefaultClient, base).Push(context.Background(),
					connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{
						series(raw, "__name__", "block", "service_name", "checkout", "namespace", "shop", "__delta__", "false")}}))
				require.NoError(t, err)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := new(consumertest.ProfilesSink)
			_, base := startReceiver(t, sink, receiver.Settings{}, nil)
			tt.send(t, base)
			require.Len(t, sink.AllProfiles(), 1)
			got := sink.AllProfiles()[0]
			path := filepath.Join("testdata", tt.file)
			if *updateGolden {
				kept := pprofile.NewProfiles()
				got.CopyTo(kept) // the marshaler interns attributes into what it writes
				require.NoError(t, golden.WriteProfilesToFile(path, kept))
			}
			want, err := golden.ReadProfiles(path)
			require.NoError(t, err)
			require.NoError(t, pprofiletest.CompareProfiles(want, got))
		})
	}
}
