package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// soak runs the with-perfadvisor collector alone at constant cardinality for
// o.duration, sampling RSS every o.sampleEvery, and fails when RSS grows more
// than o.soakMaxGrowth MB over the second half (least-squares slope times
// the half's length).
func (o *options) soak(ctx context.Context) error {
	ts, err := o.templates()
	if err != nil {
		return err
	}
	specs, err := o.specs("with")
	if err != nil {
		return err
	}
	cs, cleanup, err := o.fleetOf(ctx, specs)
	if err != nil {
		return err
	}
	defer cleanup()
	o.printf("perfadvisor-load: soak, %s at %.0f profile req/s over %d services (constant), RSS every %s, bound %.1f MB growth over the second half\n",
		o.duration, o.rate, o.services, o.sampleEvery, o.soakMaxGrowth)
	start := time.Now()
	smp := startSampler(cs, o.sampleEvery)
	p := newPoster(targetsOf(cs), o.workers)
	gen := o.newGen(ts)
	gctx, stopGen := context.WithCancel(ctx)
	genDone := make(chan struct{})
	go func() { defer close(genDone); gen.run(gctx, p) }()
	err = sleepCtx(ctx, o.duration)
	stopGen()
	<-genDone
	smp.stop()
	if err != nil {
		return err
	}
	ss := smp.of(cs[0].pid())
	o.printf("RSS series:\n%s", rssSeries(ss, start))
	o.printf("load: %d issued, %d skipped; %s\n", gen.issued.Load(), gen.skipped.Load(), p.summary())
	if p.failed.Load() > 0 {
		return fmt.Errorf("%d posts failed", p.failed.Load())
	}
	half := start.Add(o.duration / 2)
	var x, y []float64
	for _, s := range ss {
		if !s.at.Before(half) {
			x = append(x, s.at.Sub(start).Minutes())
			y = append(y, mb(s.rss))
		}
	}
	sl := slope(x, y)
	growth := sl * (o.duration / 2).Minutes()
	o.printf("second half: %d samples, RSS %.1f → %.1f MB, slope %.3f MB/min, fitted growth %.1f MB (bound %.1f MB)\n",
		len(y), y[0], y[len(y)-1], sl, growth, o.soakMaxGrowth)
	if !(growth <= o.soakMaxGrowth) {
		return fmt.Errorf("soak: RSS grew %.1f MB over the second half (slope %.3f MB/min), more than the bound %.1f MB", growth, sl, o.soakMaxGrowth)
	}
	o.printf("soak: PASS\n")
	return nil
}

// flood sends o.floodServices distinct services (profiles and fleet metrics,
// o.floodBatch services per request) as fast as the collector takes them,
// lets it settle, and checks that RSS stayed under o.floodMaxRSS MB and that
// the processor counted the services over its cap in
// otelcol_processor_perfadvisor_advice_dropped{reason="max_services"}.
func (o *options) flood(ctx context.Context) error {
	ts, err := o.templates()
	if err != nil {
		return err
	}
	small := ts[0]
	for _, t := range ts {
		if t.size < small.size {
			small = t
		}
	}
	specs, err := o.specs("with")
	if err != nil {
		return err
	}
	cs, cleanup, err := o.fleetOf(ctx, specs)
	if err != nil {
		return err
	}
	defer cleanup()
	c := cs[0]
	o.printf("perfadvisor-load: flood, %d distinct services, %d per request, fixture %s (%d B per service-request), RSS bound %.0f MB\n",
		o.floodServices, o.floodBatch, small.name, small.size, o.floodMaxRSS)
	start := time.Now()
	smp := startSampler(cs, o.sampleEvery)
	before, err := readProc(c.pid())
	if err != nil {
		smp.stop()
		return err
	}
	p := newPoster(targetsOf(cs), o.workers)
	batches := make(chan int)
	var wg sync.WaitGroup
	for range max(o.workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range batches {
				hi := min(lo+o.floodBatch, o.floodServices)
				names := make([]string, 0, hi-lo)
				ids := make([]int, 0, hi-lo)
				for i := lo; i < hi; i++ {
					names = append(names, serviceName(i))
					ids = append(ids, i)
				}
				now := time.Now()
				if body, err := encodeProfiles(small.multi(names, now)); err == nil {
					p.post(ctx, profilesPath, body)
				}
				if body, err := encodeMetrics(fleetMetrics(ids, start, now)); err == nil {
					p.post(ctx, metricsPath, body)
				}
			}
		}()
	}
send:
	for lo := 0; lo < o.floodServices; lo += o.floodBatch {
		select {
		case batches <- lo:
		case <-ctx.Done():
			break send
		}
	}
	close(batches)
	wg.Wait()
	sent := time.Since(start)
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
	dropped, found := promValue(page, "otelcol_processor_perfadvisor_advice_dropped", `reason="max_services"`)
	o.printf("RSS series:\n%s", rssSeries(ss, start))
	o.printf("sent in %.1fs (%.0f services/s); %s\n", sent.Seconds(), float64(o.floodServices)/sent.Seconds(), p.summary())
	o.printf("RSS before %.1f MB, peak %.1f MB (VmHWM %.1f MB), after %s settle %.1f MB\n",
		mb(before.rss), mb(peak), mb(after.hwm), o.floodSettle, mb(after.rss))
	o.printf("otelcol_processor_perfadvisor_advice_dropped{reason=\"max_services\"} = %.0f (series found: %t)\n", dropped, found)
	var fails []string
	if p.failed.Load() > 0 {
		fails = append(fails, fmt.Sprintf("%d posts failed", p.failed.Load()))
	}
	if !(mb(after.hwm) <= o.floodMaxRSS) {
		fails = append(fails, fmt.Sprintf("peak RSS %.1f MB over the bound %.0f MB", mb(after.hwm), o.floodMaxRSS))
	}
	if !(dropped > 0) {
		fails = append(fails, "advice_dropped{reason=\"max_services\"} is not above 0")
	}
	if len(fails) > 0 {
		return fmt.Errorf("flood: %v", fails)
	}
	o.printf("flood: PASS\n")
	return nil
}
