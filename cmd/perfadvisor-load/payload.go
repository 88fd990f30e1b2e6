package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// maxFixtureBytes caps the decompressed size of one fixture profile.
const maxFixtureBytes = 64 << 20

// fallbackDuration is the duration given to a profile that carries none.
const fallbackDuration = 10 * time.Second

// template is one fixture profile, decoded once, from which requests are cut.
type template struct {
	mu   *sync.Mutex // guards pd while encode restamps it in place
	name string
	kind string // "pprof" (runtime/pprof converted to OTLP), "otlp" or "ebpf"
	pd   pprofile.Profiles
	// res are the resource attributes of pd's resources as read: a
	// marshalled pdata Map does not update an existing key in place (PutStr
	// appends a duplicate), so each request rebuilds them from these.
	res []map[string]any
	// strs is pd's string table as read: marshalling interns the strings of
	// resource attributes into it, so encode restores it before each request.
	strs []string
	size int // bytes of one single-service request built from it
}

// loadTemplates reads the profile fixtures under root: every */cpu.pb.gz
// (runtime/pprof, converted with pprofconv) and every */profiles.pb (OTLP;
// the ebpf-* ones in the eBPF profiler's shape). The order is stable.
func loadTemplates(root string) ([]template, error) {
	var out []template
	pprofs, err := filepath.Glob(filepath.Join(root, "*", "cpu.pb.gz"))
	if err != nil {
		return nil, err
	}
	otlps, err := filepath.Glob(filepath.Join(root, "*", "profiles.pb"))
	if err != nil {
		return nil, err
	}
	sort.Strings(pprofs)
	sort.Strings(otlps)
	for _, p := range pprofs {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		pd, err := pprofconv.FromPprofBytes(data, maxFixtureBytes, map[string]string{"service.name": "template"})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, newTemplate(filepath.Base(filepath.Dir(p)), "pprof", pd))
	}
	for _, p := range otlps {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		dir := filepath.Base(filepath.Dir(p))
		kind := "otlp"
		if len(dir) >= 5 && dir[:5] == "ebpf-" {
			kind = "ebpf"
		}
		out = append(out, newTemplate(dir, kind, pd))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no profile fixtures under %s (want */cpu.pb.gz or */profiles.pb)", root)
	}
	return out, nil
}

func newTemplate(name, kind string, pd pprofile.Profiles) template {
	t := template{mu: &sync.Mutex{}, name: name, kind: kind, pd: pd}
	for _, rp := range pd.ResourceProfiles().All() {
		t.res = append(t.res, rp.Resource().Attributes().AsRaw())
	}
	t.strs = pd.Dictionary().StringTable().AsRaw()
	if body, err := t.encode("size-probe", time.Now()); err == nil {
		t.size = len(body)
	}
	return t
}

// serviceName is the service.name of the i-th generated service.
func serviceName(i int) string { return fmt.Sprintf("load-svc-%06d", i) }

// request is a copy of the template whose every resource belongs to service
// and whose profiles end at end.
func (t template) request(service string, end time.Time) pprofile.Profiles {
	return t.multi([]string{service}, end)
}

// encode is the protobuf of request(service, end), made without copying the
// template: its service.name and times are rewritten in place under its lock.
func (t template) encode(service string, end time.Time) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pd.Dictionary().StringTable().FromRaw(t.strs)
	for i, rp := range t.pd.ResourceProfiles().All() {
		t.setResource(rp.Resource().Attributes(), i, service)
	}
	restamp(t.pd, end)
	return encodeProfiles(t.pd)
}

// multi is one request that carries the template's resources once per
// service: the dictionary is shared, so each extra service costs only its
// samples. Profiles end at end.
func (t template) multi(services []string, end time.Time) pprofile.Profiles {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pd.Dictionary().StringTable().FromRaw(t.strs)
	dst := pprofile.NewProfiles()
	t.pd.Dictionary().CopyTo(dst.Dictionary())
	src := t.pd.ResourceProfiles()
	rps := dst.ResourceProfiles()
	rps.EnsureCapacity(src.Len() * len(services))
	for _, svc := range services {
		for i := 0; i < src.Len(); i++ {
			rp := rps.AppendEmpty()
			src.At(i).CopyTo(rp)
			t.setResource(rp.Resource().Attributes(), i, svc)
		}
	}
	restamp(dst, end)
	return dst
}

// setResource makes attrs the i-th resource's attributes with service.name = service.
func (t template) setResource(attrs pcommon.Map, i int, service string) {
	attrs.Clear()
	attrs.EnsureCapacity(len(t.res[i]) + 1)
	keys := make([]string, 0, len(t.res[i]))
	for k := range t.res[i] {
		if k != "service.name" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // the same bytes for the same request
	for _, k := range keys {
		_ = attrs.PutEmpty(k).FromRaw(t.res[i][k])
	}
	attrs.PutStr("service.name", service)
}

// restamp moves every profile of pd to end at end, keeping its duration
// (fallbackDuration when it has none); sample timestamps move with it.
func restamp(pd pprofile.Profiles, end time.Time) {
	for _, rp := range pd.ResourceProfiles().All() {
		restampResource(rp, end)
	}
}

// restampResource is restamp for one resource's profiles.
func restampResource(rp pprofile.ResourceProfiles, end time.Time) {
	for _, sp := range rp.ScopeProfiles().All() {
		for _, p := range sp.Profiles().All() {
			d := time.Duration(p.DurationNano())
			if d <= 0 {
				d = fallbackDuration
				p.SetDurationNano(uint64(d))
			}
			start := pcommon.NewTimestampFromTime(end.Add(-d))
			var shift int64
			if p.Time() != 0 {
				shift = int64(start) - int64(p.Time())
			}
			p.SetTime(start)
			if shift == 0 {
				continue
			}
			for _, s := range p.Samples().All() {
				ts := s.TimestampsUnixNano()
				for i := 0; i < ts.Len(); i++ {
					ts.SetAt(i, uint64(int64(ts.At(i))+shift))
				}
			}
		}
	}
}

func encodeProfiles(pd pprofile.Profiles) ([]byte, error) {
	return pprofileotlp.NewExportRequestFromProfiles(pd).MarshalProto()
}

func encodeMetrics(md pmetric.Metrics) ([]byte, error) {
	return (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
}

// fleetMetrics is one process.cpu.time point (cumulative, per cpu.mode) per
// service, as the hostmetrics/process instrumentation writes it: service i
// uses 0.05 + (i%20)*0.05 cores, two thirds user and one third system, since
// start.
func fleetMetrics(services []int, start, now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	elapsed := now.Sub(start).Seconds()
	st := pcommon.NewTimestampFromTime(start)
	ts := pcommon.NewTimestampFromTime(now)
	for _, i := range services {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", serviceName(i))
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("perfadvisor-load")
		m := sm.Metrics().AppendEmpty()
		m.SetName("process.cpu.time")
		m.SetUnit("s")
		sum := m.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		cores := 0.05 + float64(i%20)*0.05
		for _, mode := range []struct {
			name  string
			share float64
		}{{"user", 2.0 / 3}, {"system", 1.0 / 3}} {
			dp := sum.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(st)
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(elapsed * cores * mode.share)
			dp.Attributes().PutStr("cpu.mode", mode.name)
		}
	}
	return md
}
