package perfadvisor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/processor/xprocessor"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

func TestFactoryType(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, "perfadvisor", f.Type().String())
	assert.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	assert.NoError(t, f.CreateDefaultConfig().(*Config).Validate(), "defaults must be valid")
	assert.Equal(t, metadata.ProfilesStability, f.ProfilesStability())
	assert.Equal(t, metadata.MetricsStability, f.MetricsStability())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}

var signals = []string{"profiles", "metrics", "logs"}

// create builds one instance of signal with a nop consumer.
func create(t *testing.T, f xprocessor.Factory, signal string, set processor.Settings, cfg component.Config) component.Component {
	t.Helper()
	ctx := context.Background()
	var (
		c   component.Component
		err error
	)
	switch signal {
	case "profiles":
		c, err = f.CreateProfiles(ctx, set, cfg, consumertest.NewNop())
	case "metrics":
		c, err = f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	case "logs":
		c, err = f.CreateLogs(ctx, set, cfg, consumertest.NewNop())
	}
	require.NoError(t, err)
	require.NotNil(t, c)
	return c
}

func TestLifecyclePerSignal(t *testing.T) {
	for _, signal := range signals {
		t.Run(signal+"/create, start, shutdown", func(t *testing.T) {
			f := NewFactory()
			c := create(t, f, signal, processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
			require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
			require.NoError(t, c.Shutdown(context.Background()))
		})
		t.Run(signal+"/shutdown without start", func(t *testing.T) {
			f := NewFactory()
			c := create(t, f, signal, processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
			require.NoError(t, c.Shutdown(context.Background()))
		})
		t.Run(signal+"/shutdown twice", func(t *testing.T) {
			f := NewFactory()
			c := create(t, f, signal, processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig())
			require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
			require.NoError(t, c.Shutdown(context.Background()))
			require.NoError(t, c.Shutdown(context.Background()))
		})
	}
}

func TestCreateRejectsInvalidCatalog(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Rules = map[string]catalog.Override{"no_such_rule": {}}
	_, err := f.CreateProfiles(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no_such_rule")
}

// One component ID in three pipelines shares one engine; the last shutdown
// removes it, so a reload (a new create) starts from fresh state.
func TestSharedEngineRefcount(t *testing.T) {
	fa := &factory{engines: map[component.ID]*engine{}, now: (&fakeClock{}).now, schedule: (&manualSchedule{}).schedule}
	f := newFactory(fa)
	cfg := f.CreateDefaultConfig()
	set := processortest.NewNopSettings(metadata.Type)
	engines := func() int { fa.mu.Lock(); defer fa.mu.Unlock(); return len(fa.engines) }
	refs := func() int {
		fa.mu.Lock()
		defer fa.mu.Unlock()
		if e, ok := fa.engines[set.ID]; ok {
			return e.refs
		}
		return 0
	}

	var comps []component.Component
	for _, s := range signals {
		comps = append(comps, create(t, f, s, set, cfg))
	}
	assert.Equal(t, 1, engines(), "one engine per component ID")
	assert.Equal(t, 3, refs())
	first := fa.engines[set.ID]

	other := processortest.NewNopSettings(metadata.Type)
	other.ID = component.NewIDWithName(metadata.Type, "other")
	o := create(t, f, "metrics", other, cfg)
	assert.Equal(t, 2, engines(), "a second component ID has its own engine")

	host := componenttest.NewNopHost()
	for _, c := range comps {
		require.NoError(t, c.Start(context.Background(), host))
	}
	require.NoError(t, comps[0].Shutdown(context.Background()))
	require.NoError(t, comps[0].Shutdown(context.Background())) // a second shutdown releases nothing more
	assert.Equal(t, 2, refs())
	require.NoError(t, comps[1].Shutdown(context.Background()))
	require.NoError(t, comps[2].Shutdown(context.Background()))
	assert.Equal(t, 0, refs())
	assert.Equal(t, 1, engines())
	require.NoError(t, o.Shutdown(context.Background()))
	assert.Equal(t, 0, engines())

	again := create(t, f, "profiles", set, cfg)
	fa.mu.Lock()
	assert.NotSame(t, first, fa.engines[set.ID], "after the last shutdown a new engine is built")
	fa.mu.Unlock()
	require.NoError(t, again.Shutdown(context.Background()))
}

// ocb calls NewFactory twice; neither call may start anything or share state.
func TestNewFactoryHasNoSideEffects(t *testing.T) {
	a, b := NewFactory(), NewFactory()
	assert.Equal(t, a.Type(), b.Type())
	set := processortest.NewNopSettings(metadata.Type)
	ca := create(t, a, "profiles", set, a.CreateDefaultConfig())
	cb := create(t, b, "profiles", set, b.CreateDefaultConfig())
	require.NoError(t, ca.Shutdown(context.Background()))
	require.NoError(t, cb.Shutdown(context.Background()))
}
