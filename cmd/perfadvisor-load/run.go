package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// options are the runner's flags.
type options struct {
	collector      string
	fixtures       string
	services       int
	rate           float64
	duration       time.Duration
	warmup         time.Duration
	rounds         int
	maxServices    int
	metricsEvery   time.Duration
	workers        int
	sampleEvery    time.Duration
	soakMaxGrowth  float64 // MB over the second half
	floodServices  int
	floodBatch     int
	floodSettle    time.Duration
	floodMaxRSS    float64 // MB
	floodKinds     string  // "all" or a comma list of floodKinds names
	maxFixtureKB   int     // 0: every fixture
	keepDir        bool
	pprofDir       string // paired: CPU and heap profiles of round 1's collectors go here
	stopGrace      time.Duration
	readyTimeout   time.Duration
	out            io.Writer
	templatesCache []template
}

func (o *options) templates() ([]template, error) {
	if o.templatesCache == nil {
		ts, err := loadTemplates(o.fixtures)
		if err != nil {
			return nil, err
		}
		if o.maxFixtureKB > 0 {
			var kept []template
			for _, t := range ts {
				if t.size <= o.maxFixtureKB<<10 {
					kept = append(kept, t)
				}
			}
			if len(kept) == 0 {
				return nil, fmt.Errorf("no fixture request is %d KB or less", o.maxFixtureKB)
			}
			ts = kept
		}
		o.templatesCache = ts
	}
	return o.templatesCache, nil
}

func (o *options) printf(format string, a ...any) { fmt.Fprintf(o.out, format, a...) }

// fleetOf starts the collectors of specs (all at once) in a new temp dir and
// returns them with a cleanup that stops each by its pid.
func (o *options) fleetOf(ctx context.Context, specs []collectorSpec) ([]*collector, func(), error) {
	dir, err := os.MkdirTemp("", "perfadvisor-load-")
	if err != nil {
		return nil, nil, err
	}
	var cs []*collector
	cleanup := func() {
		for _, c := range cs {
			if err := c.stop(o.stopGrace); err != nil {
				o.printf("warning: %v\n", err)
			}
		}
		if o.keepDir {
			o.printf("configs and logs kept in %s\n", dir)
		} else {
			os.RemoveAll(dir)
		}
	}
	for _, s := range specs {
		c, err := startCollector(o.collector, dir, s)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		if err := c.waitReady(ctx, o.readyTimeout); err != nil {
			cleanup()
			return nil, nil, err
		}
	}
	return cs, cleanup, nil
}

// specs returns collectors named by names; "with" has perfadvisor.
func (o *options) specs(names ...string) ([]collectorSpec, error) {
	ports, err := freePorts(3 * len(names))
	if err != nil {
		return nil, err
	}
	var out []collectorSpec
	for i, n := range names {
		s := collectorSpec{name: n, withAdvisor: n == "with", httpPort: ports[3*i], telPort: ports[3*i+1], maxServices: o.maxServices}
		if o.pprofDir != "" {
			s.pprofPort = ports[3*i+2]
		}
		out = append(out, s)
	}
	return out, nil
}

func targetsOf(cs []*collector) []string {
	var ts []string
	for _, c := range cs {
		ts = append(ts, fmt.Sprintf("http://127.0.0.1:%d", c.spec.httpPort))
	}
	return ts
}

// sampler reads /proc for each collector every interval until stopped.
type sampler struct {
	mu      sync.Mutex
	samples map[int][]procSample // by pid
	stopc   chan struct{}
	done    chan struct{}
}

func startSampler(cs []*collector, every time.Duration) *sampler {
	s := &sampler{samples: map[int][]procSample{}, stopc: make(chan struct{}), done: make(chan struct{})}
	read := func() {
		for _, c := range cs {
			if ps, err := readProc(c.pid()); err == nil {
				s.mu.Lock()
				s.samples[c.pid()] = append(s.samples[c.pid()], ps)
				s.mu.Unlock()
			}
		}
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		read()
		for {
			select {
			case <-s.stopc:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return s
}

func (s *sampler) stop() { close(s.stopc); <-s.done }

func (s *sampler) of(pid int) []procSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]procSample(nil), s.samples[pid]...)
}

// meanRSSAfter is the mean RSS (MB) of the samples taken at or after t.
func meanRSSAfter(ss []procSample, t time.Time) float64 {
	var xs []float64
	for _, p := range ss {
		if !p.at.Before(t) {
			xs = append(xs, mb(p.rss))
		}
	}
	return mean(xs)
}

func (o *options) newGen(ts []template) *loadGen {
	return &loadGen{templates: ts, services: o.services, rate: o.rate, metricsEvery: o.metricsEvery, metricsPerReq: 1000, workers: o.workers}
}

// roundResult is one paired round.
type roundResult struct {
	cpuWith, cpuWithout time.Duration // CPU over the measured period
	rssWith, rssWithout float64       // mean RSS (MB) over its second half
	hwmWith, hwmWithout float64       // peak RSS (MB) of the whole process life
}

