package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// maxFixtureBytes caps one decompressed fixture; the bundled ones are < 2 MiB.
const maxFixtureBytes = 64 << 20

// demoCase is one bundled profile fixture, converted once and re-stamped each round.
type demoCase struct {
	Name     string
	Service  string
	Profiles pprofile.Profiles // every pprof input of the case, one resource each
}

// expectFile is the part of a fixture's expect.json the demo reads.
type expectFile struct {
	Service string   `json:"service"`
	Inputs  []string `json:"inputs"`
}

func readExpect(dir string) (expectFile, error) {
	var e expectFile
	b, err := os.ReadFile(filepath.Join(dir, "expect.json"))
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%s: %w", filepath.Join(dir, "expect.json"), err)
	}
	if e.Service == "" {
		return e, fmt.Errorf("%s: no service", filepath.Join(dir, "expect.json"))
	}
	return e, nil
}

// loadProfileCase converts a fixture's pprof inputs into one OTLP message,
// naming the service as its expect.json does.
func loadProfileCase(root, name string) (demoCase, error) {
	dir := filepath.Join(root, name)
	e, err := readExpect(dir)
	if err != nil {
		return demoCase{}, err
	}
	pd := pprofile.NewProfiles()
	b, err := pprofconv.NewBuilder(pd)
	if err != nil {
		return demoCase{}, err
	}
	n := 0
	for _, in := range e.Inputs {
		if !strings.HasSuffix(in, ".pb.gz") {
			continue // the demo sends pprof inputs; OTLP ones go through the e2e tests
		}
		data, err := os.ReadFile(filepath.Join(dir, in))
		if err != nil {
			return demoCase{}, err
		}
		res := map[string]string{"service.name": e.Service, "perfadvisor.demo.fixture": name}
		if err := b.AppendBytes(data, maxFixtureBytes, res); err != nil {
			return demoCase{}, fmt.Errorf("%s/%s: %w", name, in, err)
		}
		n++
	}
	if n == 0 {
		return demoCase{}, fmt.Errorf("%s: no pprof inputs", name)
	}
	return demoCase{Name: name, Service: e.Service, Profiles: pd}, nil
}

// loadMetricsCase reads a fixture's OTLP metrics JSON (one object per file).
func loadMetricsCase(root, name string) (pmetric.Metrics, error) {
	dir := filepath.Join(root, name)
	e, err := readExpect(dir)
	if err != nil {
		return pmetric.Metrics{}, err
	}
	all := pmetric.NewMetrics()
	for _, in := range e.Inputs {
		data, err := os.ReadFile(filepath.Join(dir, in))
		if err != nil {
			return pmetric.Metrics{}, err
		}
		md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(data)
		if err != nil {
			return pmetric.Metrics{}, fmt.Errorf("%s/%s: %w", name, in, err)
		}
		md.ResourceMetrics().MoveAndAppendTo(all.ResourceMetrics())
	}
	if all.DataPointCount() == 0 {
		return pmetric.Metrics{}, fmt.Errorf("%s: no metric points", name)
	}
	return all, nil
}
