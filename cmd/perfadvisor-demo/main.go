// Command perfadvisor-demo feeds a running perfadvisor collector with the
// bundled real profiles and fleet metrics over OTLP/HTTP, re-stamped to the
// present, round after round, so advice shows up within a minute.
//
//	perfadvisor-demo [-endpoint http://127.0.0.1:4318] [-fixtures testdata/fixtures]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The cases the demo sends: real Go services with one problem each, the same
// problems in JVM/Python/native dialects, and two clean services.
const (
	defaultProfileCases = "regex-a,tls-a,kafka-a,db-a,dns-a,profiler-a,alloc-a,jvm-kafka-poll-a,python-regex-a,native-tls-a,regex-neg,dns-neg"
	defaultMetricsCases = "fleet-outlier-a"
)

type options struct {
	endpoint     string
	fixtures     string
	profileCases string
	metricsCases string
	interval     time.Duration
	step         time.Duration
	backfill     time.Duration
	rounds       int
	advice       string
	pyroscope    string
	pyroCases    string
}

// pyroscopeFeed is the part of the demo sent over the Pyroscope push API.
type pyroscopeFeed struct {
	cases  []pyroscopeCase
	pusher *pyroscopePusher
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "perfadvisor-demo:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("perfadvisor-demo", flag.ContinueOnError)
	fs.StringVar(&o.endpoint, "endpoint", "http://127.0.0.1:4318", "the collector's OTLP/HTTP base URL")
	fs.StringVar(&o.fixtures, "fixtures", "testdata/fixtures", "folder of fixture cases (each with expect.json)")
	fs.StringVar(&o.profileCases, "profiles", defaultProfileCases, "comma-separated profile cases to send")
	fs.StringVar(&o.metricsCases, "metrics", defaultMetricsCases, "comma-separated metrics cases to send (empty: none)")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "wall-clock pause between rounds while catching up")
	fs.DurationVar(&o.step, "step", 30*time.Second, "event time each round covers")
	fs.DurationVar(&o.backfill, "backfill", 10*time.Minute, "how far in the past the event-time clock starts")
	fs.IntVar(&o.rounds, "rounds", 0, "stop after this many rounds (0: until interrupted)")
	fs.StringVar(&o.advice, "advice", "", "the collector's Prometheus endpoint; when set, raised findings are printed as they change")
	fs.StringVar(&o.pyroscope, "pyroscope", "", "the collector's Pyroscope receiver URL; when set, the -pyroscope-cases go there instead of OTLP")
	fs.StringVar(&o.pyroCases, "pyroscope-cases", "profiler-a", "comma-separated profile cases to send over the Pyroscope push API")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.step <= 0 || o.interval <= 0 || o.backfill < 0 {
		return errors.New("-step and -interval must be positive, -backfill not negative")
	}

	var pyro *pyroscopeFeed
	viaPyroscope := map[string]bool{}
	if o.pyroscope != "" {
		pyro = &pyroscopeFeed{pusher: newPyroscopePusher(o.pyroscope)}
		for _, name := range splitList(o.pyroCases) {
			c, err := loadPyroscopeCase(o.fixtures, name)
			if err != nil {
				return err
			}
			pyro.cases = append(pyro.cases, c)
			viaPyroscope[name] = true
		}
	}
	var cases []demoCase
	for _, name := range splitList(o.profileCases) {
		if viaPyroscope[name] {
			continue
		}
		c, err := loadProfileCase(o.fixtures, name)
		if err != nil {
			return err
		}
		cases = append(cases, c)
	}
	metrics := pmetric.NewMetrics()
	for _, name := range splitList(o.metricsCases) {
		md, err := loadMetricsCase(o.fixtures, name)
		if err != nil {
			return err
		}
		md.ResourceMetrics().MoveAndAppendTo(metrics.ResourceMetrics())
	}
	fmt.Fprintf(out, "perfadvisor-demo: %d profiled services and %d metric series → %s\n",
		len(cases), metrics.ResourceMetrics().Len(), o.endpoint)
	if pyro != nil {
		fmt.Fprintf(out, "perfadvisor-demo: %d profiled services → Pyroscope push API at %s\n", len(pyro.cases), o.pyroscope)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return feed(ctx, o, newReplay(cases, metrics, o.step, time.Now().Add(-o.backfill)), newSender(o.endpoint), pyro, out)
}

// feed sends rounds until ctx ends or o.rounds are done. While the event-time
// clock is behind the present a round follows every interval; after that it
// waits for the clock, so no data is ever stamped in the future.
func feed(ctx context.Context, o options, r *replay, s *sender, pyro *pyroscopeFeed, out io.Writer) error {
	lastAdvice := ""
	for n := 1; o.rounds == 0 || n <= o.rounds; n++ {
		rd := r.next()
		if wait := time.Until(rd.End); wait > 0 {
			if !sleep(ctx, wait) {
				return nil
			}
		}
		var errs []error
		for _, pd := range rd.Profiles {
			if err := s.profiles(ctx, pd); err != nil {
				errs = append(errs, err)
			}
		}
		pushes := 0
		if pyro != nil {
			for _, c := range pyro.cases {
				req, err := c.pushRequest(rd.End, o.step)
				if err == nil {
					err = pyro.pusher.push(ctx, req)
				}
				if err != nil {
					errs = append(errs, err)
				}
				pushes++
			}
		}
		points := rd.Metrics.DataPointCount()
		if points > 0 {
			if err := s.metrics(ctx, rd.Metrics); err != nil {
				errs = append(errs, err)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		status := "ok"
		if len(errs) > 0 {
			status = fmt.Sprintf("%d failed, first: %v", len(errs), errs[0])
		}
		fmt.Fprintf(out, "round %d: event time %s, %d OTLP profile messages, %d Pyroscope pushes, %d metric points: %s\n",
			n, rd.End.UTC().Format(time.TimeOnly), len(rd.Profiles), pushes, points, status)
		if o.advice != "" {
			if fs, err := fetchAdvice(ctx, o.advice); err == nil {
				if a := formatAdvice(fs); a != lastAdvice {
					fmt.Fprintln(out, a)
					lastAdvice = a
				}
			}
		}
		if o.rounds != 0 && n == o.rounds {
			break
		}
		if !sleep(ctx, o.interval) {
			return nil
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
