package perfadvisor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/findings"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/windows"
)

// Sources of signals in the finding lifecycle.
const (
	sourceProfiles = "profiles"
	sourceMetrics  = "metrics"
)

// staleWindows: a service with no profiles for this many windows has its
// profile findings judged as if the rules found nothing.
const staleWindows = 3

// maxFutureSkew: profile times further ahead of the wall clock are not trusted.
const maxFutureSkew = time.Hour

// engine is the state one component ID shares across its pipelines: the
// open windows, the fleet store, the finding lifecycle and the advice waiting
// to be emitted. Emitters take snapshots under mu and call next without it.
type engine struct {
	cfg    *Config
	logger *zap.Logger
	tel    *selfTelemetry
	adv    *advisor.Advisor
	now    func() time.Time // wall clock; tests replace it

	refs int // guarded by the factory's lock

	mu          sync.Mutex
	windows     *windows.Set
	tracker     *findings.Tracker
	totals      *cpuTotals
	lastMetrics time.Time // event time of the last metric-rule evaluation
	// wall time of the newest profile and metric batch, for idle streams
	lastProfileWall, lastMetricsWall time.Time
	idle                             struct{ profiles, metrics bool } // idle stream already judged
	queues                           map[*eventQueue]struct{}         // one per started logs instance
	val                              *validationState
	// savings: each profiled service's combined expected saving.
	savings map[string]serviceSaving
	// toldNotJudged: (service, reason) pairs already logged at info level,
	// so an unjudgeable service is said once, not every window.
	toldNotJudged map[[2]string]struct{}
}

func newEngine(set processor.Settings, cfg *Config, now func() time.Time) (*engine, error) {
	adv, err := advisor.New(cfg, advisor.Live, "")
	if err != nil {
		return nil, fmt.Errorf("perfadvisor: %w", err)
	}
	tel, err := newSelfTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("perfadvisor: self-telemetry: %w", err)
	}
	return &engine{
		cfg:     cfg,
		logger:  set.Logger,
		tel:     tel,
		adv:     adv,
		now:     now,
		windows: windows.NewSet(cfg.Window, cfg.AllowedLateness, cfg.Limits.MaxOpenWindows),
		tracker: findings.New(findings.Config{
			For:             cfg.For,
			KeepFiringFor:   cfg.KeepFiringFor,
			HysteresisRatio: cfg.HysteresisRatio,
			MaxKeys:         cfg.Limits.MaxFindings,
		}),
		totals:        newCPUTotals(cfg.Limits.MaxServices),
		queues:        map[*eventQueue]struct{}{},
		toldNotJudged: map[[2]string]struct{}{},
		val:           newValidationState(adv),
		savings:       map[string]serviceSaving{},
	}, nil
}

// processProfiles attributes pd to its event-time windows and returns it untouched.
func (e *engine) processProfiles(_ context.Context, pd pprofile.Profiles) (pprofile.Profiles, error) {
	began := time.Now()
	wall := e.now()
	groups, newest := e.route(pd, wall)
	var invalid, overServices, sampledOut int64
	// Oldest window first: if max_open_windows forces an eviction, it takes a
	// window this batch has finished with, not one it is about to fill.
	for _, g := range groups {
		part := pd
		if len(groups) > 1 {
			part = subset(pd, g.refs) // one copy at a time, dropped after use
		}
		for try := 0; ; try++ {
			if try == 2 {
				// Reopened windows keep being evicted by concurrent batches.
				e.tel.drop(reasonMaxOpenWindows, int64(part.ProfileCount()))
				break
			}
			e.mu.Lock()
			w, evicted := e.windows.For(g.start, wall)
			e.evictLocked(evicted)
			var versions *advisor.Versions
			if g.version != "" {
				versions = e.versionsLocked(w.Start)
			}
			e.mu.Unlock()
			ran := w.Accumulate(wall, func(st *attribution.Window) {
				dp, ds, so := st.DroppedProfiles, st.DroppedServices, st.SampledOut
				if err := e.accumulate(part, st, g.version, versions); err != nil {
					e.logger.Debug("perfadvisor: profiles partly analysed", zap.Error(err))
				}
				invalid += st.DroppedProfiles - dp
				overServices += st.DroppedServices - ds
				sampledOut += st.SampledOut - so
			})
			if versions != nil {
				e.tel.drop(reasonMaxVersions, versions.TakeDropped())
			}
			if ran {
				break
			}
			// The window closed between lookup and analysis: open it again.
		}
	}
	e.mu.Lock()
	e.windows.Observe(newest)
	e.lastProfileWall, e.idle.profiles = wall, false
	e.closeLocked(e.windows.Due(wall)...)
	e.mu.Unlock()
	e.tel.drop(reasonInvalidProfile, invalid)
	e.tel.drop(reasonMaxServices, overServices)
	e.tel.sampled(sampledOut)
	e.tel.analysed(int64(pd.ProfileCount()), int64(pd.SampleCount()), time.Since(began))
	return pd, nil
}

