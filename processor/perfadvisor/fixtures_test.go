package perfadvisor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// Recorded profiles with measured ground truth (testdata/fixtures/*/expect.json)
// raise the same finding through the processor as through the CLI: the
// window closes on wall-clock idleness and the raised event carries the share.
func TestFixturesRaiseThroughProcessor(t *testing.T) {
	tests := []struct {
		name    string
		load    func(t *testing.T) pprofile.Profiles
		service string
		rule    string
		share   float64 // expect.json must[].cpu_ratio
		tol     float64 // expect.json abs_tol
	}{
		{"Go pprof regex-a", func(t *testing.T) pprofile.Profiles {
			return readPprof(t, fixture("regex-a", "cpu.pb.gz"), "checkout")
		}, "checkout", "regex_compile_hot_path", 0.358, 0.072},
		{"Go pprof tls-a", func(t *testing.T) pprofile.Profiles {
			return readPprof(t, fixture("tls-a", "cpu.pb.gz"), "order-payments")
		}, "order-payments", "tls_handshake_overhead", 0.377, 0.075},
		{"JVM OTLP jvm-kafka-poll-a-otlp", func(t *testing.T) pprofile.Profiles {
			return readOTLPProfiles(t, fixture("jvm-kafka-poll-a-otlp", "profiles.pb"))
		}, "fraud-detection", "kafka_poll_inefficiency", 0.084, 0.02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.For = 0
			cfg.MinSamples = 0 // the engine's default
			h := newHarness(t, cfg, nopSettings())
			require.NoError(t, h.profiles.ConsumeProfiles(context.Background(), tt.load(t)))
			h.clock.set(h.clock.now().Add(cfg.Window + cfg.AllowedLateness))
			h.sched.fire()

			var found bool
			for _, ld := range h.lSink.AllLogs() {
				for _, rl := range ld.ResourceLogs().All() {
					svc, _ := rl.Resource().Attributes().Get(attrServiceName)
					for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
						rule, _ := lr.Attributes().Get(attrRule)
						if svc.Str() != tt.service || rule.Str() != tt.rule {
							continue
						}
						found = true
						assert.Equal(t, eventRaised, lr.EventName())
						ratio, ok := lr.Attributes().Get(attrCPURatio)
						require.True(t, ok)
						assert.InDelta(t, tt.share, ratio.Double(), tt.tol)
					}
				}
			}
			require.True(t, found, "no %s event for %s among %v", tt.rule, tt.service, eventNames(h.lSink.AllLogs()))
			v, ok := gaugeValue(h.mSink.AllMetrics()[0], metricFindingCPURatio, tt.rule)
			require.True(t, ok)
			assert.InDelta(t, tt.share, v, tt.tol)
		})
	}
}
