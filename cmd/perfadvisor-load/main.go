// Command perfadvisor-load measures what perfadvisor costs a collector.
//
// It sends realistic OTLP profiles (the repository's fixtures: runtime/pprof
// profiles converted to OTLP, OTLP fixtures, eBPF-profiler-shaped OTLP),
// re-stamped to now and spread over N services, plus fleet metrics
// (process.cpu.time per service), over OTLP/HTTP at a set rate.
//
// Modes:
//
//	paired  two collectors from the same binary, started together, one with
//	        perfadvisor in its profiles, metrics and logs pipelines and one
//	        without; every request goes to both; CPU time and RSS of each
//	        are read from /proc; R rounds; prints the with/without ratios.
//	soak    the with-perfadvisor collector alone at constant cardinality;
//	        RSS series and the slope of its second half; fails over a bound.
//	flood   100,000 distinct services, service versions, windows and
//	        rule-raising services at once, each kind against a fresh
//	        collector; RSS must stay under a bound and advice_dropped{reason}
//	        must count the overflow of the cap each kind reaches
//	        (max_services, max_versions, max_open_windows, max_findings).
//	inputs  writes the CLI's measurement files (a 1M-sample pprof, a gzip
//	        bomb, a pprof with a 2M-entry string table) into -inputs-dir.
//
// Every listener is on 127.0.0.1 and every collector is stopped by its pid
// when the run ends, fails or is interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "perfadvisor-load:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("perfadvisor-load", flag.ContinueOnError)
	o := options{out: os.Stdout}
	mode := fs.String("mode", "paired", "paired | soak | flood | inputs")
	inputsDir := fs.String("inputs-dir", "/tmp/perfadvisor-inputs", "inputs: where the CLI measurement files go")
	inputsFixture := fs.String("inputs-fixture", "testdata/fixtures/tls-a/cpu.pb.gz", "inputs: the pprof whose stacks large.pb.gz splices")
	inputsSamples := fs.Int("inputs-samples", 1_000_000, "inputs: samples in large.pb.gz")
	fs.StringVar(&o.collector, "collector", "_build/otelcol-perfadvisor", "the ocb-built collector binary")
	fs.StringVar(&o.fixtures, "fixtures", "testdata/fixtures", "fixture root (*/cpu.pb.gz, */profiles.pb)")
	fs.IntVar(&o.services, "services", 10, "distinct service.name values the profiles and metrics are spread over")
	fs.Float64Var(&o.rate, "rate", 200, "profile requests per second (each sent to every collector)")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "measured time per round (soak: the whole soak)")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "load before the measured time of a round (paired)")
	fs.IntVar(&o.rounds, "rounds", 3, "paired rounds, each with fresh collectors")
	fs.IntVar(&o.maxServices, "max-services", 0, "the processor's limits.max_services (0: its default)")
	fs.DurationVar(&o.metricsEvery, "metrics-interval", 10*time.Second, "fleet metrics for every service this often (0: none)")
	fs.IntVar(&o.workers, "workers", 32, "concurrent senders")
	fs.StringVar(&o.pprofDir, "pprof-dir", "", "paired: run both collectors with the pprof extension and write round 1's CPU profiles (over the measured time) and heap profiles (at its end) here")
	fs.IntVar(&o.maxFixtureKB, "max-fixture-kb", 64, "use only fixtures whose single-service request is at most this many KB (0: all)")
	fs.DurationVar(&o.sampleEvery, "sample", 0, "/proc sampling interval (default 1s; soak 10s)")
	fs.Float64Var(&o.soakMaxGrowth, "soak-max-growth-mb", 16, "soak fails when RSS grows more than this over the second half")
	fs.IntVar(&o.floodServices, "flood-services", 100000, "flood: distinct services")
	fs.IntVar(&o.floodBatch, "flood-batch", 200, "flood: services per request")
	fs.DurationVar(&o.floodSettle, "flood-settle", 30*time.Second, "flood: wait after sending before the last reading")
	fs.StringVar(&o.floodKinds, "flood-kinds", "all", "flood: all, or a comma list of services,versions,windows,findings")
	fs.Float64Var(&o.floodMaxRSS, "flood-max-rss-mb", 512, "flood: fail when the collector's peak RSS exceeds this")
	fs.BoolVar(&o.keepDir, "keep", false, "keep the temp dir with the collector configs and logs")
	fs.DurationVar(&o.stopGrace, "stop-grace", 15*time.Second, "SIGTERM to SIGKILL")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 60*time.Second, "wait for a collector to listen")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *mode == "inputs" {
		return writeInputs(*inputsDir, *inputsFixture, *inputsSamples, o.printf)
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("needs Linux (/proc)")
	}
	if o.services < 1 || o.rate <= 0 || o.rounds < 1 || o.duration <= 0 || o.workers < 1 || o.floodBatch < 1 {
		return fmt.Errorf("services, rate, rounds, duration, workers and flood-batch must be positive")
	}
	if _, err := os.Stat(o.collector); err != nil {
		return fmt.Errorf("collector binary: %w (run make build)", err)
	}
	if o.sampleEvery <= 0 {
		o.sampleEvery = time.Second
		if *mode == "soak" {
			o.sampleEvery = 10 * time.Second
		}
	}
	// SIGINT/SIGTERM end the run; the deferred cleanups stop the collectors.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch *mode {
	case "paired":
		return o.paired(ctx)
	case "soak":
		return o.soak(ctx)
	case "flood":
		return o.flood(ctx)
	}
	return fmt.Errorf("unknown -mode %q (paired, soak, flood)", *mode)
}
