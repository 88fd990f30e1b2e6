package perfadvisor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/processor/xprocessor"

	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// t0 is aligned to every window size the tests use.
var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// stacks a test profile draws from, root first (the builder reverses them).
var (
	regexStack = []string{"runtime.goexit", "net/http.(*conn).serve", "net/http.HandlerFunc.ServeHTTP", "main.handleSearch",
		"regexp.MustCompile", "regexp.Compile", "regexp.compile", "regexp/syntax.Parse"}
	workStack = []string{"runtime.goexit", "net/http.(*conn).serve", "net/http.HandlerFunc.ServeHTTP", "main.handleSearch",
		"main.score", "sort.Slice"}
)

// profileSpec describes one Go CPU profile of a service.
type profileSpec struct {
	service string
	at      time.Time // zero: no time set
	regex   int       // samples under regexp.MustCompile
	work    int       // other samples
}

// buildProfiles makes one OTLP Profiles with a cpu/nanoseconds profile per
// spec, 10 ms per sample (100 Hz), sharing one dictionary.
func buildProfiles(specs ...profileSpec) pprofile.Profiles {
	pd := pprofile.NewProfiles()
	d := pd.Dictionary()
	strs := map[string]int32{}
	str := func(s string) int32 {
		if i, ok := strs[s]; ok {
			return i
		}
		i := int32(d.StringTable().Len())
		d.StringTable().Append(s)
		strs[s] = i
		return i
	}
	str("")
	d.MappingTable().AppendEmpty()
	d.LocationTable().AppendEmpty()
	d.FunctionTable().AppendEmpty()
	d.StackTable().AppendEmpty()
	d.AttributeTable().AppendEmpty()
	d.LinkTable().AppendEmpty()
	locs := map[string]int32{}
	loc := func(fn string) int32 {
		if i, ok := locs[fn]; ok {
			return i
		}
		f := d.FunctionTable().AppendEmpty()
		f.SetNameStrindex(str(fn))
		f.SetSystemNameStrindex(str(fn))
		f.SetFilenameStrindex(str("/src/" + fn + ".go"))
		l := d.LocationTable().AppendEmpty()
		ln := l.Lines().AppendEmpty()
		ln.SetFunctionIndex(int32(d.FunctionTable().Len() - 1))
		ln.SetLine(10)
		i := int32(d.LocationTable().Len() - 1)
		locs[fn] = i
		return i
	}
	stack := func(frames []string) int32 {
		s := d.StackTable().AppendEmpty()
		for i := len(frames) - 1; i >= 0; i-- { // leaf first
			s.LocationIndices().Append(loc(frames[i]))
		}
		return int32(d.StackTable().Len() - 1)
	}
	regexIdx, workIdx := stack(regexStack), stack(workStack)
	for _, sp := range specs {
		rp := pd.ResourceProfiles().AppendEmpty()
		rp.Resource().Attributes().PutStr("service.name", sp.service)
		scope := rp.ScopeProfiles().AppendEmpty()
		scope.Scope().SetName("runtime/pprof")
		p := scope.Profiles().AppendEmpty()
		p.SampleType().SetTypeStrindex(str("cpu"))
		p.SampleType().SetUnitStrindex(str("nanoseconds"))
		p.PeriodType().SetTypeStrindex(str("cpu"))
		p.PeriodType().SetUnitStrindex(str("nanoseconds"))
		p.SetPeriod(10_000_000)
		if !sp.at.IsZero() {
			p.SetTime(pcommon.NewTimestampFromTime(sp.at))
		}
		p.SetDurationNano(uint64(10 * time.Second))
		for range sp.regex {
			s := p.Samples().AppendEmpty()
			s.SetStackIndex(regexIdx)
			s.Values().Append(10_000_000)
		}
		for range sp.work {
			s := p.Samples().AppendEmpty()
			s.SetStackIndex(workIdx)
			s.Values().Append(10_000_000)
		}
	}
	return pd
}

// manualSchedule collects the emitters' tick functions; fire runs them all.
type manualSchedule struct {
	mu  sync.Mutex
	fns map[int]func(context.Context)
	n   int
}

func (m *manualSchedule) schedule(_ time.Duration, fn func(context.Context)) func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fns == nil {
		m.fns = map[int]func(context.Context){}
	}
	id := m.n
	m.n++
	m.fns[id] = fn
	return func() {
		m.mu.Lock()
		delete(m.fns, id)
		m.mu.Unlock()
	}
}

func (m *manualSchedule) fire() {
	m.mu.Lock()
	fns := make([]func(context.Context), 0, len(m.fns))
	for i := range m.n {
		if fn, ok := m.fns[i]; ok {
			fns = append(fns, fn)
		}
	}
	m.mu.Unlock()
	for _, fn := range fns {
		fn(context.Background())
	}
}

// fakeClock is a settable wall clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// harness is one component ID in a profiles, a metrics and a logs pipeline.
type harness struct {
	f        *factory
	clock    *fakeClock
	sched    *manualSchedule
	profiles xprocessor.Profiles
	metrics  processor.Metrics
	logs     processor.Logs
	pSink    *consumertest.ProfilesSink
	mSink    *consumertest.MetricsSink
	lSink    *consumertest.LogsSink
}

func newHarness(t *testing.T, cfg *Config, set processor.Settings) *harness {
	t.Helper()
	h := &harness{
		clock: &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		sched: &manualSchedule{},
		pSink: new(consumertest.ProfilesSink), mSink: new(consumertest.MetricsSink), lSink: new(consumertest.LogsSink),
	}
	h.f = &factory{engines: map[component.ID]*engine{}, now: h.clock.now, schedule: h.sched.schedule}
	fac := newFactory(h.f)
	ctx := context.Background()
	var err error
	h.profiles, err = fac.CreateProfiles(ctx, set, cfg, h.pSink)
	require.NoError(t, err)
	h.metrics, err = fac.CreateMetrics(ctx, set, cfg, h.mSink)
	require.NoError(t, err)
	h.logs, err = fac.CreateLogs(ctx, set, cfg, h.lSink)
	require.NoError(t, err)
	host := componenttest.NewNopHost()
	require.NoError(t, h.profiles.Start(ctx, host))
	require.NoError(t, h.metrics.Start(ctx, host))
	require.NoError(t, h.logs.Start(ctx, host))
	t.Cleanup(func() { h.shutdown(t) })
	return h
}

func (h *harness) shutdown(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, h.profiles.Shutdown(ctx))
	require.NoError(t, h.logs.Shutdown(ctx))
	require.NoError(t, h.metrics.Shutdown(ctx))
}

func (h *harness) engine() *engine {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return h.f.engines[component.NewID(metadata.Type)]
}

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Window = 10 * time.Second
	cfg.AllowedLateness = 0
	cfg.For = 10 * time.Second
	cfg.KeepFiringFor = 0
	cfg.MinSamples = 50
	return cfg
}

func nopSettings() processor.Settings { return processortest.NewNopSettings(metadata.Type) }
