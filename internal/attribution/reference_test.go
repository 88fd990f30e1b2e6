package attribution

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/framename"
	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// refFrame is one frame as the reference walker sees it: what the producer
// wrote, before any memo.
type refFrame struct {
	name, file string
	hint       framename.Dialect
}

// refTotals is what one rule adds up to over a profile.
type refTotals struct {
	cpu, events float64
	tags        map[string]float64
}

// refCharged says, frame by frame and without bitmasks, which rules one
// stack (frames root→leaf, already cut to the classified depth) is charged
// to, and with which tags. For each rule: the root-most frame that is a root
// or an exclusion decides; an exclusion there (at or above any root) means
// no charge; a root arms the rule, and any cut-off strictly below it takes
// the charge away. Tags are those of any frame of the stack, kept only for
// charged rules.
func refCharged(a *Analyzer, frames []refFrame) (rules []bool, tags []bool) {
	cls := make([]*fnClass, len(frames))
	for i, f := range frames {
		cls[i] = refClass(a, f)
	}
	rules = make([]bool, len(a.rules))
	for ri, r := range a.rules {
		armedAt := -1
		for i, c := range cls {
			if c.excl&r.bit != 0 {
				break
			}
			if c.root&r.bit != 0 {
				armedAt = i
				break
			}
		}
		if armedAt < 0 {
			continue
		}
		charged := true
		for _, c := range cls[armedAt+1:] {
			if (c.cut|c.notPass)&r.bit != 0 {
				charged = false
				break
			}
		}
		rules[ri] = charged
	}
	tags = make([]bool, len(a.tags))
	for ti, t := range a.tags {
		if !rules[t.rule] {
			continue
		}
		bit := uint64(1) << uint(ti)
		for _, c := range cls {
			if c.tags&bit != 0 {
				tags[ti] = true
				break
			}
		}
	}
	return rules, tags
}

// refClasses memoizes classification, which is not what the reference
// checks (and runs a regexp per pattern).
var refClasses sync.Map

func refClass(a *Analyzer, f refFrame) *fnClass {
	if c, ok := refClasses.Load(f); ok {
		return c.(*fnClass)
	}
	c := a.compute(f.name, f.file, f.hint)
	refClasses.Store(f, c)
	return c
}

// refStackFrames expands a stack of the dictionary into frames root→leaf:
// locations leaf first, each location's lines leaf first, the root side
// kept when the stack is deeper than maxDepth locations.
func refStackFrames(d pprofile.ProfilesDictionary, si int32, maxDepth int) []refFrame {
	locs := d.StackTable().At(int(si)).LocationIndices()
	stop := 0
	if locs.Len() > maxDepth {
		stop = locs.Len() - maxDepth
	}
	var out []refFrame
	for i := locs.Len() - 1; i >= stop; i-- {
		l := d.LocationTable().At(int(locs.At(i)))
		hint := framename.Unknown
		for _, ai := range l.AttributeIndices().All() {
			kv := d.AttributeTable().At(int(ai))
			if d.StringTable().At(int(kv.KeyStrindex())) == frameTypeAttr {
				if hint = framename.FromFrameType(kv.Value().AsString()); hint != framename.Unknown {
					break
				}
			}
		}
		if l.Lines().Len() == 0 {
			out = append(out, refFrame{hint: hint})
			continue
		}
		for j := l.Lines().Len() - 1; j >= 0; j-- {
			f := d.FunctionTable().At(int(l.Lines().At(j).FunctionIndex()))
			out = append(out, refFrame{
				name: d.StringTable().At(int(f.NameStrindex())),
				file: d.StringTable().At(int(f.FilenameStrindex())),
				hint: hint,
			})
		}
	}
	return out
}

// refAccumulate totals one cpu/nanoseconds profile per rule the plain way.
func refAccumulate(a *Analyzer, pd pprofile.Profiles) map[string]*refTotals {
	out := map[string]*refTotals{}
	d := pd.Dictionary()
	p := pd.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0)
	period := float64(p.Period())
	for _, s := range p.Samples().All() {
		var w float64
		for _, v := range s.Values().All() {
			w += float64(v)
		}
		if w == 0 {
			continue
		}
		rules, tags := refCharged(a, refStackFrames(d, s.StackIndex(), a.opts.MaxStackDepth))
		for ri, ok := range rules {
			if !ok {
				continue
			}
			id := a.rules[ri].rule.ID
			if out[id] == nil {
				out[id] = &refTotals{tags: map[string]float64{}}
			}
			out[id].cpu += w
			out[id].events += w / period
		}
		for ti, ok := range tags {
			if ok {
				out[a.rules[a.tags[ti].rule].rule.ID].tags[a.tags[ti].name] += w
			}
		}
	}
	return out
}

