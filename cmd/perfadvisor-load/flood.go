package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pprofile"
)

// A flood sends N distinct items of one kind of state as fast as the
// collector takes them and checks that its RSS stays under a bound and that
// the processor counted the items over its cap in
// otelcol_processor_perfadvisor_advice_dropped{reason=…}.
type floodKind struct {
	name   string
	reason string // the advice_dropped reason its cap counts
	// fixture: the template sent (the smallest one when empty).
	fixture string
	// build makes the request of items [lo, hi) from t's resources.
	build func(t template, lo, hi int, now time.Time, window time.Duration) pprofile.Profiles
	// metrics: also send each item's fleet metrics (services only).
	metrics bool
	// raiseServices: limits.max_services is raised past N, so that the
	// kind's own cap is what the flood reaches (findings); N is then at most
	// twice the default max_findings, which is all the cap needs to show.
	raiseServices bool
	// closeWindows: after the flood, one request far enough ahead in event
	// time that every window of the flood is judged (findings).
	closeWindows bool
}

// defaultMaxFindings is the processor's limits.max_findings default.
const defaultMaxFindings = 10000

// floodWindow is the processor's default window, which the windows kind
// steps event time by.
const floodWindow = time.Minute

var floodKinds = []floodKind{
	{name: "services", reason: "max_services", metrics: true,
		build: func(t template, lo, hi int, now time.Time, _ time.Duration) pprofile.Profiles {
			return t.multi(serviceNames(lo, hi), now)
		}},
	// One service, a distinct service.version per item (limits: validation.max_versions).
	{name: "versions", reason: "max_versions",
		build: func(t template, lo, hi int, now time.Time, _ time.Duration) pprofile.Profiles {
			pd := t.multi(repeat(serviceName(0), hi-lo), now)
			perItem := pd.ResourceProfiles().Len() / (hi - lo)
			for i, rp := range pd.ResourceProfiles().All() {
				rp.Resource().Attributes().PutStr("service.version", fmt.Sprintf("v%07d", lo+i/perItem))
			}
			return pd
		}},
	// One service, each item a window of its own, oldest first (limits.max_open_windows).
	{name: "windows", reason: "max_open_windows",
		build: func(t template, lo, hi int, now time.Time, window time.Duration) pprofile.Profiles {
			pd := t.multi(repeat(serviceName(0), hi-lo), now)
			perItem := pd.ResourceProfiles().Len() / (hi - lo)
			n := hi // items still to come after this request's last are not known here: step back from now
			for i, rp := range pd.ResourceProfiles().All() {
				item := lo + i/perItem
				restampResource(rp, now.Add(-time.Duration(n-item)*window))
			}
			return pd
		}},
	// Distinct services whose profiles each raise a rule (limits.max_findings).
	{name: "findings", reason: "max_findings", fixture: "python-regex-a", raiseServices: true, closeWindows: true,
		build: func(t template, lo, hi int, now time.Time, _ time.Duration) pprofile.Profiles {
			return t.multi(serviceNames(lo, hi), now)
		}},
}

