package fleet

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

func signalOf(sigs []report.Signal, rule, service string) (report.Signal, bool) {
	for _, s := range sigs {
		if s.Rule == rule && s.Service == service {
			return s, true
		}
	}
	return report.Signal{}, false
}

func TestEvaluateAndUsageOnFixture(t *testing.T) {
	st := NewStore(Config{Window: 10 * time.Minute}, nil)
	st.Add(loadMetrics(t, filepath.Join(fixturesDir, "fleet-outlier-a", "metrics.json")))
	now := st.Latest()
	require.False(t, now.IsZero())

	sigs := st.Evaluate(now)
	sig, ok := signalOf(sigs, RuleOutlier, "checkout")
	require.True(t, ok)
	assert.True(t, sig.Active)
	assert.InDelta(t, 17.14, sig.Level, 17.14*0.25)
	assert.Equal(t, DefaultOutlierRatio, sig.Threshold)
	assert.Equal(t, RuleOutlier, sig.Finding.Rule)
	for _, s := range sigs {
		if s.Service != "checkout" {
			assert.Falsef(t, s.Active, "%s active for %s", s.Rule, s.Service)
		}
	}

	usage := st.Usage(now)
	require.Len(t, usage, 12)
	for _, u := range usage {
		assert.Greater(t, u.Cores, 0.0)
		if u.Service == "checkout" {
			assert.InDelta(t, 17.14, u.FleetMedianRatio, 17.14*0.25)
		} else {
			assert.Less(t, u.FleetMedianRatio, 2.0)
		}
	}

	// far past every window, the fleet is forgotten and nothing is judged
	assert.Empty(t, st.Evaluate(now.Add(24*time.Hour)))
	assert.Zero(t, st.Services())
}

// TestSpikeHysteresis: once raised, a spike finding stays raised while the
// bursts in the window drop to the keep level, and a fresh store does not
// raise on the same reduced reading.
func TestSpikeHysteresis(t *testing.T) {
	d := 3 * hour
	md := fleetOf(d, map[string]func(time.Duration) float64{
		"a": wobble(0.2, 0.05), "b": wobble(0.2, 0.05), "c": wobble(0.2, 0.05),
		"bursty": spiky(0.2, 5, 70, 90, 110)})
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	live := NewStore(Config{}, nil)
	live.Add(md)
	sig, _ := signalOf(live.Evaluate(at(120)), RuleSpikes, "bursty")
	require.True(t, sig.Active, "three bursts in the last hour")
	// at 135 min the first burst (70) left the 1 h window: two remain
	sig, _ = signalOf(live.Evaluate(at(135)), RuleSpikes, "bursty")
	assert.True(t, sig.Active, "kept raised at two bursts")

	fresh := NewStore(Config{}, nil)
	fresh.Add(md)
	sig, _ = signalOf(fresh.Evaluate(at(135)), RuleSpikes, "bursty")
	assert.False(t, sig.Active, "two bursts do not raise")
}

func histogram(name, unit string, d time.Duration, perSecond float64) metric {
	return metric{name: name, unit: unit, hist: true, samples: counter(d, s15, constant(perSecond))}
}

func gaugeOf(name string, d time.Duration, v float64) metric {
	return metric{name: name, typ: pmetric.MetricTypeGauge, samples: levels(d, s15, constant(v))}
}

