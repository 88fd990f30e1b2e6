package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/perfadvisor/perfadvisor/internal/attribution"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/fleet"
	"github.com/perfadvisor/perfadvisor/internal/inputfile"
	"github.com/perfadvisor/perfadvisor/internal/report"
	"github.com/perfadvisor/perfadvisor/processor/perfadvisor"
)

func cmdAnalyze(args []string, stdout io.Writer) error {
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
	res, err := s.analyze(a.files)
	if err != nil {
		return err
	}
	rep := report.Report{Findings: res.findings}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	writeText(stdout, rep, res)
	return nil
}

// session is one command's catalog, options and input format.
type session struct {
	cfg   *perfadvisor.Config
	cat   *catalog.Catalog
	opts  attribution.Options
	force inputfile.Format
	lim   inputfile.Limits
}

// inputFlags adds the flags of every command that reads input files.
func inputFlags(names ...string) []string {
	return append(names, "input-format", "max-file-bytes", "max-decompressed-bytes")
}

func newSession(a *cmdArgs) (*session, error) {
	cfg, cat, err := loadConfig(a.flags["config"])
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
	opts := cfg.AnalyzerOptions()
	opts.DefaultService = a.flags["service"]
	return &session{
		cfg:   cfg,
		cat:   cat,
		opts:  opts,
		force: force,
		lim:   lim,
	}, nil
}

// result is what one set of files adds up to.
type result struct {
	findings []report.Finding
	window   *attribution.Window
	analyzer *attribution.Analyzer
	// signals by service, then rule: every profile rule's reading, active or not.
	signals map[string]map[string]report.Signal
	files   int
	metrics bool
}

// analyze reads every file, judges all profiles of a service as one window
// and the metrics as one replay, and returns at most one finding per
// (rule, service).
func (s *session) analyze(paths []string) (*result, error) {
	an, err := attribution.New(s.cat, s.opts)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	res := &result{window: attribution.NewWindow(), analyzer: an, signals: map[string]map[string]report.Signal{}}
	store := fleet.NewStore(fleet.Config{ServiceAttributes: s.opts.ServiceAttributes, DefaultService: s.opts.DefaultService, MaxServices: s.cfg.Limits.MaxServices}, s.cat)
	for _, path := range paths {
		f, err := inputfile.Read(path, s.force, s.lim)
		if err != nil {
			return nil, err
		}
		res.files++
		if f.Metrics != nil {
			store.Add(*f.Metrics)
			res.metrics = true
		}
		for _, pd := range f.Profiles {
			before := res.window.DroppedProfiles
			if err := an.Accumulate(pd, res.window); err != nil {
				// Accepting part of a file silently would skew the shares.
				return nil, fmt.Errorf("%s: %d profile(s) rejected: %v", path, res.window.DroppedProfiles-before, err)
			}
		}
	}

	type key struct{ rule, service string }
	seen := map[key]bool{}
	var out []report.Finding
	for _, name := range sortedServices(res.window) {
		st := res.window.Services[name]
		store.NoteProfiledInput(name) // its profiles, not metrics alone, judge its profile rules
		byRule := map[string]report.Signal{}
		for _, sig := range an.Evaluate(st) {
			byRule[sig.Rule] = sig
			if !sig.Active {
				continue
			}
			f := sig.Finding
			if f.Rule == "" {
				f.Rule = sig.Rule
			}
			if f.Service == "" {
				f.Service = sig.Service
			}
			k := key{f.Rule, f.Service}
			if seen[k] {
				continue
			}
			seen[k] = true
			if res.metrics {
				f.Evidence = append(f.Evidence, store.Evidence(f.Service, f.Rule)...)
			}
			out = append(out, f)
		}
		res.signals[name] = byRule
	}
	if res.metrics {
		for _, f := range store.Replay() {
			k := key{f.Rule, f.Service}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, f)
		}
	}
	report.Sort(out)
	res.findings = out
	return res, nil
}

func sortedServices(w *attribution.Window) []string {
	names := make([]string, 0, len(w.Services))
	for n := range w.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
