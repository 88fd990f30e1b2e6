// Package folded reads Brendan Gregg's collapsed stacks as Pyroscope's
// /ingest accepts them and turns them into a pprof profile.
//
//   - "folded" (Pyroscope's default "groups" format): `a;b;c 123` per line,
//     root first, the count after the last space.
//   - "lines": one stack per line, each line one sample.
//
// Like Pyroscope, a folded line without a space is skipped, a count that is
// not an integer fails the whole body, and empty stacks are dropped.
package folded

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/pprof/profile"
)

// Format names a body layout.
type Format int

const (
	Folded Format = iota // `stack value`
	Lines                // `stack`, value 1
)

// MaxLineBytes caps one line (Pyroscope's scanner stops at 64 KiB too).
const MaxLineBytes = 64 << 10

// Options are the /ingest query parameters that give the values a meaning.
type Options struct {
	// CPU says the values are on-CPU samples taken SampleRate times per
	// second; they become cpu/nanoseconds. Otherwise they keep Units.
	CPU        bool
	SampleRate int64
	Units      string // Pyroscope units: samples, objects, bytes, lock_samples, lock_nanoseconds, goroutines
}

// Parse reads body into a pprof profile. An empty result is an error: the
// body said nothing a profile can carry.
func Parse(body []byte, f Format, o Options) (*profile.Profile, error) {
	p := &profile.Profile{}
	period := int64(0)
	switch {
	case o.CPU:
		if o.SampleRate <= 0 {
			return nil, errors.New("CPU samples need a positive sampleRate")
		}
		period = 1e9 / o.SampleRate
		if period == 0 {
			return nil, fmt.Errorf("sampleRate %d is above 1e9", o.SampleRate)
		}
		p.SampleType = []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}}
		p.PeriodType = &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}
		p.Period = period
	default:
		typ, unit := valueType(o.Units)
		p.SampleType = []*profile.ValueType{{Type: typ, Unit: unit}}
	}

	b := builder{p: p, funcs: map[string]*profile.Function{}, samples: map[string]*profile.Sample{}}
	for line := range bytes.Lines(body) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > MaxLineBytes {
			return nil, fmt.Errorf("a line is longer than %d bytes", MaxLineBytes)
		}
		stack, n := line, int64(1)
		if f == Folded {
			i := bytes.LastIndexByte(line, ' ')
			if i < 0 {
				continue
			}
			v, err := strconv.ParseInt(string(line[i+1:]), 10, 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("count %.32q is not a non-negative integer", line[i+1:])
			}
			stack, n = line[:i], v
		}
		if n == 0 || len(bytes.TrimSpace(stack)) == 0 {
			continue
		}
		if period > 0 {
			if n > (1<<63-1)/period {
				return nil, fmt.Errorf("count %d overflows nanoseconds", n)
			}
			n *= period
		}
		if err := b.add(string(stack), n); err != nil {
			return nil, err
		}
	}
	if len(p.Sample) == 0 {
		return nil, errors.New("no stacks in the body")
	}
	return p, nil
}

// valueType maps Pyroscope's units to a pprof sample type.
func valueType(units string) (typ, unit string) {
	switch units {
	case "objects":
		return "objects", "count"
	case "bytes":
		return "space", "bytes"
	case "lock_samples":
		return "contentions", "count"
	case "lock_nanoseconds":
		return "delay", "nanoseconds"
	case "goroutines":
		return "goroutine", "count"
	}
	return "samples", "count"
}

type builder struct {
	p       *profile.Profile
	funcs   map[string]*profile.Function
	samples map[string]*profile.Sample
}

// add adds n to the stack's sample; frames are root first, pprof wants the
// leaf first. Equal stacks share one sample, as in Pyroscope.
func (b *builder) add(stack string, n int64) error {
	if s, ok := b.samples[stack]; ok {
		s.Value[0] += n
		if s.Value[0] < 0 {
			return errors.New("counts overflow")
		}
		return nil
	}
	frames := bytes.Split([]byte(stack), []byte(";"))
	locs := make([]*profile.Location, 0, len(frames))
	for i := len(frames) - 1; i >= 0; i-- {
		name := string(frames[i])
		if name == "" {
			continue
		}
		locs = append(locs, b.location(name))
	}
	if len(locs) == 0 {
		return nil
	}
	s := &profile.Sample{Location: locs, Value: []int64{n}}
	b.samples[stack] = s
	b.p.Sample = append(b.p.Sample, s)
	return nil
}

// location returns the one location of a function name (one per name, so
// the profile has no more locations than distinct frames).
func (b *builder) location(name string) *profile.Location {
	if f, ok := b.funcs[name]; ok {
		return b.p.Location[f.ID-1]
	}
	f := &profile.Function{ID: uint64(len(b.p.Function) + 1), Name: name, SystemName: name}
	b.p.Function = append(b.p.Function, f)
	b.funcs[name] = f
	l := &profile.Location{ID: uint64(len(b.p.Location) + 1), Line: []profile.Line{{Function: f}}}
	b.p.Location = append(b.p.Location, l)
	return l
}