func TestCrossSignals(t *testing.T) {
	d := 30 * time.Minute
	tests := []struct {
		name string
		rs   []resource
		want []want
	}{
		{
			name: "a new DB connection per request",
			rs: []resource{{proc("orders"), []metric{
				histogram("http.server.request.duration", "s", d, 50),
				histogram("db.client.connection.create_time", "s", d, 48),
			}}},
			want: []want{{RuleDBChurn, "orders", 0}},
		},
		{
			name: "a pool that reuses connections",
			rs: []resource{{proc("orders"), []metric{
				histogram("http.server.request.duration", "s", d, 50),
				histogram("db.client.connection.create_time", "s", d, 0.05),
			}}},
		},
		{
			name: "Kafka consumer polling an empty topic (Java client spelling)",
			rs: []resource{{proc("billing"), []metric{
				gaugeOf("kafka.consumer.fetch-rate", d, 180),
				gaugeOf("kafka.consumer.records-per-request-avg", d, 0.1),
			}}},
			want: []want{{RuleKafkaPoll, "billing", 0}},
		},
		{
			name: "Kafka consumer with full fetches (OTel spelling)",
			rs: []resource{{proc("billing"), []metric{
				gaugeOf("kafka.consumer.fetch_rate", d, 180),
				gaugeOf("kafka.consumer.records_per_request_avg", d, 250),
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := replay(batch(tt.rs...))
			for _, f := range got {
				assert.Nil(t, f.Value, "not the rule's own figure")
			}
			checkFindings(t, got, tt.want)
		})
	}
}

// The rules cite their evidence as catalog data (metric_evidence); a custom
// rule cites signals the same way.
func TestEvidence(t *testing.T) {
	d := 30 * time.Minute
	builtin, err := catalog.Default()
	require.NoError(t, err)
	custom := catalog.Rule{ID: "orm_n_plus_one", Threshold: 0.05,
		Recommendations: map[string]string{"default": "batch the queries"},
		Signatures:      []catalog.Signature{{Dialect: "go", Roots: []catalog.Pattern{{Name: `^gorm\.io/gorm\.\(\*DB\)\.Find$`}}}},
		MetricEvidence: []catalog.MetricEvidence{
			{Signal: "requests", Describe: "%.1f requests/s"},
			{Signal: "db_connection_waits|db_connection_creates", Per: "requests", Describe: "%.3f connection events per request", Series: "per request"},
			{Signal: "kafka_fetch_rate", Describe: "never cited (no such series): %.1f"},
		}}
	cat, err := builtin.With(nil, []catalog.Rule{custom})
	require.NoError(t, err)
	st := NewStore(Config{}, cat)
	st.Add(batch(
		resource{proc("api"), []metric{
			{name: "go_memstats_alloc_bytes_total", samples: counter(d, s15, constant(25e6))},
			{name: "dns.lookup.duration", unit: "s", hist: true, samples: counter(d, s15, constant(40))},
			histogram("http.server.request.duration", "s", d, 50),
			histogram("db.client.connection.create_time", "s", d, 5),
			gaugeOf("go_sql_open_connections", d, 4),
		}},
		resource{attrs{"job": "coredns"}, []metric{
			{name: "coredns_cache_hits_total", samples: counter(d, s15, constant(90))},
			{name: "coredns_cache_misses_total", samples: counter(d, s15, constant(10))},
		}},
		// a newer CoreDNS: misses derived from requests - hits
		resource{attrs{"job": "coredns-new"}, []metric{
			{name: "coredns_cache_hits_total", samples: counter(d, s15, constant(90))},
			{name: "coredns_cache_requests_total", samples: counter(d, s15, constant(100))},
		}},
	))
	tests := []struct {
		rule     string
		contains []string
	}{
		{RuleAllocGC, []string{"allocation rate 25.00 MB/s"}},
		{RuleDNS, []string{"40.0 DNS lookups per second", "CoreDNS cache hit ratio 0.900"}},
		{RuleDBChurn, []string{"5.00 connections created per second", "50.0 requests per second", "0.10 new connections per request", "4.0 pool connections"}},
		{RuleKafkaPoll, nil},
		{RuleOutlier, nil},
		{"orm_n_plus_one", []string{"50.0 requests/s", "0.100 connection events per request"}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			ev := st.Evidence("api", tt.rule)
			var text []string
			for _, e := range ev {
				assert.Equal(t, "series", e.Kind)
				assert.NotEmpty(t, e.Series)
				text = append(text, e.Description)
			}
			all := strings.Join(text, "\n")
			for _, c := range tt.contains {
				assert.Contains(t, all, c)
			}
			if tt.contains == nil {
				assert.Empty(t, ev)
			}
		})
	}
	assert.Empty(t, st.Evidence("nobody", RuleAllocGC))
}

// TestSkewedClock: one service a day ahead does not become "now" and make
// the live evaluation forget the fleet.
func TestSkewedClock(t *testing.T) {
	d := 30 * time.Minute
	rates := map[string]func(time.Duration) float64{"a": constant(0.1), "b": constant(0.1), "c": constant(0.1), "hot": constant(3)}
	st := NewStore(Config{}, nil)
	st.Add(fleetOf(d, rates))
	want := st.Latest()
	require.Equal(t, t0.Add(d), want)
	st.Add(batch(resource{proc("skewed"), []metric{cpuTime([]sample{{at: 24 * hour, v: 1}, {at: 24*hour + s15, v: 2}}, "user")}}))
	assert.Equal(t, want, st.Latest())
	sig, ok := signalOf(st.Evaluate(st.Latest()), RuleOutlier, "hot")
	assert.True(t, ok && sig.Active, "the fleet is still judged")
	assert.Equal(t, 5, st.Services())
	// a single service is its own clock
	solo := NewStore(Config{}, nil)
	solo.Add(batch(resource{proc("solo"), []metric{cpuTime(counter(d, s15, constant(1)), "user")}}))
	assert.Equal(t, t0.Add(d), solo.Latest())
}

// TestProfiledServicesStandAside: a service whose profiles are judged gets
// its profile rules from them, not a second metric-only reading.
func TestProfiledServicesStandAside(t *testing.T) {
	d := 30 * time.Minute
	md := batch(resource{proc("orders"), []metric{
		histogram("http.server.request.duration", "s", d, 50),
		histogram("db.client.connection.create_time", "s", d, 48),
	}})
	tests := []struct {
		name     string
		profiled time.Duration // offset of the service's last profile; <0: none
		want     bool
	}{
		{"no profiles: the metrics raise it", -1, true},
		{"recent profiles: they judge it", d, false},
		{"profiles long gone: the metrics raise it again", -5 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := NewStore(Config{}, nil)
			st.Add(md)
			if tt.profiled != -1 {
				st.NoteProfiled("orders", t0.Add(tt.profiled))
			}
			sig, ok := signalOf(st.Evaluate(st.Latest()), RuleDBChurn, "orders")
			assert.Equal(t, tt.want, ok && sig.Active)
		})
	}
}

func TestProfiledInputReplay(t *testing.T) {
	d := 30 * time.Minute
	st := NewStore(Config{}, nil)
	st.Add(batch(resource{proc("orders"), []metric{
		histogram("http.server.request.duration", "s", d, 50),
		histogram("db.client.connection.create_time", "s", d, 48),
	}}))
	_, raised := find(st.Replay(), RuleDBChurn, "orders")
	require.True(t, raised, "metrics alone raise it")
	st.NoteProfiled("orders", time.Unix(0, math.MaxInt64))
	_, raised = find(st.Replay(), RuleDBChurn, "orders")
	assert.False(t, raised, "the input's profiles judge it")
}
