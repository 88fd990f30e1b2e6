package perfadvisor

import (
	"fmt"
	"math"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/findings"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/internal/validation"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/windows"
)

// Validation metric, event and attribute names (docs/design.md §5; fixed).
const (
	metricValidationRealized  = "perfadvisor.validation.realized_cpu_reduction"
	metricValidationExpected  = "perfadvisor.validation.expected_cpu_reduction"
	metricValidationCPUChange = "perfadvisor.validation.service_cpu_change"

	eventValidation = "perfadvisor.validation.result"

	attrVersionBefore  = "perfadvisor.version.before"
	attrVersionAfter   = "perfadvisor.version.after"
	attrNormalizedBy   = "perfadvisor.normalized_by"
	attrValidationMode = "perfadvisor.validation.mode"
	attrRatioBefore    = "perfadvisor.cpu_ratio.before"
	attrRatioAfter     = "perfadvisor.cpu_ratio.after"
	attrRealized       = "perfadvisor.realized_cpu_reduction"
	attrRealizedLow    = "perfadvisor.realized_cpu_reduction_low"
	attrRealizedHigh   = "perfadvisor.realized_cpu_reduction_high"
	attrVerdict        = "perfadvisor.verdict"

	sourceValidation = "validation"
)

// validationState is the processor's side of deploy validation: the version
// readings of open windows, the tracker, and the comparisons still shown.
type validationState struct {
	tracker    *validation.Tracker
	regression bool                        // deploy_cpu_regression is enabled
	open       map[int64]*advisor.Versions // by window start
	shown      []shownResult               // gauges kept for validation.retention
	// latest comparison per service, while retained: it decides
	// deploy_cpu_regression for the service.
	latest map[string]shownResult
}

type shownResult struct {
	res   validation.Result
	until time.Time // wall clock
}

func newValidationState(adv *advisor.Advisor) *validationState {
	cfg, enabled := adv.ValidationConfig()
	return &validationState{
		tracker:    validation.New(cfg),
		regression: enabled,
		open:       map[int64]*advisor.Versions{},
		latest:     map[string]shownResult{},
	}
}

// versionsLocked is where the batches of the window starting at start add
// their per-version readings. Caller holds e.mu.
func (e *engine) versionsLocked(start time.Time) *advisor.Versions {
	k := start.UnixNano()
	v, ok := e.val.open[k]
	if !ok {
		v = advisor.NewBoundedVersions(e.cfg.Validation.MaxVersions, e.cfg.Limits.MaxServices*e.cfg.Validation.MaxVersions)
		e.val.open[k] = v
	}
	return v
}

// takeVersionsLocked removes and returns the version readings of a closed
// window, whether or not it is judged, so none outlive their window.
// Caller holds e.mu.
func (e *engine) takeVersionsLocked(w *windows.Window) *advisor.Versions {
	k := w.Start.UnixNano()
	vs := e.val.open[k]
	delete(e.val.open, k)
	return vs
}

// validateLocked feeds a closed window's version readings to the tracker,
// queues a result event per comparison, and runs deploy_cpu_regression's
// lifecycle. Caller holds e.mu.
func (e *engine) validateLocked(w *windows.Window, vs *advisor.Versions) {
	wall := e.now()
	if vs != nil {
		readings := vs.Readings()
		active := e.activeReductionsLocked()
		for i := range readings {
			r := &readings[i]
			r.Start, r.End = w.Start, w.End
			r.Active = active[r.Service]
			if n, ok := e.adv.Requests(r.Service, w.Start, w.End); ok {
				r.Requests = n
			}
		}
		dropped := e.val.tracker.Dropped()
		results := e.val.tracker.Add(readings)
		e.tel.drop(reasonMaxVersions, e.val.tracker.Dropped()-dropped)
		for _, res := range results {
			s := shownResult{res: res, until: wall.Add(e.cfg.Validation.Retention)}
			e.val.shown = append(e.val.shown, s)
			e.val.latest[res.Service] = s
			for q := range e.queues {
				if !q.pushResult(res) {
					e.tel.drop(reasonLogQueueFull, 1)
				}
			}
		}
	}
	e.expireValidationLocked(wall)
	if !e.val.regression {
		return
	}
	scope := findings.Scope{Source: sourceValidation, Services: map[string]bool{}}
	var signals []report.Signal
	for svc, s := range e.val.latest {
		scope.Services[svc] = true
		signals = append(signals, e.regressionSignal(s.res))
	}
	e.applyLocked(w.End, scope, signals)
}