// refPool is the frame vocabulary of the differential fuzz test: every
// fixture frame the catalog has an opinion on (root, exclusion, cut-off,
// tag), a share of the rest as noise, and hand-written spellings of
// producers the fixtures lack.
var refPool = sync.OnceValue(func() []refFrame {
	extra := []refFrame{
		{name: "compile (re/_compiler.py)"}, {name: "_compile", file: "/usr/lib/python3.12/re/__init__.py"},
		{name: "_find_and_load", file: "<frozen importlib._bootstrap>"}, {name: "kafka.consumer.group:poll"},
		{name: "System.Text.RegularExpressions.Regex..ctor"}, {name: "System.Text.RegularExpressions.RegexParser.Parse"},
		{name: "lookup", file: "node:dns"}, {name: "onlookup", file: "node:dns"}, {name: "node::Start", hint: framename.Native},
		{name: "_start", hint: framename.Native}, {name: "SSL_do_handshake", hint: framename.Native},
		{name: "rd_kafka_consume_batch"}, {name: "pthread_cond_timedwait@@GLIBC_2.3.2"},
		{name: "entry_SYSCALL_64", hint: framename.Kernel}, {name: "main.handler", file: "main.go"},
		{name: "regexp.Compile", file: "regexp/regexp.go", hint: framename.Go}, {name: "runtime.doInit1", hint: framename.Go},
		{name: "java.util.regex.Pattern java.util.regex.Pattern.compile(java.lang.String)", hint: framename.JVM},
		{name: "Foo.<clinit>", hint: framename.JVM}, {name: "runtime.mallocgc"}, {name: "runtime.gcBgMarkWorker"},
	}
	seen := map[refFrame]bool{}
	var interesting, noise []refFrame
	a := refAnalyzer()
	add := func(f refFrame) {
		if seen[f] {
			return
		}
		seen[f] = true
		c := refClass(a, f)
		if c.root|c.excl|c.cut|c.notPass|c.tags != 0 {
			interesting = append(interesting, f)
		} else {
			noise = append(noise, f)
		}
	}
	for _, f := range extra {
		add(f)
	}
	files, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*"))
	for _, path := range files {
		pd, ok := refLoad(path)
		if !ok {
			continue
		}
		d := pd.Dictionary()
		for si := 0; si < d.StackTable().Len(); si++ {
			for _, f := range refStackFrames(d, int32(si), 1<<30) {
				add(f)
			}
		}
	}
	sort.Slice(interesting, func(i, j int) bool { return refLess(interesting[i], interesting[j]) })
	sort.Slice(noise, func(i, j int) bool { return refLess(noise[i], noise[j]) })
	if len(noise) > len(interesting) {
		noise = noise[:len(interesting)]
	}
	return append(interesting, noise...)
})

func refLess(x, y refFrame) bool {
	if x.name != y.name {
		return x.name < y.name
	}
	if x.file != y.file {
		return x.file < y.file
	}
	return x.hint < y.hint
}

// refLoad reads a fixture profile, else !ok.
func refLoad(path string) (pprofile.Profiles, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return pprofile.Profiles{}, false
	}
	switch {
	case strings.HasSuffix(path, ".pb.gz"):
		pd, err := pprofconv.FromPprofBytes(data, pprofconv.DefaultMaxBytes, nil)
		return pd, err == nil
	case strings.HasSuffix(path, ".pb"):
		pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(data)
		return pd, err == nil
	}
	return pprofile.Profiles{}, false
}

var refAnalyzer = sync.OnceValue(func() *Analyzer {
	cat, err := catalog.Default()
	if err != nil {
		panic(err)
	}
	// A shallow depth cap so the fuzzer reaches truncated stacks.
	a, err := New(cat, Options{DefaultService: "ref", MaxStackDepth: 24})
	if err != nil {
		panic(err)
	}
	return a
})

