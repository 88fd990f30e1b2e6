// Package jfr turns a Java Flight Recorder recording, as pyroscope-java and
// async-profiler write it, into pprof profiles, one per event type, after
// checking that the recording cannot make the parser allocate unboundedly.
package jfr

import (
	"fmt"
	"sort"
	"time"

	jfrpprof "github.com/grafana/jfr-parser/pprof"
	profilev1 "github.com/grafana/pyroscope/api/gen/proto/go/google/v1"
)

// DefaultSampleRate is what Pyroscope assumes when an upload names none.
const DefaultSampleRate = 100

// Profile is one event type's profile.
type Profile struct {
	Name  string // the Pyroscope profile name: process_cpu, wall, memory, mutex, block
	Pprof []byte // uncompressed pprof
}

// Result is what one recording becomes.
type Result struct {
	Profiles []Profile // sorted by name, then first sample type, for a stable output
	Event    string    // the profiler's main event (cpu, itimer, wall, alloc, lock), if recorded
}

// Input is what the request says about the recording.
type Input struct {
	Start, End time.Time
	SampleRate int64 // CPU and wall samples per second; 0 takes DefaultSampleRate
}

// Convert checks and converts a decompressed recording. labels is
// pyroscope-java's LabelsSnapshot (protobuf, decompressed), or nil.
func Convert(body, labels []byte, in Input) (res Result, err error) {
	var snap *jfrpprof.LabelsSnapshot
	var contextLabels func(uint64) int
	if len(labels) > 0 {
		snap = new(jfrpprof.LabelsSnapshot)
		if err := snap.UnmarshalVT(labels); err != nil {
			return Result{}, fmt.Errorf("jfr labels: %w", err)
		}
		contextLabels = func(id uint64) int {
			if c := snap.Contexts[int64(id)]; c != nil {
				return len(c.Labels)
			}
			return 0
		}
	}
	if err := Check(body, contextLabels); err != nil {
		return Result{}, fmt.Errorf("jfr: %w", err)
	}
	rate := in.SampleRate
	if rate <= 0 {
		rate = DefaultSampleRate
	}
	// jfr-parser recovers its own panics; this one guards the rest of the
	// conversion so that no recording can take the collector down.
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, fmt.Errorf("jfr: parser panic: %v", r)
		}
	}()
	parsed, err := jfrpprof.ParseJFR(body, &jfrpprof.ParseInput{StartTime: in.Start, EndTime: in.End, SampleRate: rate}, snap)
	if err != nil {
		return Result{}, fmt.Errorf("jfr: %w", err)
	}
	res.Event = parsed.JFREvent
	var keys []string
	for _, p := range parsed.Profiles {
		if p.Profile == nil || len(p.Profile.Sample) == 0 {
			continue
		}
		// The converter scales CPU and wall counts by the sampling period
		// but does not record the period; the engine needs it to count
		// samples.
		if p.Profile.Period == 0 && (p.Metric == "process_cpu" || p.Metric == "wall") {
			p.Profile.Period = 1e9 / rate
		}
		b, err := p.Profile.MarshalVT()
		if err != nil {
			return Result{}, fmt.Errorf("jfr: encoding %s: %w", p.Metric, err)
		}
		res.Profiles = append(res.Profiles, Profile{Name: p.Metric, Pprof: b})
		keys = append(keys, p.Metric+"/"+firstType(p.Profile.StringTable, p.Profile.SampleType))
	}
	sort.Sort(byKey{res.Profiles, keys})
	return res, nil
}

func firstType(strs []string, types []*profilev1.ValueType) string {
	if len(types) == 0 || types[0].Type < 0 || types[0].Type >= int64(len(strs)) {
		return ""
	}
	return strs[types[0].Type]
}

// byKey sorts profiles by name and first sample type (the parser's order
// is a map's).
type byKey struct {
	p    []Profile
	keys []string
}

func (b byKey) Len() int           { return len(b.p) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.p[i], b.p[j] = b.p[j], b.p[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}