// expireValidationLocked drops comparisons past their retention; a service
// whose latest comparison expired is judged once more with no signal, so a
// raised deploy_cpu_regression resolves. Caller holds e.mu.
func (e *engine) expireValidationLocked(wall time.Time) {
	kept := e.val.shown[:0]
	for _, s := range e.val.shown {
		if wall.Before(s.until) {
			kept = append(kept, s)
		}
	}
	e.val.shown = kept
	for svc, s := range e.val.latest {
		if !wall.Before(s.until) {
			delete(e.val.latest, svc)
			if e.val.regression {
				e.applyLocked(s.res.At, findings.Scope{Source: sourceValidation, Services: map[string]bool{svc: true}}, nil)
			}
		}
	}
}

// activeReductionsLocked is, per service, the expected reduction of every
// profile finding raised now: what the finding predicted before a change.
func (e *engine) activeReductionsLocked() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, a := range e.tracker.Firing() {
		if a.Source != sourceProfiles {
			continue
		}
		m := out[a.Service]
		if m == nil {
			m = map[string]float64{}
			out[a.Service] = m
		}
		m[a.Rule] = a.Finding.Expected()
	}
	return out
}

// regressionSignal is deploy_cpu_regression's reading of one comparison:
// its level is the largest significant rise (a share's, or CPU per request's).
func (e *engine) regressionSignal(res validation.Result) report.Signal {
	rule, _ := e.adv.Catalog().Rule(advisor.RuleDeployRegression)
	level := 0.0
	var ev []report.Evidence
	for _, rr := range res.Rules {
		if rr.Rise {
			level = math.Max(level, -rr.Realized)
			ev = append(ev, report.Evidence{Kind: "series", Series: "rule:" + rr.Rule,
				Description: fmt.Sprintf("%s rose from %.1f%% to %.1f%% of CPU (%s → %s; the drop's 95%% interval %.1f%% to %.1f%%)",
					rr.Rule, 100*rr.Before, 100*rr.After, res.Before, res.After, 100*rr.Low, 100*rr.High),
				Value: report.Float(-rr.Realized)})
		}
	}
	if res.CPURise {
		level = math.Max(level, res.CPUChange)
		ev = append(ev, report.Evidence{Kind: "series", Series: "cpu_per_" + cpuUnit(res),
			Description: fmt.Sprintf("CPU %s rose %.1f%% (95%% interval %.1f%% to %.1f%%) from %s to %s",
				cpuWhat(res), 100*res.CPUChange, 100*res.CPULow, 100*res.CPUHigh, res.Before, res.After),
			Value: report.Float(res.CPUChange)})
	}
	sev := report.Severity(rule.SeverityFor(level))
	f := report.Finding{
		Rule: advisor.RuleDeployRegression, Service: res.Service, Value: report.Float(level), Severity: sev,
		ExpectedCPUReduction: report.Float(math.Min(level, 1)),
		Recommendation: fmt.Sprintf("%s %s made %s use more CPU than %s. Compare the two versions' profiles on the rule that rose "+
			"(perfadvisor compare --before-version %s --after-version %s) and roll back or fix the change.",
			res.Service, res.After, res.Service, res.Before, res.Before, res.After),
		Evidence: ev,
	}
	return report.Signal{Rule: advisor.RuleDeployRegression, Service: res.Service, Active: res.Regressed(),
		Level: level, Threshold: rule.Threshold, Finding: f}
}

func cpuUnit(res validation.Result) string {
	if res.NormalizedBy == validation.NormalizedByRequests {
		return "request"
	}
	return "core"
}

