package perfadvisor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
)

// fixedHeapBound is the heap one started processor (all three signals, one
// shared engine, defaults) may retain before any data: the compiled catalog
// and the engine's empty state. Issue 13 budgets +4 MB for the whole
// 10-service run; the bound catches a regression, not noise.
const fixedHeapBound = 1 << 20

// fixedChildEnv marks the child process that measures: the catalog is
// compiled once per process, so only a fresh process counts it.
const fixedChildEnv = "PERFADVISOR_FIXED_STATE_CHILD"

var fixedLine = regexp.MustCompile(`fixed-state-bytes=(\d+)`)

// TestFixedState measures, in a fresh process, the heap one processor
// retains after Validate and Start, built through its factory the way the
// collector builds it (profiles, metrics and logs sharing one engine).
func TestFixedState(t *testing.T) {
	if os.Getenv(fixedChildEnv) != "" {
		fmt.Printf("fixed-state-bytes=%d\n", measureFixedState(t))
		return
	}
	if testing.Short() || raceEnabled {
		t.Skip("measures the heap in a child process; not with -short or -race")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFixedState$", "-test.count=1")
	cmd.Env = append(os.Environ(), fixedChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	m := fixedLine.FindSubmatch(out)
	require.NotNil(t, m, "%s", out)
	fixed, err := strconv.ParseInt(string(m[1]), 10, 64)
	require.NoError(t, err)
	t.Logf("retained heap of one started processor: %d B (%.2f MB)", fixed, float64(fixed)/(1<<20))
	require.Less(t, fixed, int64(fixedHeapBound))
}

// measureFixedState is the heap growth from before the config is validated
// to after all three instances have started.
func measureFixedState(t *testing.T) int64 {
	ctx := context.Background()
	f := NewFactory()
	base := liveHeap()
	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, cfg.Validate())
	set := nopSettings()
	p, err := f.CreateProfiles(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	m, err := f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	l, err := f.CreateLogs(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	comps := []component.Component{p, m, l}
	host := componenttest.NewNopHost()
	for _, c := range comps {
		require.NoError(t, c.Start(ctx, host))
	}
	started := liveHeap()
	heapProfile(t, "fixed")
	for _, c := range comps {
		require.NoError(t, c.Shutdown(ctx))
	}
	return int64(started) - int64(base)
}
