package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profileCollectors writes a CPU profile of each collector over d and then a
// heap profile (in-use and allocated space) into o.pprofDir, named
// <collector>.cpu.pb.gz and <collector>.heap.pb.gz. Both collectors are
// profiled at the same time, so the profiler's own cost is the same for both.
func (o *options) profileCollectors(ctx context.Context, cs []*collector, d time.Duration) error {
	if err := os.MkdirAll(o.pprofDir, 0o755); err != nil {
		return err
	}
	secs := max(1, int(d.Seconds()))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", c.spec.pprofPort)
			errs[i] = fetchTo(ctx, base+fmt.Sprintf("profile?seconds=%d", secs), filepath.Join(o.pprofDir, c.spec.name+".cpu.pb.gz"))
			if errs[i] == nil {
				errs[i] = fetchTo(ctx, base+"heap?gc=1", filepath.Join(o.pprofDir, c.spec.name+".heap.pb.gz"))
			}
		}()
	}
	wg.Wait()
	if err := firstErr(errs...); err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	o.printf("  pprof: CPU (%ds) and heap profiles of both collectors in %s\n", secs, o.pprofDir)
	return nil
}

func fetchTo(ctx context.Context, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
