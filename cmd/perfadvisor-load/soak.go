package main

import (
	"context"
	"fmt"
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