// paired runs o.rounds rounds of the with/without pair on the same load and
// prints the CPU and RSS ratios.
func (o *options) paired(ctx context.Context) error {
	ts, err := o.templates()
	if err != nil {
		return err
	}
	var avg float64
	for _, t := range ts {
		avg += float64(t.size)
	}
	avg /= float64(len(ts))
	o.printf("perfadvisor-load: paired run, %d rounds x (%s warm-up + %s measured), %.0f profile req/s (%d fixtures, mean %.1f KB), %d services, fleet metrics every %s, max_services %d (0: default)\n",
		o.rounds, o.warmup, o.duration, o.rate, len(ts), avg/1024, o.services, o.metricsEvery, o.maxServices)
	var names []string
	for _, t := range ts {
		names = append(names, t.name)
	}
	o.printf("fixtures: %s\n", strings.Join(names, " "))
	var rs []roundResult
	for r := 1; r <= o.rounds; r++ {
		res, err := o.pairedRound(ctx, ts, r == 1 && o.pprofDir != "")
		if err != nil {
			return fmt.Errorf("round %d: %w", r, err)
		}
		rs = append(rs, res)
		o.printf("round %d: CPU with %.2fs without %.2fs ratio %.3f | RSS with %.1f MB without %.1f MB ratio %.3f | peak RSS %.1f / %.1f MB\n",
			r, res.cpuWith.Seconds(), res.cpuWithout.Seconds(), ratio(res.cpuWith.Seconds(), res.cpuWithout.Seconds()),
			res.rssWith, res.rssWithout, ratio(res.rssWith, res.rssWithout), res.hwmWith, res.hwmWithout)
	}
	var cpuR, rssR, rssW, rssWo []float64
	for _, r := range rs {
		cpuR = append(cpuR, ratio(r.cpuWith.Seconds(), r.cpuWithout.Seconds()))
		rssR = append(rssR, ratio(r.rssWith, r.rssWithout))
		rssW = append(rssW, r.rssWith)
		rssWo = append(rssWo, r.rssWithout)
	}
	o.printf("CPU ratio (with/without): %s\n", spreadOf(cpuR).format("x"))
	o.printf("RSS ratio (with/without): %s\n", spreadOf(rssR).format("x"))
	o.printf("RSS with: %s; without: %s\n", spreadOf(rssW).format(" MB"), spreadOf(rssWo).format(" MB"))
	return nil
}

func ratio(a, b float64) float64 { return a / b }

func (o *options) pairedRound(ctx context.Context, ts []template, profile bool) (roundResult, error) {
	specs, err := o.specs("with", "without")
	if err != nil {
		return roundResult{}, err
	}
	cs, cleanup, err := o.fleetOf(ctx, specs)
	if err != nil {
		return roundResult{}, err
	}
	defer cleanup()
	smp := startSampler(cs, o.sampleEvery)
	p := newPoster(targetsOf(cs), o.workers)
	gen := o.newGen(ts)
	gctx, stopGen := context.WithCancel(ctx)
	genDone := make(chan struct{})
	go func() { defer close(genDone); gen.run(gctx, p) }()
	defer func() { stopGen(); <-genDone; smp.stop() }()

	if err := sleepCtx(ctx, o.warmup); err != nil {
		return roundResult{}, err
	}
	w0, err0 := readProc(cs[0].pid())
	n0, err1 := readProc(cs[1].pid())
	if err := firstErr(err0, err1); err != nil {
		return roundResult{}, err
	}
	var profiled chan error
	if profile {
		profiled = make(chan error, 1)
		go func() { profiled <- o.profileCollectors(ctx, cs, o.duration-2*time.Second) }()
	}
	if err := sleepCtx(ctx, o.duration); err != nil {
		return roundResult{}, err
	}
	if profiled != nil {
		if err := <-profiled; err != nil {
			return roundResult{}, err
		}
	}
	w1, err0 := readProc(cs[0].pid())
	n1, err1 := readProc(cs[1].pid())
	if err := firstErr(err0, err1); err != nil {
		return roundResult{}, err
	}
	stopGen()
	<-genDone
	half := w0.at.Add(o.duration / 2)
	res := roundResult{
		cpuWith: w1.cpu - w0.cpu, cpuWithout: n1.cpu - n0.cpu,
		rssWith: meanRSSAfter(smp.of(cs[0].pid()), half), rssWithout: meanRSSAfter(smp.of(cs[1].pid()), half),
		hwmWith: mb(w1.hwm), hwmWithout: mb(n1.hwm),
	}
	o.printf("  load: %d issued (%.1f req/s), %d skipped (workers busy); %s\n",
		gen.issued.Load(), float64(gen.issued.Load())/(o.warmup+o.duration).Seconds(), gen.skipped.Load(), p.summary())
	if p.failed.Load() > 0 {
		return res, fmt.Errorf("%d posts failed: %s", p.failed.Load(), p.summary())
	}
	return res, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// rssSeries formats samples as "t=…s rss=… MB" lines.
func rssSeries(ss []procSample, from time.Time) string {
	var b strings.Builder
	for _, p := range ss {
		fmt.Fprintf(&b, "  t=%5.0fs rss=%7.1f MB cpu=%7.2fs\n", p.at.Sub(from).Seconds(), mb(p.rss), p.cpu.Seconds())
	}
	return b.String()
}