func serviceNames(lo, hi int) []string {
	names := make([]string, 0, hi-lo)
	for i := lo; i < hi; i++ {
		names = append(names, serviceName(i))
	}
	return names
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// flood runs the kinds named by o.floodKinds ("all" or a comma list), each
// against a fresh collector.
func (o *options) flood(ctx context.Context) error {
	var failed []string
	for _, k := range floodKinds {
		if o.floodKinds != "all" && !strings.Contains(","+o.floodKinds+",", ","+k.name+",") {
			continue
		}
		if err := o.floodOne(ctx, k); err != nil {
			o.printf("flood %s: FAIL: %v\n", k.name, err)
			failed = append(failed, k.name)
			if ctx.Err() != nil {
				break
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("flood failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

func (o *options) floodOne(ctx context.Context, k floodKind) error {
	ts, err := o.templates()
	if err != nil {
		return err
	}
	tpl := ts[0]
	for _, t := range ts {
		if (k.fixture == "" && t.size < tpl.size) || (k.fixture != "" && t.name == k.fixture) {
			tpl = t
		}
	}
	if k.fixture != "" && tpl.name != k.fixture {
		return fmt.Errorf("fixture %s not loaded (raise -max-fixture-kb?)", k.fixture)
	}
	n := o.floodServices
	saved := o.maxServices
	if k.raiseServices {
		n = min(n, 2*defaultMaxFindings)
		o.maxServices = n + 1
	}
	specs, err := o.specs("with")
	o.maxServices = saved
	if err != nil {
		return err
	}
	cs, cleanup, err := o.fleetOf(ctx, specs)
	if err != nil {
		return err
	}
	defer cleanup()
	c := cs[0]
	o.printf("perfadvisor-load: flood of %s, %d distinct, %d per request, fixture %s, RSS bound %.0f MB\n",
		k.name, n, o.floodBatch, tpl.name, o.floodMaxRSS)
	start := time.Now()
	smp := startSampler(cs, o.sampleEvery)
	before, err := readProc(c.pid())
	if err != nil {
		smp.stop()
		return err
	}
	p := newPoster(targetsOf(cs), o.workers)
	// The windows kind must arrive oldest first: one sender, in order.
	workers := max(o.workers, 1)
	if k.name == "windows" {
		workers = 1
	}
	batches := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range batches {
				hi := min(lo+o.floodBatch, n)
				now := time.Now()
				if body, err := encodeProfiles(k.build(tpl, lo, hi, now, floodWindow)); err == nil {
					p.post(ctx, profilesPath, body)
				}
				if !k.metrics {
					continue
				}
				ids := make([]int, 0, hi-lo)
				for i := lo; i < hi; i++ {
					ids = append(ids, i)
				}
				if body, err := encodeMetrics(fleetMetrics(ids, start, now)); err == nil {
					p.post(ctx, metricsPath, body)
				}
			}
		}()
	}
send:
	for lo := 0; lo < n; lo += o.floodBatch {
		select {
		case batches <- lo:
		case <-ctx.Done():
			break send
		}
	}
	close(batches)
	wg.Wait()
	sent := time.Since(start)
	if k.closeWindows {
		// Event time two windows and the lateness ahead: every flooded window is due.
		ahead := time.Now().Add(2*floodWindow + time.Minute)
		if body, err := encodeProfiles(tpl.request("load-flood-watermark", ahead)); err == nil {
			p.post(ctx, profilesPath, body)
		}
	}
	if err := sleepCtx(ctx, o.floodSettle); err != nil {
		smp.stop()
		return err
	}
	smp.stop()
	page, err := c.telemetry(ctx)
	if err != nil {
		return err
	}
	ss := smp.of(c.pid())
	after := ss[len(ss)-1]
	var peak int64
	for _, s := range ss {
		peak = max(peak, s.rss)
	}
	label := fmt.Sprintf("reason=%q", k.reason)
	dropped, found := promValue(page, "otelcol_processor_perfadvisor_advice_dropped", label)
	o.printf("RSS series:\n%s", rssSeries(ss, start))
	o.printf("sent in %.1fs (%.0f items/s); %s\n", sent.Seconds(), float64(n)/sent.Seconds(), p.summary())
	o.printf("RSS before %.1f MB, peak %.1f MB (VmHWM %.1f MB), after %s settle %.1f MB\n",
		mb(before.rss), mb(peak), mb(after.hwm), o.floodSettle, mb(after.rss))
	o.printf("otelcol_processor_perfadvisor_advice_dropped{%s} = %.0f (series found: %t)\n", label, dropped, found)
	var fails []string
	if p.failed.Load() > 0 {
		fails = append(fails, fmt.Sprintf("%d posts failed", p.failed.Load()))
	}
	if !(mb(after.hwm) <= o.floodMaxRSS) {
		fails = append(fails, fmt.Sprintf("peak RSS %.1f MB over the bound %.0f MB", mb(after.hwm), o.floodMaxRSS))
	}
	if !(dropped > 0) {
		fails = append(fails, fmt.Sprintf("advice_dropped{%s} is not above 0", label))
	}
	if len(fails) > 0 {
		return fmt.Errorf("%v", fails)
	}
	o.printf("flood %s: PASS\n", k.name)
	return nil
}
