package perfadvisor

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/perfadvisor/perfadvisor/internal/findings"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/internal/validation"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor/internal/metadata"
)

// Emitted event and attribute names (docs/design.md §5; fixed).
const (
	eventRaised   = "perfadvisor.finding.raised"
	eventResolved = "perfadvisor.finding.resolved"

	attrEventName      = "event.name"
	attrCPURatio       = "perfadvisor.cpu_ratio"
	attrExpected       = "perfadvisor.expected_cpu_reduction"
	attrRecommendation = "perfadvisor.recommendation"
	attrEvidence       = "perfadvisor.evidence"
	attrValue          = "perfadvisor.value"
)

// eventQueue holds the state changes and validation results waiting for
// one logs instance's flush; max bounds both together.
type eventQueue struct {
	mu      sync.Mutex
	max     int
	items   []findings.Change
	results []validation.Result
}

// push queues c; false when the queue is full (the change is dropped).
func (q *eventQueue) push(c findings.Change) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items)+len(q.results) >= q.max {
		return false
	}
	q.items = append(q.items, c)
	return true
}

// pushResult queues a validation result; false when the queue is full.
func (q *eventQueue) pushResult(r validation.Result) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items)+len(q.results) >= q.max {
		return false
	}
	q.results = append(q.results, r)
	return true
}

func (q *eventQueue) drain() []findings.Change {
	out, _ := q.drainAll()
	return out
}

func (q *eventQueue) drainAll() ([]findings.Change, []validation.Result) {
	q.mu.Lock()
	defer q.mu.Unlock()
	changes, results := q.items, q.results
	q.items, q.results = nil, nil
	return changes, results
}

// logsEmitter belongs to the instance in a logs pipeline: one log record per
// state change, flushed every emit_interval and on Shutdown.
type logsEmitter struct {
	e     *engine
	next  consumer.Logs
	queue *eventQueue
	loop  loop
}

func newLogsEmitter(e *engine, next consumer.Logs, schedule scheduleFunc) *logsEmitter {
	return &logsEmitter{e: e, next: next, queue: &eventQueue{max: e.cfg.Limits.MaxQueuedEvents}, loop: loop{schedule: schedule}}
}

func (l *logsEmitter) start(context.Context, component.Host) error {
	l.e.subscribe(l.queue)
	l.loop.start(l.e.cfg.EmitInterval, l.emit)
	return nil
}

func (l *logsEmitter) shutdown(ctx context.Context) error {
	if l.loop.stop() {
		l.e.closeAll()
		l.emit(ctx)
		l.e.unsubscribe(l.queue)
	}
	return nil
}

func (l *logsEmitter) emit(ctx context.Context) {
	wall := l.e.now()
	l.e.tick(wall)
	changes, results := l.queue.drainAll()
	if len(changes)+len(results) == 0 {
		return
	}
	observed := pcommon.NewTimestampFromTime(wall)
	ld := findingEvents(changes, observed, l.e.cfg.Limits.MaxEvidenceLength)
	for _, res := range results {
		writeValidationEvents(serviceRecords(ld, res.Service), res, observed)
	}
	if err := l.next.ConsumeLogs(ctx, ld); err != nil {
		l.e.logger.Warn("perfadvisor: finding events not accepted downstream", zap.Error(err))
		l.e.tel.drop(reasonEmitFailed, int64(len(changes)+len(results)))
	}
}

// findingEvents writes one log record per change, grouped by service.
func findingEvents(changes []findings.Change, observed pcommon.Timestamp, maxEvidence int) plog.Logs {
	ld := plog.NewLogs()
	for _, c := range changes {
		writeEvent(serviceRecords(ld, c.Alert.Service).AppendEmpty(), c, observed, maxEvidence)
	}
	return ld
}

// serviceRecords is the log record slice of service's resource in ld,
// added on first use.
func serviceRecords(ld plog.Logs, service string) plog.LogRecordSlice {
	for _, rl := range ld.ResourceLogs().All() {
		if v, ok := rl.Resource().Attributes().Get(attrServiceName); ok && v.Str() == service {
			return rl.ScopeLogs().At(0).LogRecords()
		}
	}
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(attrServiceName, service)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	return sl.LogRecords()
}

