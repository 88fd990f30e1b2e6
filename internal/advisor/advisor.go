// Package advisor is the one judging core behind perfadvisor's doors: the
// collector processor, the Pyroscope receiver (which feeds the processor)
// and the CLI. It owns the attribution analyzer, the fleet store of metric
// series and the judging of a window of profiles; a door feeds it data and
// renders what it returns (docs/design.md, "One advisor, three doors").
package advisor

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/fleet"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/internal/validation"
)

// Mode says how profile windows relate to the metric rules.
type Mode int

const (
	// Live: a collector's windows on event time; a service's profiles judge
	// its profile rules while they are recent.
	Live Mode = iota
	// Replay: a whole input judged at once (CLI); a service's profiles judge
	// its profile rules for the whole input.
	Replay
)

// Advisor holds the analyzer and the fleet store of one configuration.
// Accumulate and AddMetrics are safe for concurrent use; JudgeWindow and the
// metric evaluation are serialised by the caller (the processor's lock, or
// the CLI's single goroutine).
type Advisor struct {
	cfg      *Config
	cat      *catalog.Catalog
	mode     Mode
	analyzer *attribution.Analyzer
	store    *fleet.Store
}

// New builds the advisor of cfg. defaultService names data that carries no
// service attribute (the CLI's --service); in Live mode it is empty and such
// metric data is not judged.
func New(cfg *Config, mode Mode, defaultService string) (*Advisor, error) {
	cat, err := cfg.Catalog()
	if err != nil {
		return nil, err
	}
	opts := cfg.analyzerOptions(defaultService)
	if mode == Live {
		opts.ProfilesPerWindow = cfg.AnalysisBudget.ProfilesPerWindow
	}
	an, err := attribution.New(cat, opts)
	if err != nil {
		return nil, err
	}
	return &Advisor{
		cfg:      cfg,
		cat:      cat,
		mode:     mode,
		analyzer: an,
		store:    fleet.NewStore(cfg.fleetConfig(defaultService), cat),
	}, nil
}

// Catalog is the catalog the advisor judges with (built-in plus config).
func (a *Advisor) Catalog() *catalog.Catalog { return a.cat }

// ErrAnalysisFailed marks a batch whose analysis panicked: its advice is lost.
var ErrAnalysisFailed = errors.New("analysis failed")

// Accumulate attributes pd's samples into w. A bug in the analysis costs
// this batch's advice, never the caller: a panic in a collector component
// takes every pipeline down.
func (a *Advisor) Accumulate(pd pprofile.Profiles, w *attribution.Window) (err error) {
	defer func() {
		if r := recover(); r != nil {
			w.DroppedProfiles += int64(pd.ProfileCount())
			err = fmt.Errorf("%w: %v", ErrAnalysisFailed, r)
		}
	}()
	return a.analyzer.Accumulate(pd, w)
}

// AddMetrics feeds the fleet store and returns how many datapoints the caps
// refused.
func (a *Advisor) AddMetrics(md pmetric.Metrics) (dropped int64) {
	before := a.store.Dropped()
	a.store.Add(md)
	return a.store.Dropped() - before
}

// Judgement is what one window's profiles add up to.
type Judgement struct {
	// Signals: every profile rule's reading per service (active or not),
	// with the metric series that support it in the evidence.
	Signals []report.Signal
	// Services: one entry per service with profiles in the window, sorted.
	Services []report.Coverage
}

// JudgeWindow judges the profiles of one closed window, at its end (Live) or
// for the whole input (Replay). The profiled services' profile rules then
// come from their profiles alone, not from metrics.
func (a *Advisor) JudgeWindow(w *attribution.Window, end time.Time) Judgement {
	until := end
	if a.mode == Replay {
		until = time.Unix(0, math.MaxInt64)
	}
	names := make([]string, 0, len(w.Services))
	for n := range w.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	if a.mode == Live {
		a.analyzer.NoteJudged(w)
	}
	var j Judgement
	for _, name := range names {
		st := w.Services[name]
		a.store.NoteProfiled(name, until)
		sigs := a.analyzer.Evaluate(st)
		for i := range sigs {
			if extra := a.store.Evidence(sigs[i].Service, sigs[i].Rule); len(extra) > 0 {
				sigs[i].Finding.Evidence = append(sigs[i].Finding.Evidence, extra...)
			}
		}
		j.Signals = append(j.Signals, sigs...)
		j.Services = append(j.Services, a.coverage(name, st))
	}
	return j
}

func (a *Advisor) coverage(name string, st *attribution.ServiceStats) report.Coverage {
	c := a.analyzer.Coverage(st)
	sc := report.Coverage{
		Service:    name,
		Judged:     c.Judged,
		CPUSamples: c.CPUSamples,
		CPUSeconds: math.Round(c.CPUSeconds*1e4) / 1e4,
		Runtimes:   c.Runtimes,
		Note:       c.Note,
	}
	if sc.Runtimes == nil {
		sc.Runtimes = []string{}
	}
	if !c.Judged {
		reason := c.Reason
		sc.Reason = &reason
	}
	return sc
}

// EvaluateMetrics judges the metric rules as of event time now (Live).
func (a *Advisor) EvaluateMetrics(now time.Time) []report.Signal { return a.store.Evaluate(now) }

// LatestMetrics is the newest metric event time the fleet store trusts.
func (a *Advisor) LatestMetrics() time.Time { return a.store.Latest() }

// Usage is every tracked service's CPU as of event time now.
func (a *Advisor) Usage(now time.Time) []fleet.ServiceUsage { return a.store.Usage(now) }

// Requests is how many requests a service served in [from, to) by its
// request metrics; ok is false when none pass through.
func (a *Advisor) Requests(service string, from, to time.Time) (float64, bool) {
	return a.store.Requests(service, from, to)
}

// ValidationConfig is the version tracker's configuration: the config's
// validation keys, and the deploy_cpu_regression rule's threshold (the
// least rise of a share that counts) and its min_cpu_change param.
func (a *Advisor) ValidationConfig() (validation.Config, bool) {
	vc := validation.Config{
		MinWindows:  a.cfg.Validation.MinWindows,
		MaxVersions: a.cfg.Validation.MaxVersions,
		MaxServices: a.cfg.Limits.MaxServices,
	}
	r, ok := a.cat.Rule(RuleDeployRegression)
	if !ok {
		return vc, false
	}
	vc.MinShareChange = r.Threshold
	vc.MinCPUChange = r.Params["min_cpu_change"]
	return vc, r.IsEnabled()
}

// RuleDeployRegression is raised when a version made a service worse.
const RuleDeployRegression = "deploy_cpu_regression"
