package perfadvisor

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/xconsumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/collector/processor/processorhelper/xprocessorhelper"
	"go.opentelemetry.io/collector/processor/xprocessor"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// passThrough: the processor reads its input and never changes it.
var passThrough = consumer.Capabilities{MutatesData: false}

// factory shares one engine between the pipelines of one component ID, the
// way memory_limiter shares its limiter: a map keyed by ID with a reference count.
type factory struct {
	mu       sync.Mutex
	engines  map[component.ID]*engine
	now      func() time.Time // wall clock
	schedule scheduleFunc
}

// NewFactory returns the perfadvisor processor factory. It has no side
// effects: ocb's generated code calls it more than once.
func NewFactory() xprocessor.Factory {
	return newFactory(&factory{engines: map[component.ID]*engine{}, now: time.Now, schedule: tickEvery})
}

func newFactory(f *factory) xprocessor.Factory {
	return xprocessor.NewFactory(metadata.Type, createDefaultConfig,
		xprocessor.WithProfiles(f.createProfiles, metadata.ProfilesStability),
		xprocessor.WithMetrics(f.createMetrics, metadata.MetricsStability),
		xprocessor.WithLogs(f.createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config { return advisor.Default() }

// acquire returns the engine of set.ID, creating it on first use.
func (f *factory) acquire(set processor.Settings, cfg *Config) (*engine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.engines[set.ID]; ok {
		e.refs++
		return e, nil
	}
	e, err := newEngine(set, cfg, f.now)
	if err != nil {
		return nil, err
	}
	e.refs = 1
	f.engines[set.ID] = e
	return e, nil
}

// release drops one reference; the last one removes the engine so a config
// reload starts from fresh state.
func (f *factory) release(id component.ID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.engines[id]
	if !ok {
		return
	}
	if e.refs--; e.refs <= 0 {
		delete(f.engines, id)
	}
}

// releaser returns a shutdown step that releases the engine once per instance.
func (f *factory) releaser(id component.ID) func() {
	var once sync.Once
	return func() { once.Do(func() { f.release(id) }) }
}

func (f *factory) createProfiles(ctx context.Context, set processor.Settings, cfg component.Config, next xconsumer.Profiles) (xprocessor.Profiles, error) {
	e, err := f.acquire(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	rel := f.releaser(set.ID)
	p, err := xprocessorhelper.NewProfiles(ctx, set, cfg, next, e.processProfiles,
		xprocessorhelper.WithCapabilities(passThrough),
		xprocessorhelper.WithShutdown(func(context.Context) error { rel(); return nil }),
	)
	if err != nil {
		rel()
	}
	return p, err
}

func (f *factory) createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	e, err := f.acquire(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	rel := f.releaser(set.ID)
	em := newMetricsEmitter(e, next, f.schedule)
	p, err := processorhelper.NewMetrics(ctx, set, cfg, next, e.processMetrics, emitterOptions(em, rel)...)
	if err != nil {
		rel()
	}
	return p, err
}

func (f *factory) createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	e, err := f.acquire(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	rel := f.releaser(set.ID)
	em := newLogsEmitter(e, next, f.schedule)
	p, err := processorhelper.NewLogs(ctx, set, cfg, next, e.processLogs, emitterOptions(em, rel)...)
	if err != nil {
		rel()
	}
	return p, err
}

// emitter is the advice writer an instance owns: it calls that instance's next.
type emitter interface {
	start(context.Context, component.Host) error
	shutdown(context.Context) error
}

// emitterOptions ties an emitter to its instance's Start and Shutdown, and
// releases the shared engine after the final flush.
func emitterOptions(em emitter, release func()) []processorhelper.Option {
	return []processorhelper.Option{
		processorhelper.WithCapabilities(passThrough),
		processorhelper.WithStart(em.start),
		processorhelper.WithShutdown(func(ctx context.Context) error {
			err := em.shutdown(ctx)
			release()
			return err
		}),
	}
}