// accumulate runs the advisor, which turns a panic in the analysis into a
// lost batch of advice, logged, never a collector crash.
func (e *engine) accumulate(pd pprofile.Profiles, st *attribution.Window, version string, versions *advisor.Versions) error {
	err := e.adv.AccumulateVersion(pd, st, version, versions)
	if errors.Is(err, advisor.ErrAnalysisFailed) {
		e.logger.Error("perfadvisor: analysis failed; advice for this batch dropped", zap.Error(err))
	}
	return err
}

// group is the part of a batch that falls in one window and is of one
// version of its services (validation compares versions).
type group struct {
	start   time.Time
	version string
	refs    []profileRef
}

type profileRef struct{ r, s, p int }

// route groups the profiles of pd by the window their event time falls in
// and their resource's version, oldest first, and returns the newest
// trusted profile time.
func (e *engine) route(pd pprofile.Profiles, wall time.Time) ([]group, time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	type key struct {
		start   int64
		version string
	}
	byKey := map[key]*group{}
	var groups []*group
	var newest time.Time
	for r, rp := range pd.ResourceProfiles().All() {
		version := e.adv.VersionOf(rp.Resource().Attributes())
		for s, sp := range rp.ScopeProfiles().All() {
			for p, prof := range sp.Profiles().All() {
				t := prof.Time().AsTime()
				switch {
				case prof.Time() == 0 || t.After(wall.Add(maxFutureSkew)):
					// No time, or a clock far ahead that would drag every
					// live window behind it: window it at the newest time seen.
					t = time.Time{}
				case t.After(newest):
					newest = t
				}
				start := e.windows.Start(e.windows.EventTime(t, wall))
				k := key{start.UnixNano(), version}
				g, ok := byKey[k]
				if !ok {
					g = &group{start: start, version: version}
					byKey[k] = g
					groups = append(groups, g)
				}
				g.refs = append(g.refs, profileRef{r, s, p})
			}
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].start.Before(groups[j].start) })
	out := make([]group, len(groups))
	for i, g := range groups {
		out[i] = *g
	}
	return out, newest
}

// subset copies the listed profiles of pd, with their resource, scope and
// the shared dictionary, into a new Profiles.
func subset(pd pprofile.Profiles, refs []profileRef) pprofile.Profiles {
	out := pprofile.NewProfiles()
	pd.Dictionary().CopyTo(out.Dictionary())
	lastR, lastS := -1, -1
	var rp pprofile.ResourceProfiles
	var sp pprofile.ScopeProfiles
	for _, ref := range refs {
		srcR := pd.ResourceProfiles().At(ref.r)
		if ref.r != lastR {
			rp = out.ResourceProfiles().AppendEmpty()
			srcR.Resource().CopyTo(rp.Resource())
			rp.SetSchemaUrl(srcR.SchemaUrl())
			lastR, lastS = ref.r, -1
		}
		srcS := srcR.ScopeProfiles().At(ref.s)
		if ref.s != lastS {
			sp = rp.ScopeProfiles().AppendEmpty()
			srcS.Scope().CopyTo(sp.Scope())
			sp.SetSchemaUrl(srcS.SchemaUrl())
			lastS = ref.s
		}
		srcS.Profiles().At(ref.p).CopyTo(sp.Profiles().AppendEmpty())
	}
	return out
}

// evictLocked judges a window closed early because max_open_windows were
// open, and counts it. Caller holds e.mu.
func (e *engine) evictLocked(w *windows.Window) {
	if w == nil {
		return
	}
	e.tel.drop(reasonMaxOpenWindows, 1)
	e.closeLocked(w)
}

// closeLocked judges closed windows: each service's signals go through the
// lifecycle at the window's end. Caller holds e.mu.
func (e *engine) closeLocked(ws ...*windows.Window) {
	for _, w := range ws {
		if w == nil {
			continue
		}
		versions := e.takeVersionsLocked(w)
		st := w.Stats()
		if st == nil {
			continue
		}
		j := e.adv.JudgeWindow(st, w.End)
		services := make(map[string]bool, len(j.Services))
		for _, cov := range j.Services {
			services[cov.Service] = true
			e.noteCoverageLocked(cov)
			if !e.totals.add(cov.Service, st.Services[cov.Service], w.End, e.cfg.Window, e.now()) {
				e.tel.drop(reasonMaxServices, 1)
			}
		}
		signals := j.Signals
		e.applyLocked(w.End, findings.Scope{
			Source:     sourceProfiles,
			Services:   services,
			StaleAfter: staleWindows * e.cfg.Window,
		}, signals)
		e.noteSavingsLocked(st, w.End)
		e.validateLocked(w, versions)
	}
}

