package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Fixed OTLP/HTTP paths of the collector's otlp receiver.
const (
	profilesPath = "/v1development/profiles"
	metricsPath  = "/v1/metrics"
)

// poster sends the same OTLP/HTTP protobuf body to every target at once.
type poster struct {
	targets []string // base URLs, e.g. http://127.0.0.1:4318
	client  *http.Client

	sent, failed atomic.Int64
	bytes        atomic.Int64
	firstErr     atomic.Value // string
}

func newPoster(targets []string, conns int) *poster {
	tr := &http.Transport{MaxIdleConns: conns * len(targets), MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &poster{targets: targets, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// post sends body to every target concurrently and waits for all answers.
func (p *poster) post(ctx context.Context, path string, body []byte) {
	var wg sync.WaitGroup
	for _, t := range p.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.postOne(ctx, t+path, body); err != nil {
				if ctx.Err() != nil {
					return // the run is over; not the collector's fault
				}
				p.failed.Add(1)
				p.firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			p.sent.Add(1)
			p.bytes.Add(int64(len(body)))
		}()
	}
	wg.Wait()
}

func (p *poster) postOne(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func (p *poster) summary() string {
	s := fmt.Sprintf("%d posts ok, %d failed, %.1f MB", p.sent.Load(), p.failed.Load(), mb(p.bytes.Load()))
	if e, ok := p.firstErr.Load().(string); ok {
		s += "; first error: " + e
	}
	return s
}

// loadGen sends profile requests at a constant rate, cycling over templates
// and services, and fleet metrics for every service at a fixed interval.
type loadGen struct {
	templates     []template
	services      int
	rate          float64 // profile requests per second
	metricsEvery  time.Duration
	metricsPerReq int // services per metrics request
	workers       int

	skipped atomic.Int64 // requests not sent because every worker was busy
	issued  atomic.Int64
}

// run sends until ctx ends. start is the fleet metrics' start time.
func (g *loadGen) run(ctx context.Context, p *poster) {
	start := time.Now()
	jobs := make(chan int64, g.workers*4)
	var wg sync.WaitGroup
	for range g.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				t := g.templates[int(k%int64(len(g.templates)))]
				svc := serviceName(int(k % int64(g.services)))
				body, err := t.encode(svc, time.Now())
				if err != nil {
					p.failed.Add(1)
					p.firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				p.post(ctx, profilesPath, body)
			}
		}()
	}
	if g.metricsEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.metricsLoop(ctx, p, start)
		}()
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer func() {
		tick.Stop()
		close(jobs)
		wg.Wait()
	}()
	var k int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int64(g.rate * now.Sub(start).Seconds())
			for ; k < due; k++ {
				select {
				case jobs <- k:
					g.issued.Add(1)
				default:
					g.skipped.Add(1)
				}
			}
		}
	}
}

func (g *loadGen) metricsLoop(ctx context.Context, p *poster, start time.Time) {
	per := max(g.metricsPerReq, 1)
	t := time.NewTicker(g.metricsEvery)
	defer t.Stop()
	for {
		for lo := 0; lo < g.services; lo += per {
			ids := make([]int, 0, per)
			for i := lo; i < min(lo+per, g.services); i++ {
				ids = append(ids, i)
			}
			body, err := encodeMetrics(fleetMetrics(ids, start, time.Now()))
			if err == nil {
				p.post(ctx, metricsPath, body)
			}
			if ctx.Err() != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
