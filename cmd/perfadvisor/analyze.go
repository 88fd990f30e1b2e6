package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/inputfile"
	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

func cmdAnalyze(args []string, stdout io.Writer) error {
	failOn, args, err := takeRepeated(args, "fail-on")
	if err != nil {
		return err
	}
	a, err := parseArgs(args, inputFlags("format", "service", "config"), nil)
	if err != nil {
		return err
	}
	format, err := a.format("text", "json")
	if err != nil {
		return err
	}
	if len(a.files) == 0 {
		return usagef("analyze: no input files")
	}
	s, err := newSession(a)
	if err != nil {
		return err
	}
	// analyze only accumulates: samples the engine never reads (a Go CPU
	// profile's samples/count beside cpu/nanoseconds) need not be built.
	s.keep = analyzeKeep
	gates, err := s.gates(failOn, false, true)
	if err != nil {
		return err
	}
	res, err := s.analyze(a.files)
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report.Report{Findings: res.Findings, Services: res.Services}); err != nil {
			return err
		}
	} else {
		writeText(stdout, res, len(a.files))
	}
	return checkAnalyzeGates(gates, res)
}

// analyzeKeep selects the pprof samples analyze decodes (a variable so the
// tests can hold the result to that of decoding them all).
var analyzeKeep pprofconv.KeepSamples = attribution.SampleTypesRead

// session is one command's configuration and input options.
type session struct {
	cfg     *advisor.Config
	service string // --service: names data without a service attribute
	force   inputfile.Format
	lim     inputfile.Limits
	// keep: the pprof samples worth decoding into pdata, nil for all.
	keep pprofconv.KeepSamples
}

// inputFlags adds the flags of every command that reads input files.
func inputFlags(names ...string) []string {
	return append(names, "input-format", "max-file-bytes", "max-decompressed-bytes")
}

func newSession(a *cmdArgs) (*session, error) {
	cfg, err := loadConfig(a.flags["config"])
	if err != nil {
		return nil, err
	}
	force, err := inputfile.ParseFormat(a.flags["input-format"])
	if err != nil {
		return nil, usagef("--input-format: %v", err)
	}
	var lim inputfile.Limits
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"max-file-bytes", &lim.MaxFileBytes}, {"max-decompressed-bytes", &lim.MaxDecompressedBytes}} {
		v, ok := a.flags[f.name]
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, usagef("--%s %q: want a positive number of bytes", f.name, v)
		}
		*f.dst = n
	}
	return &session{cfg: cfg, service: a.flags["service"], force: force, lim: lim}, nil
}

// analyze reads every file into one replay of the advisor: all profiles of
// a service as one window, the metrics as one replay, at most one finding
// per (rule, service).
func (s *session) analyze(paths []string) (*advisor.Result, error) {
	adv, err := advisor.New(s.cfg, advisor.Replay, s.service)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	run := adv.NewRun()
	for _, path := range paths {
		f, err := s.read(path)
		if err != nil {
			return nil, err
		}
		if f.Metrics != nil {
			run.AddMetrics(*f.Metrics)
		}
		for _, pd := range f.Profiles {
			before := run.Dropped()
			if err := run.AddProfiles(pd); err != nil {
				// Accepting part of a file silently would skew the shares.
				return nil, fmt.Errorf("%s: %d profile(s) rejected: %v", path, run.Dropped()-before, err)
			}
		}
	}
	return run.Result(), nil
}