// noteCoverageLocked counts a service window that could not be judged and
// says so once per service and reason. Caller holds e.mu.
func (e *engine) noteCoverageLocked(cov report.Coverage) {
	if cov.Judged {
		k := [2]string{cov.Service, "note"}
		if _, told := e.toldNotJudged[k]; cov.Note == "" || told || len(e.toldNotJudged) >= e.cfg.Limits.MaxServices {
			return
		}
		e.toldNotJudged[k] = struct{}{}
		e.logger.Info("perfadvisor: service judged with a caveat", zap.String("service", cov.Service), zap.String("note", cov.Note))
		return
	}
	code := reasonFewCPUSamples
	if cov.CPUSamples == 0 {
		code = reasonNoCPUSamples
	}
	e.tel.notJudgedWindow(code)
	k := [2]string{cov.Service, code}
	if _, told := e.toldNotJudged[k]; told || len(e.toldNotJudged) >= e.cfg.Limits.MaxServices {
		return
	}
	e.toldNotJudged[k] = struct{}{}
	reason := ""
	if cov.Reason != nil {
		reason = *cov.Reason
	}
	e.logger.Info("perfadvisor: service not judged; its profiles give no advice until this changes",
		zap.String("service", cov.Service), zap.String("reason", reason))
}

// applyLocked runs the lifecycle and queues its changes. Caller holds e.mu.
func (e *engine) applyLocked(at time.Time, scope findings.Scope, signals []report.Signal) {
	renderSignals(signals, e.cfg.Limits.MaxEvidenceLength) // the tracker keeps only what events show
	dropped, invalid := e.tracker.Dropped(), e.tracker.Invalid()
	changes := e.tracker.Update(at, scope, signals)
	e.tel.drop(reasonMaxFindings, e.tracker.Dropped()-dropped)
	e.tel.drop(reasonInvalidSignal, e.tracker.Invalid()-invalid)
	for _, c := range changes {
		if c.Kind == findings.Raised {
			e.tel.raised.Add(context.Background(), 1)
		}
		for q := range e.queues {
			if !q.push(c) {
				e.tel.drop(reasonLogQueueFull, 1)
			}
		}
	}
}

// processMetrics feeds the fleet store and returns md untouched.
func (e *engine) processMetrics(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tel.drop(reasonMaxServices, e.adv.AddMetrics(md))
	e.lastMetricsWall, e.idle.metrics = e.now(), false
	return md, nil
}

// processLogs passes logs through; advice is added beside them.
func (e *engine) processLogs(_ context.Context, ld plog.Logs) (plog.Logs, error) {
	return ld, nil
}

// tick closes windows that went idle on the wall clock and judges the metric
// rules at the newest metric event time.
//
// A stream that stopped is judged too: once no profile arrived for
// staleWindows windows (no metric for metrics_window) of wall time, its
// findings are evaluated with no signal at the newest event time plus the
// idle time, so they resolve instead of staying raised forever.
func (e *engine) tick(wall time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closeLocked(e.windows.Due(wall)...)
	e.expireValidationLocked(wall)
	if at, idle := e.profilesNowLocked(wall); idle && !e.idle.profiles && e.windows.Len() == 0 {
		e.idle.profiles = true
		e.applyLocked(at, findings.Scope{Source: sourceProfiles}, nil)
	}
	latest, idle := e.metricsNowLocked(wall)
	switch {
	case latest.IsZero():
	case idle:
		if !e.idle.metrics {
			e.idle.metrics = true
			e.applyLocked(latest, findings.Scope{Source: sourceMetrics}, nil)
		}
	case latest.After(e.lastMetrics):
		e.lastMetrics = latest
		signals := e.adv.EvaluateMetrics(latest)
		wm, _ := e.profilesNowLocked(wall)
		e.adv.SignalSavings(signals, e.combinedLocked(wm))
		e.applyLocked(latest, findings.Scope{Source: sourceMetrics}, signals)
	}
}

// profilesNowLocked is the profile streams' event time now: the newest seen,
// advanced by the wall-clock idle time once the streams stopped.
func (e *engine) profilesNowLocked(wall time.Time) (time.Time, bool) {
	wm := e.windows.Watermark()
	if e.lastProfileWall.IsZero() {
		return wm, false
	}
	if idle := wall.Sub(e.lastProfileWall); idle >= staleWindows*e.cfg.Window {
		return wm.Add(idle), true
	}
	return wm, false
}

// metricsNowLocked is the same for the metric streams, with metrics_window.
func (e *engine) metricsNowLocked(wall time.Time) (time.Time, bool) {
	latest := e.adv.LatestMetrics()
	if latest.IsZero() || e.lastMetricsWall.IsZero() {
		return latest, false
	}
	if idle := wall.Sub(e.lastMetricsWall); idle >= e.cfg.MetricsWindow {
		return latest.Add(idle), true
	}
	return latest, false
}

// closeAll judges every open window at shutdown, so the advice of the last
// windows is emitted in the final flush instead of lost with the process.
func (e *engine) closeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closeLocked(e.windows.CloseAll()...)
}

// subscribe gives a logs instance its own queue of state changes.
func (e *engine) subscribe(q *eventQueue) {
	e.mu.Lock()
	e.queues[q] = struct{}{}
	e.mu.Unlock()
}

func (e *engine) unsubscribe(q *eventQueue) {
	e.mu.Lock()
	delete(e.queues, q)
	e.mu.Unlock()
}
