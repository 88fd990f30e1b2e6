package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/pprof/profile"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// pyroscopeCase is a fixture sent the way Grafana Alloy's pyroscope.write
// sends it: raw gzipped pprof over the Pyroscope push API, one series per
// profile type, named by the service_name label.
type pyroscopeCase struct {
	Name    string
	Service string
	inputs  []pyroscopeInput
}

type pyroscopeInput struct {
	name    string // the __name__ label: process_cpu, memory, block, mutex
	profile *profile.Profile
}

// pyroscopeName maps a fixture file to the profile type label Alloy sets.
func pyroscopeName(file string) string {
	switch {
	case strings.HasPrefix(file, "cpu"):
		return "process_cpu"
	case strings.HasPrefix(file, "alloc"), strings.HasPrefix(file, "heap"):
		return "memory"
	case strings.HasPrefix(file, "block"):
		return "block"
	case strings.HasPrefix(file, "mutex"):
		return "mutex"
	}
	return strings.TrimSuffix(file, ".pb.gz")
}

func loadPyroscopeCase(root, name string) (pyroscopeCase, error) {
	dir := filepath.Join(root, name)
	e, err := readExpect(dir)
	if err != nil {
		return pyroscopeCase{}, err
	}
	c := pyroscopeCase{Name: name, Service: e.Service}
	for _, in := range e.Inputs {
		if !strings.HasSuffix(in, ".pb.gz") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, in))
		if err != nil {
			return pyroscopeCase{}, err
		}
		p, err := pprofconv.Parse(data, maxFixtureBytes)
		if err != nil {
			return pyroscopeCase{}, fmt.Errorf("%s/%s: %w", name, in, err)
		}
		c.inputs = append(c.inputs, pyroscopeInput{name: pyroscopeName(in), profile: p})
	}
	if len(c.inputs) == 0 {
		return pyroscopeCase{}, fmt.Errorf("%s: no pprof inputs", name)
	}
	return c, nil
}

// pushRequest re-stamps the case's profiles to end at end and packs them as
// one push request.
func (c pyroscopeCase) pushRequest(end time.Time, fallback time.Duration) (*pushv1.PushRequest, error) {
	req := &pushv1.PushRequest{}
	for i, in := range c.inputs {
		p := in.profile.Copy()
		if p.DurationNanos <= 0 {
			p.DurationNanos = fallback.Nanoseconds()
		}
		p.TimeNanos = end.UnixNano() - p.DurationNanos
		var buf bytes.Buffer
		if err := p.Write(&buf); err != nil { // gzipped, as runtime/pprof serves it
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		req.Series = append(req.Series, &pushv1.RawProfileSeries{
			Labels: []*typesv1.LabelPair{
				{Name: "__name__", Value: in.name},
				{Name: "service_name", Value: c.Service},
			},
			Samples: []*pushv1.RawSample{{RawProfile: buf.Bytes(), ID: fmt.Sprintf("%s-%d-%d", c.Name, end.Unix(), i)}},
		})
	}
	return req, nil
}

// pyroscopePusher is a Pyroscope push API client, as pyroscope.write uses.
type pyroscopePusher struct {
	client pushv1connect.PusherServiceClient
}

func newPyroscopePusher(base string) *pyroscopePusher {
	hc := &http.Client{Timeout: 10 * time.Second}
	return &pyroscopePusher{client: pushv1connect.NewPusherServiceClient(hc, strings.TrimRight(base, "/"))}
}

func (p *pyroscopePusher) push(ctx context.Context, req *pushv1.PushRequest) error {
	if _, err := p.client.Push(ctx, connect.NewRequest(req)); err != nil {
		return fmt.Errorf("pyroscope push: %w", err)
	}
	return nil
}
