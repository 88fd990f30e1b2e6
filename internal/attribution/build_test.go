package attribution

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// tprof describes one profile for tests: stacks are root→leaf frame specs
// "name", "name|file" or "[frametype]name|file".
type tprof struct {
	service     string
	sampleType  [2]string // type, unit
	periodType  [2]string
	period      int64
	profileName string // pyroscope.profile.name attribute
	samples     []tsample
}

type tsample struct {
	stack []string
	value int64 // appended to Values unless 0
	ts    int   // timestamps, one per event (eBPF)
}

func cpuNanos(service string, samples ...tsample) tprof {
	return tprof{service: service, sampleType: [2]string{"cpu", "nanoseconds"},
		periodType: [2]string{"cpu", "nanoseconds"}, period: 10_000_000, samples: samples}
}

// ebpf: samples/count at 20 Hz with one timestamp per event and no values.
func ebpf(service string, samples ...tsample) tprof {
	return tprof{service: service, sampleType: [2]string{"samples", "count"},
		periodType: [2]string{"cpu", "nanoseconds"}, period: 50_000_000, samples: samples}
}

// s is a CPU sample of n periods (10 ms each for cpuNanos).
func s(n int64, frames ...string) tsample { return tsample{stack: frames, value: n * 10_000_000} }

// ev is an eBPF sample with n timestamps.
func ev(n int, frames ...string) tsample { return tsample{stack: frames, ts: n} }

type tbuilder struct {
	pd    pprofile.Profiles
	strs  map[string]int32
	fns   map[[2]string]int32
	locs  map[string]int32
	attrs map[[2]string]int32
}

func newBuilder() *tbuilder {
	b := &tbuilder{pd: pprofile.NewProfiles(), strs: map[string]int32{}, fns: map[[2]string]int32{},
		locs: map[string]int32{}, attrs: map[[2]string]int32{}}
	d := b.pd.Dictionary()
	b.str("")
	d.FunctionTable().AppendEmpty()
	d.LocationTable().AppendEmpty()
	d.StackTable().AppendEmpty()
	d.AttributeTable().AppendEmpty()
	d.MappingTable().AppendEmpty()
	return b
}

func (b *tbuilder) str(s string) int32 {
	if i, ok := b.strs[s]; ok {
		return i
	}
	st := b.pd.Dictionary().StringTable()
	st.Append(s)
	b.strs[s] = int32(st.Len() - 1)
	return b.strs[s]
}

func (b *tbuilder) attr(k, v string) int32 {
	key := [2]string{k, v}
	if i, ok := b.attrs[key]; ok {
		return i
	}
	t := b.pd.Dictionary().AttributeTable()
	a := t.AppendEmpty()
	a.SetKeyStrindex(b.str(k))
	a.Value().SetStr(v)
	b.attrs[key] = int32(t.Len() - 1)
	return b.attrs[key]
}

func (b *tbuilder) loc(spec string) int32 {
	if i, ok := b.locs[spec]; ok {
		return i
	}
	ftype, rest := "", spec
	if strings.HasPrefix(spec, "[") {
		if j := strings.IndexByte(spec, ']'); j > 0 {
			ftype, rest = spec[1:j], spec[j+1:]
		}
	}
	name, file, _ := strings.Cut(rest, "|")
	fk := [2]string{name, file}
	fi, ok := b.fns[fk]
	if !ok {
		ft := b.pd.Dictionary().FunctionTable()
		f := ft.AppendEmpty()
		f.SetNameStrindex(b.str(name))
		f.SetFilenameStrindex(b.str(file))
		fi = int32(ft.Len() - 1)
		b.fns[fk] = fi
	}
	lt := b.pd.Dictionary().LocationTable()
	l := lt.AppendEmpty()
	l.Lines().AppendEmpty().SetFunctionIndex(fi)
	if ftype != "" {
		l.AttributeIndices().Append(b.attr("profile.frame.type", ftype))
	}
	b.locs[spec] = int32(lt.Len() - 1)
	return b.locs[spec]
}

// stack interns a root→leaf stack (stored leaf first).
func (b *tbuilder) stack(frames []string) int32 {
	st := b.pd.Dictionary().StackTable()
	s := st.AppendEmpty()
	for i := len(frames) - 1; i >= 0; i-- {
		s.LocationIndices().Append(b.loc(frames[i]))
	}
	return int32(st.Len() - 1)
}

func (b *tbuilder) add(ps ...tprof) *tbuilder {
	for _, p := range ps {
		rp := b.pd.ResourceProfiles().AppendEmpty()
		if p.service != "" {
			rp.Resource().Attributes().PutStr("service.name", p.service)
		}
		b.profile(rp.ScopeProfiles().AppendEmpty(), p)
	}
	return b
}

func (b *tbuilder) profile(sp pprofile.ScopeProfiles, p tprof) {
	pr := sp.Profiles().AppendEmpty()
	pr.SampleType().SetTypeStrindex(b.str(p.sampleType[0]))
	pr.SampleType().SetUnitStrindex(b.str(p.sampleType[1]))
	pr.PeriodType().SetTypeStrindex(b.str(p.periodType[0]))
	pr.PeriodType().SetUnitStrindex(b.str(p.periodType[1]))
	pr.SetPeriod(p.period)
	pr.SetTime(pcommon.Timestamp(1_700_000_000_000_000_000))
	pr.SetDurationNano(10_000_000_000)
	if p.profileName != "" {
		pr.AttributeIndices().Append(b.attr("pyroscope.profile.name", p.profileName))
	}
	for _, smp := range p.samples {
		o := pr.Samples().AppendEmpty()
		o.SetStackIndex(b.stack(smp.stack))
		if smp.value != 0 {
			o.Values().Append(smp.value)
		}
		for i := 0; i < smp.ts; i++ {
			o.TimestampsUnixNano().Append(uint64(1_700_000_000_000_000_000 + int64(i)*50_000_000))
		}
	}
}