func writeEvent(lr plog.LogRecord, c findings.Change, observed pcommon.Timestamp, maxEvidence int) {
	f := c.Alert.Finding
	sev := c.Alert.Severity // fixed when it fired: raised and resolved agree
	name := eventRaised
	if c.Kind == findings.Resolved {
		name = eventResolved
	}
	lr.SetEventName(name)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(c.At)) // event time of the change
	lr.SetObservedTimestamp(observed)
	switch sev {
	case report.SeverityCritical:
		lr.SetSeverityNumber(plog.SeverityNumberError)
		lr.SetSeverityText("ERROR")
	case report.SeverityInfo:
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
	default:
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	}
	a := lr.Attributes()
	a.PutStr(attrEventName, name)
	a.PutStr(attrRule, c.Alert.Rule)
	a.PutStr(attrSeverity, string(sev))
	ratio, value, expected := f.CPURatio, f.Value, f.ExpectedCPUReduction
	if c.Kind == findings.Resolved {
		// A resolved event reports the level that resolved it; the fix has nothing left to save.
		level := c.Alert.Level
		if ratio != nil {
			ratio = &level
		}
		if value != nil {
			value = &level
		}
		expected = report.Float(0)
	}
	if ratio != nil && finite(*ratio) {
		a.PutDouble(attrCPURatio, *ratio)
	}
	if value != nil && finite(*value) {
		a.PutDouble(attrValue, *value)
	}
	if expected != nil && finite(*expected) {
		a.PutDouble(attrExpected, *expected)
	}
	a.PutStr(attrRecommendation, f.Recommendation)
	a.PutStr(attrEvidence, evidenceString(f.Evidence, maxEvidence))
	lr.Body().SetStr(sentence(c))
}

// sentence is the event's body: what happened, in one line a person reads.
func sentence(c findings.Change) string {
	a := c.Alert
	level := describeLevel(a.Finding, a.Level)
	if c.Kind == findings.Resolved {
		return fmt.Sprintf("%s resolved for %s: %s, below the resolve level.", a.Rule, a.Service, level)
	}
	if a.Finding.ExpectedCPUReduction == nil {
		return fmt.Sprintf("%s raised for %s: %s; what fixing it saves is unknown until the service is profiled.",
			a.Rule, a.Service, level)
	}
	return fmt.Sprintf("%s raised for %s: %s; fixing it is expected to save %.1f%% of CPU.",
		a.Rule, a.Service, level, 100**a.Finding.ExpectedCPUReduction)
}

func describeLevel(f report.Finding, level float64) string {
	switch {
	case f.CPURatio != nil:
		return fmt.Sprintf("%.1f%% of its CPU is attributed to the rule", 100*level)
	case f.Value != nil:
		return fmt.Sprintf("the rule's value is %.3g", level)
	default:
		return fmt.Sprintf("the level is %.3g", level)
	}
}

// The pieces of an evidence string.
const (
	pieceSep    = " | "
	frameSep    = ";"
	shareFormat = "%.1f%% "
)

// evidenceString renders the top evidence on one line, cut to max bytes
// (at a rune boundary) so a huge stack cannot blow up a log record.
func evidenceString(ev []report.Evidence, max int) string {
	var b strings.Builder
	for i, e := range ev {
		if b.Len() >= max {
			break
		}
		if i > 0 {
			b.WriteString(pieceSep)
		}
		if e.Share != nil {
			fmt.Fprintf(&b, shareFormat, 100**e.Share)
		}
		if len(e.Frames) > 0 {
			b.WriteString(strings.Join(e.Frames, frameSep))
		} else {
			b.WriteString(pieceText(e))
		}
	}
	return truncate(b.String(), max)
}

// pieceText is the text of an evidence piece without frames.
func pieceText(e report.Evidence) string {
	switch {
	case e.Series != "" && e.Value != nil:
		return fmt.Sprintf("%s=%.4g", e.Series, *e.Value)
	case e.Series != "":
		return e.Series
	default:
		return e.Description
	}
}

func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ell = "…"
	cut := max - len(ell)
	if cut < 0 {
		return s[:0]
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
