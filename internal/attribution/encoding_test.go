package attribution

import (
	"bytes"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/framename"
	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// encFrame is one frame of a mixed-runtime stack: what a py-spy --native
// pprof writes (name and file, no frame type) and the frame type an OTLP
// producer adds.
type encFrame struct {
	name, file string
	ftype      string // profile.frame.type in the OTLP form
}

// pySpyNativeStacks: Python frames, the confluent_kafka C extension,
// librdkafka, libpthread with a versioned symbol and kernel frames below,
// some unsymbolized, next to plain application samples.
func pySpyNativeStacks() (stacks [][]encFrame, counts []int64) {
	py := func(n, f string) encFrame { return encFrame{n, f, "cpython"} }
	nat := func(n, f string) encFrame { return encFrame{n, f, "native"} }
	kern := func(n string) encFrame { return encFrame{n, "", "kernel"} }
	top := []encFrame{nat("_start", ""), nat("__libc_start_main@@GLIBC_2.34", "libc.so.6"), nat("Py_RunMain", "libpython3.11.so.1.0"),
		py("<module>", "/app/consumer.py"), py("run", "/app/consumer.py")}
	poll := append(append([]encFrame{}, top...), nat("Consumer_poll", "/usr/lib/python3/site-packages/confluent_kafka/cimpl.cpython-311-x86_64-linux-gnu.so"),
		nat("rd_kafka_consumer_poll", "librdkafka.so.1"), nat("rd_kafka_q_pop_serve", "librdkafka.so.1"))
	wait := append(append([]encFrame{}, poll...), nat("pthread_cond_timedwait@@GLIBC_2.3.2", "libc.so.6"))
	sys := append(append([]encFrame{}, wait...), kern("entry_SYSCALL_64_after_hwframe"), kern("do_syscall_64"), kern("__x64_sys_futex"))
	unsym := append(append([]encFrame{}, wait...), kern("[kernel.kallsyms]"))
	memcpy := append(append([]encFrame{}, poll...), nat("__memcpy_avx_unaligned_erms@GLIBC_2.2.5", "libc.so.6"), kern("asm_exc_page_fault"))
	app := append(append([]encFrame{}, top...), py("handle", "/app/consumer.py"), py("dumps", "/usr/lib/python3.11/json/__init__.py"))
	return [][]encFrame{poll, wait, sys, unsym, memcpy, app}, []int64{9, 8, 12, 6, 8, 57}
}

// pprofForm encodes stacks as a py-spy style pprof (samples/count, 100 Hz).
func pprofForm(stacks [][]encFrame, counts []int64) *profile.Profile {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
		TimeNanos:  1_700_000_000_000_000_000, DurationNanos: 10_000_000_000,
	}
	fns := map[[2]string]*profile.Function{}
	locs := map[[2]string]*profile.Location{}
	for si, st := range stacks {
		smp := &profile.Sample{Value: []int64{counts[si]}}
		for i := len(st) - 1; i >= 0; i-- {
			key := [2]string{st[i].name, st[i].file}
			l, ok := locs[key]
			if !ok {
				f, ok := fns[key]
				if !ok {
					f = &profile.Function{ID: uint64(len(p.Function) + 1), Name: st[i].name, SystemName: st[i].name, Filename: st[i].file}
					fns[key] = f
					p.Function = append(p.Function, f)
				}
				l = &profile.Location{ID: uint64(len(p.Location) + 1), Line: []profile.Line{{Function: f}}}
				locs[key] = l
				p.Location = append(p.Location, l)
			}
			smp.Location = append(smp.Location, l)
		}
		p.Sample = append(p.Sample, smp)
	}
	return p
}

// otlpForm encodes the same stacks as the OTel eBPF profiler would: frame
// types on every location, one timestamp per event.
func otlpForm(stacks [][]encFrame, counts []int64) *tbuilder {
	var samples []tsample
	for si, st := range stacks {
		specs := make([]string, len(st))
		for i, f := range st {
			specs[i] = "[" + f.ftype + "]" + f.name + "|" + f.file
		}
		samples = append(samples, tsample{stack: specs, ts: int(counts[si])})
	}
	p := ebpf("svc", samples...)
	p.period = 10_000_000
	return newBuilder().add(p)
}

// The same samples give the same answer in every encoding: a mixed-runtime
// stack read from pprof (dialects inferred from the spelling) and from OTLP
// (dialects given per frame) is charged to the same rules.
func TestSameSamplesSameAnswerAcrossEncodings(t *testing.T) {
	stacks, counts := pySpyNativeStacks()
	a := newTestAnalyzer(t, Options{})

	var raw bytes.Buffer
	require.NoError(t, pprofForm(stacks, counts).WriteUncompressed(&raw))
	fromPprof, err := pprofconv.FromPprofBytes(raw.Bytes(), pprofconv.DefaultMaxBytes, map[string]string{"service.name": "svc"})
	require.NoError(t, err)
	wp := NewWindow()
	require.NoError(t, a.Accumulate(fromPprof, wp))
	wo := NewWindow()
	require.NoError(t, a.Accumulate(otlpForm(stacks, counts).pd, wo))

	sp, so := wp.Services["svc"], wo.Services["svc"]
	require.NotNil(t, sp)
	require.NotNil(t, so)
	assert.Equal(t, so.CPUValue, sp.CPUValue)
	assert.Equal(t, so.CPUSamples, sp.CPUSamples)
	require.NotNil(t, so.Rules["kafka_poll_inefficiency"])
	assert.InDelta(t, 0.43, so.Rules["kafka_poll_inefficiency"].CPUValue/so.CPUValue, 1e-9)
	assert.Equal(t, len(so.Rules), len(sp.Rules))
	for id, ro := range so.Rules {
		rp := sp.Rules[id]
		require.NotNil(t, rp, "pprof form lacks %s", id)
		assert.Equal(t, ro.CPUValue, rp.CPUValue, id)
		assert.Equal(t, ro.Samples, rp.Samples, id)
		assert.Equal(t, ro.Tags, rp.Tags, id)
	}
	assert.Equal(t, a.Coverage(so).Runtimes, a.Coverage(sp).Runtimes)
	assert.Equal(t, []string{"native", "python"}, a.Coverage(so).Runtimes)
}

// Every frame of the fixture stacks keeps its dialect without a frame type.
func TestPySpyNativeFramesInferredDialect(t *testing.T) {
	stacks, _ := pySpyNativeStacks()
	for _, st := range stacks {
		for _, f := range st {
			got := framename.Normalize(f.name, f.file, framename.Unknown).Dialect
			want := framename.FromFrameType(f.ftype)
			if want == framename.Kernel {
				want = framename.Native // without a frame type kernel symbols read as native: same signatures
			}
			if got != want && !(want == framename.Native && got == framename.Kernel) {
				t.Errorf("%q (%q): inferred %v, want %v", f.name, f.file, got, want)
			}
		}
	}
}