func cpuWhat(res validation.Result) string {
	if res.NormalizedBy == validation.NormalizedByRequests {
		return "per request"
	}
	return "in cores"
}

// validationGauges writes the retained comparisons of one service.
func (e *engine) validationGaugesLocked(ms pmetric.MetricSlice, service string, ts pcommon.Timestamp) {
	var realized, expected, change pmetric.Gauge
	for _, s := range e.val.shown {
		res := s.res
		if res.Service != service {
			continue
		}
		for _, rr := range res.Rules {
			if realized == (pmetric.Gauge{}) {
				realized = gauge(ms, metricValidationRealized, "1", "The rule's share before minus after a version change (the drop).")
				expected = gauge(ms, metricValidationExpected, "1", "The reduction the finding predicted before the change.")
			}
			dp := realized.DataPoints().AppendEmpty()
			validationAttrs(dp.Attributes(), res, rr.Rule)
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(rr.Realized)
			dp = expected.DataPoints().AppendEmpty()
			validationAttrs(dp.Attributes(), res, rr.Rule)
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(rr.Expected)
		}
		if res.CPUKnown {
			if change == (pmetric.Gauge{}) {
				change = gauge(ms, metricValidationCPUChange, "1", "The service's CPU after over before a version change, minus 1.")
			}
			dp := change.DataPoints().AppendEmpty()
			validationAttrs(dp.Attributes(), res, "")
			dp.Attributes().PutStr(attrNormalizedBy, res.NormalizedBy)
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(res.CPUChange)
		}
	}
}

func validationAttrs(m pcommon.Map, res validation.Result, rule string) {
	if rule != "" {
		m.PutStr(attrRule, rule)
	}
	m.PutStr(attrVersionBefore, res.Before)
	m.PutStr(attrVersionAfter, res.After)
	m.PutStr(attrValidationMode, res.Mode)
}

// validationServicesLocked lists the services with retained comparisons.
func (e *engine) validationServicesLocked() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range e.val.shown {
		if !seen[s.res.Service] {
			seen[s.res.Service] = true
			out = append(out, s.res.Service)
		}
	}
	sort.Strings(out)
	return out
}

// writeValidationEvents writes one perfadvisor.validation.result record per
// rule of a comparison.
func writeValidationEvents(recs plog.LogRecordSlice, res validation.Result, observed pcommon.Timestamp) {
	for _, rr := range res.Rules {
		lr := recs.AppendEmpty()
		lr.SetEventName(eventValidation)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(res.At))
		lr.SetObservedTimestamp(observed)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		if rr.Verdict == validation.VerdictRegressed || rr.Verdict == validation.VerdictNew {
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
			lr.SetSeverityText("WARN")
		}
		a := lr.Attributes()
		a.PutStr(attrEventName, eventValidation)
		validationAttrs(a, res, rr.Rule)
		a.PutDouble(attrRatioBefore, rr.Before)
		a.PutDouble(attrRatioAfter, rr.After)
		a.PutDouble(attrRealized, rr.Realized)
		a.PutDouble(attrRealizedLow, rr.Low)
		a.PutDouble(attrRealizedHigh, rr.High)
		a.PutDouble(attrExpected, rr.Expected)
		a.PutStr(attrVerdict, rr.Verdict)
		if res.CPUKnown {
			a.PutStr(attrNormalizedBy, res.NormalizedBy)
			a.PutDouble("perfadvisor.service_cpu_change", res.CPUChange)
		}
		lr.Body().SetStr(fmt.Sprintf("%s %s → %s (%s): %s went from %.1f%% to %.1f%% of CPU, a realized reduction of %.1f%% "+
			"(95%% interval %.1f%% to %.1f%%) against %.1f%% expected: %s.",
			res.Service, res.Before, res.After, res.Mode, rr.Rule, 100*rr.Before, 100*rr.After, 100*rr.Realized,
			100*rr.Low, 100*rr.High, 100*rr.Expected, rr.Verdict))
	}
}
