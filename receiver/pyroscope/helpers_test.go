package pyroscope

import (
	"context"
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/xconsumer"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// startReceiver runs a receiver on a free 127.0.0.1 port and returns its base URL.
func startReceiver(t testing.TB, next xconsumer.Profiles, set receiver.Settings, mutate func(*Config)) (*pyroscopeReceiver, string) {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	if set.ID.Type().String() == "" {
		set = receivertest.NewNopSettings(metadata.Type)
	}
	r, err := newReceiver(cfg, set, next)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return r, "http://" + r.addr
}

// fixture reads a file of the repository's measured fixtures.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/fixtures/" + name)
	require.NoError(t, err)
	return b
}

// profSummary is what a test checks of one OTLP profile.
type profSummary struct {
	Resource   map[string]any
	Name       string // pyroscope.profile.name
	SampleType string
	PeriodType string
	Period     int64
	Samples    int
	Total      int64
	Time       int64
	Duration   int64
}

func summarize(t *testing.T, pd pprofile.Profiles) []profSummary {
	t.Helper()
	dict := pd.Dictionary()
	strs := dict.StringTable()
	str := func(i int32) string {
		require.True(t, i >= 0 && int(i) < strs.Len(), "string index %d out of range", i)
		return strs.At(int(i))
	}
	var out []profSummary
	for _, rp := range pd.ResourceProfiles().All() {
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				attrs, err := pprofile.FromAttributeIndices(dict.AttributeTable(), p, dict)
				require.NoError(t, err)
				s := profSummary{
					Resource:   rp.Resource().Attributes().AsRaw(),
					SampleType: str(p.SampleType().TypeStrindex()) + "/" + str(p.SampleType().UnitStrindex()),
					PeriodType: str(p.PeriodType().TypeStrindex()) + "/" + str(p.PeriodType().UnitStrindex()),
					Period:     p.Period(),
					Samples:    p.Samples().Len(),
					Time:       int64(p.Time()),
					Duration:   int64(p.DurationNano()),
				}
				if v, ok := attrs.Get(pprofconv.ProfileNameAttr); ok {
					s.Name = v.Str()
				}
				for _, smp := range p.Samples().All() {
					for _, v := range smp.Values().All() {
						s.Total += v
					}
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// expectFromPprof is the summary the receiver must produce for raw under the given resource and name.
func expectFromPprof(t *testing.T, raw []byte, resource map[string]any, name string) []profSummary {
	t.Helper()
	p, err := pprofconv.Parse(raw, 64<<20)
	require.NoError(t, err)
	var out []profSummary
	for i, st := range p.SampleType {
		s := profSummary{Resource: resource, Name: name, SampleType: st.Type + "/" + st.Unit,
			Period: p.Period, Time: p.TimeNanos, Duration: p.DurationNanos, PeriodType: "/"}
		if p.PeriodType != nil {
			s.PeriodType = p.PeriodType.Type + "/" + p.PeriodType.Unit
		}
		for _, smp := range p.Sample {
			if smp.Value[i] != 0 {
				s.Samples++
				s.Total += smp.Value[i]
			}
		}
		out = append(out, s)
	}
	return out
}

func sortSummaries(s []profSummary) {
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Name != s[j].Name {
			return s[i].Name < s[j].Name
		}
		return s[i].SampleType < s[j].SampleType
	})
}

// plain returns the uncompressed pprof of a gzipped fixture.
func plain(t testing.TB, gz []byte) []byte {
	t.Helper()
	b, err := pprofconv.Decompress(gz, 64<<20)
	require.NoError(t, err)
	return b
}