// buildRefProfile builds one valid cpu/nanoseconds profile from fuzz bytes:
// functions from the pool, locations of one to three (inlined) lines with
// or without a frame type, stacks of up to 40 locations, samples of 1–8
// periods.
func buildRefProfile(data []byte, pool []refFrame) pprofile.Profiles {
	r := &fuzzReader{b: data}
	pd := pprofile.NewProfiles()
	d := pd.Dictionary()
	strs := map[string]int32{}
	str := func(s string) int32 {
		if i, ok := strs[s]; ok {
			return i
		}
		d.StringTable().Append(s)
		strs[s] = int32(d.StringTable().Len() - 1)
		return strs[s]
	}
	str("")
	types := []string{"", "go", "jvm", "cpython", "native", "kernel", "v8js", "dotnet"}
	for _, t := range types[1:] {
		kv := d.AttributeTable().AppendEmpty()
		kv.SetKeyStrindex(str(frameTypeAttr))
		kv.Value().SetStr(t)
	}
	nf := 1 + r.u8()%48
	for i := 0; i < nf; i++ {
		f := pool[(r.u8()<<8|r.u8())%len(pool)]
		fn := d.FunctionTable().AppendEmpty()
		fn.SetNameStrindex(str(f.name))
		fn.SetFilenameStrindex(str(f.file))
		// The pool's own frame type, now and then another one.
		ft := types[refTypeIndex(f.hint)]
		if r.u8()%8 == 0 {
			ft = types[r.u8()%len(types)]
		}
		l := d.LocationTable().AppendEmpty()
		l.Lines().AppendEmpty().SetFunctionIndex(int32(i))
		if ft != "" {
			l.AttributeIndices().Append(int32(refTypeIndex(framename.FromFrameType(ft)) - 1))
		}
	}
	// Inlined locations: up to three functions in one location.
	for i, n := 0, r.u8()%12; i < n; i++ {
		l := d.LocationTable().AppendEmpty()
		for j, m := 0, r.u8()%4; j < m; j++ {
			l.Lines().AppendEmpty().SetFunctionIndex(int32(r.u8() % nf))
		}
	}
	nl := d.LocationTable().Len()
	p := pd.ResourceProfiles().AppendEmpty().ScopeProfiles().AppendEmpty().Profiles().AppendEmpty()
	p.SampleType().SetTypeStrindex(str("cpu"))
	p.SampleType().SetUnitStrindex(str("nanoseconds"))
	p.PeriodType().SetTypeStrindex(str("cpu"))
	p.PeriodType().SetUnitStrindex(str("nanoseconds"))
	p.SetPeriod(10_000_000)
	p.SetTime(pcommon.Timestamp(1_700_000_000_000_000_000))
	p.SetDurationNano(10_000_000_000)
	for i, n := 0, 1+r.u8()%16; i < n; i++ {
		st := d.StackTable().AppendEmpty()
		for j, m := 0, r.u8()%40; j < m; j++ {
			st.LocationIndices().Append(int32(r.u8() % nl))
		}
		for k, q := 0, 1+r.u8()%3; k < q; k++ {
			s := p.Samples().AppendEmpty()
			s.SetStackIndex(int32(d.StackTable().Len() - 1))
			s.Values().Append(int64(1+r.u8()%8) * 10_000_000)
		}
	}
	return pd
}

// refTypeIndex is the index in buildRefProfile's types of a dialect's frame type.
func refTypeIndex(d framename.Dialect) int {
	switch d {
	case framename.Go:
		return 1
	case framename.JVM:
		return 2
	case framename.Python:
		return 3
	case framename.Native:
		return 4
	case framename.Kernel:
		return 5
	case framename.Node:
		return 6
	case framename.DotNet:
		return 7
	}
	return 0
}

// FuzzWalkerMatchesReference checks the bit-packed walk against the plain
// one: on random dictionaries and stacks of real and noise frames, per rule
// CPU, samples and tags must be equal exactly.
func FuzzWalkerMatchesReference(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("\x30\x00\x10\x00\x20\x00\x30\x00\x40\x00\x50\x00\x60\x00\x70\x00\x80\x00\x90\x05\x03\x01\x02\x03\x0f\x27\x01\x02\x03"))
	pool := refPool()
	a := refAnalyzer()
	f.Fuzz(func(t *testing.T, data []byte) {
		pd := buildRefProfile(data, pool)
		want := refAccumulate(a, pd)
		w := NewWindow()
		if err := a.Accumulate(pd, w); err != nil {
			t.Fatalf("valid profile rejected: %v", err)
		}
		got := map[string]*RuleStats{}
		if ss := w.Services["ref"]; ss != nil {
			got = ss.Rules
		}
		for id, rt := range want {
			g := got[id]
			if g == nil {
				t.Fatalf("%s: reference charges %v ns, engine none", id, rt.cpu)
			}
			if g.CPUValue != rt.cpu || g.events != rt.events {
				t.Fatalf("%s: engine %v ns / %v events, reference %v / %v", id, g.CPUValue, g.events, rt.cpu, rt.events)
			}
			for tag, v := range rt.tags {
				if g.Tags[tag] != v {
					t.Fatalf("%s tag %s: engine %v, reference %v", id, tag, g.Tags[tag], v)
				}
			}
			if len(g.Tags) != len(rt.tags) {
				t.Fatalf("%s: engine tags %v, reference %v", id, g.Tags, rt.tags)
			}
		}
		for id, g := range got {
			if want[id] == nil {
				t.Fatalf("%s: engine charges %v ns, reference none", id, g.CPUValue)
			}
		}
	})
}

// TestReferencePoolCoversCatalog keeps the fuzz vocabulary meaningful: it
// must reach roots of most rules.
func TestReferencePoolCoversCatalog(t *testing.T) {
	a := refAnalyzer()
	var roots uint64
	for _, f := range refPool() {
		roots |= refClass(a, f).root
	}
	for _, r := range a.rules {
		if roots&r.bit == 0 {
			t.Errorf("no frame in the pool is a root of %s", r.rule.ID)
		}
	}
}
