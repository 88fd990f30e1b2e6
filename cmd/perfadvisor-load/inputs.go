package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/google/pprof/profile"
	"google.golang.org/protobuf/encoding/protowire"
)

// writeInputs writes the CLI's measurement inputs into dir (mode "inputs"):
//
//	large.pb.gz     a runtime/pprof CPU profile of n samples whose stacks
//	                splice the fixture's real Go stacks (many distinct ones);
//	bomb.pb.gz      700 MB of zeros, gzipped (a gzip bomb);
//	strings.pb.gz   a valid pprof whose string table has 2,000,000 entries.
func writeInputs(dir, fixture string, n int, out func(string, ...any)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, w := range []struct {
		name  string
		write func(path string) error
	}{
		{"large.pb.gz", func(p string) error { return writeLargePprof(p, fixture, n) }},
		{"bomb.pb.gz", func(p string) error { return writeGzipZeros(p, 700_000_000) }},
		{"strings.pb.gz", func(p string) error { return writeStringTablePprof(p, 2_000_000) }},
	} {
		path := filepath.Join(dir, w.name)
		if err := w.write(path); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		out("wrote %s (%.1f MB)\n", path, mb(st.Size()))
	}
	return nil
}

// largeProfile splices the stacks of the fixture's samples: sample j is the
// leaf part of one fixture stack over the root part of another, so the
// frames are real Go frames and most stacks are distinct.
func largeProfile(fixture string, n int, seed uint64) (*profile.Profile, error) {
	f, err := os.Open(fixture)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := profile.Parse(f)
	if err != nil {
		return nil, err
	}
	if len(src.Sample) == 0 || len(src.SampleType) == 0 {
		return nil, fmt.Errorf("%s: no samples", fixture)
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	p := src.Copy()
	p.Sample = make([]*profile.Sample, 0, n)
	period := p.Period
	if period <= 0 {
		period = 10_000_000
	}
	for range n {
		a := src.Sample[r.IntN(len(src.Sample))].Location
		b := src.Sample[r.IntN(len(src.Sample))].Location
		k := 1 + r.IntN(len(a))
		m := r.IntN(len(b))
		locs := make([]*profile.Location, 0, k+len(b)-m)
		locs = append(locs, a[:k]...)
		locs = append(locs, b[m:]...)
		v := make([]int64, len(p.SampleType))
		v[0] = 1
		if len(v) > 1 {
			v[1] = period
		}
		p.Sample = append(p.Sample, &profile.Sample{Location: locs, Value: v})
	}
	return p, p.CheckValid()
}

func writeLargePprof(path, fixture string, n int) error {
	p, err := largeProfile(fixture, n, 1)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := p.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeGzipZeros writes n zero bytes, gzipped at the best compression.
func writeGzipZeros(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		f.Close()
		return err
	}
	zeros := make([]byte, 1<<20)
	for left := n; left > 0; left -= int64(len(zeros)) {
		if _, err := zw.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// appendStringTablePprof emits the protobuf of a small valid CPU profile (one
// function, one location, one sample) whose string table holds entries
// strings of about 110 bytes each, nearly all unreferenced.
func appendStringTablePprof(buf []byte, entries int, emit func([]byte) error) error {
	const (
		fSampleType = 1
		fSample     = 2
		fLocation   = 4
		fFunction   = 5
		fString     = 6
		fPeriodType = 11
		fPeriod     = 12
	)
	msg := func(b []byte, field protowire.Number, body []byte) []byte {
		b = protowire.AppendTag(b, field, protowire.BytesType)
		return protowire.AppendBytes(b, body)
	}
	varint := func(b []byte, field protowire.Number, v uint64) []byte {
		b = protowire.AppendTag(b, field, protowire.VarintType)
		return protowire.AppendVarint(b, v)
	}
	// Strings 1..4: samples, count, cpu, nanoseconds; 5: the function name.
	valueType := func(typ, unit uint64) []byte { return varint(varint(nil, 1, typ), 2, unit) }
	buf = msg(buf, fSampleType, valueType(1, 2))
	buf = msg(buf, fSampleType, valueType(3, 4))
	sample := msg(nil, 1, protowire.AppendVarint(nil, 1))
	sample = msg(sample, 2, protowire.AppendVarint(protowire.AppendVarint(nil, 1), 10_000_000))
	buf = msg(buf, fSample, sample)
	line := varint(varint(nil, 1, 1), 2, 42)
	buf = msg(buf, fLocation, msg(varint(nil, 1, 1), 4, line))
	buf = msg(buf, fFunction, varint(varint(varint(nil, 1, 1), 2, 5), 3, 5))
	buf = msg(buf, fPeriodType, valueType(3, 4))
	buf = varint(buf, fPeriod, 10_000_000)
	fixed := []string{"", "samples", "count", "cpu", "nanoseconds", "main.handle"}
	for i := range entries {
		var s string
		if i < len(fixed) {
			s = fixed[i]
		} else {
			s = fmt.Sprintf("github.com/example/service/internal/generated/pkg%07d.(*Handler).ServeHTTP.func%07d.%040d", i, i, i)
		}
		buf = protowire.AppendTag(buf, fString, protowire.BytesType)
		buf = protowire.AppendString(buf, s)
		if len(buf) > 1<<20 {
			if err := emit(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	return emit(buf)
}

func writeStringTablePprof(path string, entries int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	err = appendStringTablePprof(nil, entries, func(b []byte) error { _, err := zw.Write(b); return err })
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
