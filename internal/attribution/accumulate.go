package attribution

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/framename"
	"github.com/perfadvisor/perfadvisor/internal/svcname"
)

// profileNameAttr mirrors pprofconv.ProfileNameAttr (the Pyroscope __name__).
const profileNameAttr = "pyroscope.profile.name"

const frameTypeAttr = "profile.frame.type"

// profile kinds by sample type.
type kind uint8

const (
	kindSkip        kind = iota
	kindCPUNanos         // cpu/nanoseconds: value is CPU time
	kindCPUCount         // samples/count with a CPU period: value × period
	kindContentions      // block or mutex: contentions/count
	kindDelay            // block or mutex: delay/nanoseconds (same events, other unit)
)

// Accumulate attributes every profile in pd to w. It never mutates pd.
// Invalid profiles are counted in w.DroppedProfiles and reported in the error;
// the rest of pd is still analysed.
func (a *Analyzer) Accumulate(pd pprofile.Profiles, w *Window) error {
	if w.Services == nil {
		w.Services = map[string]*ServiceStats{}
	}
	m := getMessage(a, pd.Dictionary())
	defer putMessage(m)
	var errs []error
	dropped := 0
	// A Go pprof CPU profile arrives as two profiles (samples/count and
	// cpu/nanoseconds) over the same samples: per service, count them once.
	withNanos := map[string]bool{}
	for _, rp := range pd.ResourceProfiles().All() {
		name := a.serviceOf(rp)
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				if m.kindOf(p, false) == kindCPUNanos {
					withNanos[name] = true
				}
			}
		}
	}
	for _, rp := range pd.ResourceProfiles().All() {
		name := a.serviceOf(rp)
		for _, sp := range rp.ScopeProfiles().All() {
			for pi, p := range sp.Profiles().All() {
				k := m.kindOf(p, withNanos[name])
				if k == kindSkip {
					continue
				}
				ss := w.service(name, a.opts.MaxServices)
				if ss == nil {
					w.DroppedServices++
					continue
				}
				var err error
				if k == kindContentions || k == kindDelay {
					err = m.contentions(p, ss, k == kindContentions)
				} else {
					err = m.cpu(p, k, ss, w)
				}
				if err != nil {
					w.DroppedProfiles++
					// A flood of bad profiles must not become a flood of text.
					if len(errs) < maxErrors {
						errs = append(errs, fmt.Errorf("service %q profile %d: %w", name, pi, err))
					}
					dropped++
				}
			}
		}
	}
	if dropped > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more invalid profiles", dropped-len(errs)))
	}
	return errors.Join(errs...)
}

const maxErrors = 8

func (a *Analyzer) serviceOf(rp pprofile.ResourceProfiles) string {
	if name, ok := svcname.Resolve(rp.Resource().Attributes(), a.opts.ServiceAttributes); ok {
		return name
	}
	return a.opts.DefaultService
}

func (w *Window) service(name string, max int) *ServiceStats {
	if ss, ok := w.Services[name]; ok {
		return ss
	}
	if len(w.Services) >= max {
		return nil
	}
	ss := &ServiceStats{Service: name, Rules: map[string]*RuleStats{}}
	w.Services[name] = ss
	return ss
}

// message holds the per-dictionary memo of one Accumulate call: every
// location and stack is resolved and validated once, then samples are a
// table look-up.
type message struct {
	a      *Analyzer
	strs   pcommon.StringSlice
	nStr   int
	fns    pprofile.FunctionSlice
	locTab pprofile.LocationSlice
	stkTab pprofile.StackSlice
	attrs  pprofile.KeyValueAndUnitSlice

	frameTypes map[int32]framename.Dialect // attribute index → dialect, for profile.frame.type
	fnMemo     []fnMemo
	noName     [framename.Other + 1]fnMemo // unsymbolized frames, by frame type
	locs       []locMemo
	locInfo    []uint32 // per location: lk* bits, what the stack walk needs of it
	locID      []uint64 // per one-frame location: the frame's identity
	slab       []slot   // frames of resolved locations
	stacks     []stackMemo
	evRefs     []evRef // evidence windows of charged stacks

	// classes holds each distinct effect of the message once (0: none);
	// clsTab finds an effect's index by its hash.
	classes []effect
	clsTab  hashTable
	armLoc  [64]int32 // per rule bit: the position in the stack of the location that armed it

	// CPU of charged stacks in the profile being read, for evidence.
	stackCPU []float64
	touched  []int32
	aggTab   hashTable
	aggs     []agg
	top      []agg    // flushEvidence: the heaviest windows per rule
	rtl      []slot   // evidenceFrames: a stack root→leaf
	frameBuf []string // evidenceFrames: its window's names
	keyBuf   []byte   // addCandidate: the window's key
	rlocked  bool     // holds the class cache's read lock
	resolved bool     // every location resolved
}

// slot is one frame of a location (a line: inlined frames are separate).
type slot struct {
	fn      int32  // function index, -1 for an unsymbolized frame
	cls     uint32 // the frame's effect: m.classes[cls]
	dialect framename.Dialect
	hint    framename.Dialect
}

type fnMemo struct {
	set     bool
	hint    framename.Dialect
	dialect framename.Dialect
	cls     uint32
}

// locMemo: a resolved location is n > 0 frames at slab[off:off+n], leaf-most
// first (pprof line order).
type locMemo struct {
	off int32
	n   int32
}

// locInfo bits. 0 is an unseen location. A location of one frame (most)
// keeps that frame's dialect and class here, so the stack walk reads 4 bytes
// per frame. If the frame cannot arm a rule, exclude one or carry a tag, it is
// idle: until some rule is armed the walk only needs its dialect; a plain one
// (no rule bits at all) stays that way below a root too.
const (
	lkDialect  = 0x0f
	lkOK       = 0x10
	lkInvalid  = 0x20
	lkOne      = 0x40  // one frame, whose dialect is here
	lkEffect   = 0x80  // the location's effect (all its frames) is here
	lkIdle     = 0x100 // with lkEffect: the effect is idle
	lkPlain    = 0x200 // with lkEffect: the effect is none
	lkClsShift = 10
	lkMaxCls   = 1<<(32-lkClsShift) - 1
)

type stackMemo struct {
	state   uint8 // 0 unseen, 1 ok, 2 invalid, 3 ok but truncated
	dialect framename.Dialect
	evN     uint8
	evOff   int32
	rules   uint64
	tags    uint64
}

// evRef names the evidence window of one charged rule of a stack.
type evRef struct {
	rule int
	hash uint64
}

// maxPooledFrames bounds the memo a pooled message keeps between calls.
const maxPooledFrames = 1 << 20

// messages are pooled: their memo tables are the engine's only per-message
// allocation, and a collector sees messages of similar size over and over.
var messagePool = sync.Pool{New: func() any { return &message{} }}

func getMessage(a *Analyzer, d pprofile.ProfilesDictionary) *message {
	m := messagePool.Get().(*message)
	m.a = a
	m.strs = d.StringTable()
	m.fns = d.FunctionTable()
	m.locTab = d.LocationTable()
	m.stkTab = d.StackTable()
	m.attrs = d.AttributeTable()
	m.nStr = m.strs.Len()
	m.fnMemo = resize(m.fnMemo, m.fns.Len())
	m.locs = grow(m.locs, m.locTab.Len()) // read only where locInfo says resolved
	m.locInfo = resize(m.locInfo, m.locTab.Len())
	m.locID = grow(m.locID, m.locTab.Len()) // read only where locInfo has lkOne
	m.stacks = resize(m.stacks, m.stkTab.Len())
	m.stackCPU = resize(m.stackCPU, m.stkTab.Len())
	m.slab = m.slab[:0]
	m.evRefs = m.evRefs[:0]
	m.noName = [framename.Other + 1]fnMemo{}
	m.classes = append(m.classes[:0], effect{})
	m.clsTab.reset(0)
	m.touched = m.touched[:0]
	clear(m.frameTypes)
	return m
}

func putMessage(m *message) {
	m.releaseCache()
	if cap(m.slab) > maxPooledFrames {
		return // an outsized message: let its tables go rather than pin them
	}
	// Drop references into the caller's pdata before pooling.
	*m = message{fnMemo: m.fnMemo, locs: m.locs, slab: m.slab[:0], stacks: m.stacks, evRefs: m.evRefs[:0],
		stackCPU: m.stackCPU, touched: m.touched[:0], frameTypes: m.frameTypes, aggTab: m.aggTab, aggs: m.aggs[:0], top: m.top,
		rtl: m.rtl[:0], frameBuf: m.frameBuf[:0], keyBuf: m.keyBuf[:0],
		classes: m.classes[:0], clsTab: m.clsTab, locInfo: m.locInfo, locID: m.locID}
	messagePool.Put(m)
}

// grow returns a slice of length n, reusing s's storage when it fits (not zeroed).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// resize returns a zeroed slice of length n, reusing s's storage when it fits.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func (m *message) str(i int32) (string, bool) {
	if i < 0 || int(i) >= m.nStr {
		return "", false
	}
	return m.strs.At(int(i)), true
}

// kindOf tells CPU profiles from evidence-only and unrelated ones.
func (m *message) kindOf(p pprofile.Profile, siblingNanos bool) kind {
	st, _ := m.str(p.SampleType().TypeStrindex())
	su, _ := m.str(p.SampleType().UnitStrindex())
	pt, _ := m.str(p.PeriodType().TypeStrindex())
	switch {
	case st == "cpu" && su == "nanoseconds":
		return kindCPUNanos
	case (st == "samples" || st == "sample") && su == "count" && pt == "cpu":
		if siblingNanos {
			return kindSkip
		}
		return kindCPUCount
	case st == "contentions":
		return kindContentions
	case st == "delay":
		return kindDelay
	}
	return kindSkip
}

// frameType resolves the dialect a location's profile.frame.type names.
func (m *message) frameType(l pprofile.Location) (framename.Dialect, bool) {
	idx := l.AttributeIndices()
	if idx.Len() == 0 {
		return framename.Unknown, true
	}
	if m.frameTypes == nil {
		m.frameTypes = map[int32]framename.Dialect{}
	}
	for _, ai := range idx.All() {
		if ai < 0 || int(ai) >= m.attrs.Len() {
			return framename.Unknown, false
		}
		if d, ok := m.frameTypes[ai]; ok {
			if d != framename.Unknown {
				return d, true
			}
			continue
		}
		kv := m.attrs.At(int(ai))
		key, ok := m.str(kv.KeyStrindex())
		if !ok {
			return framename.Unknown, false
		}
		d := framename.Unknown
		if key == frameTypeAttr {
			d = framename.FromFrameType(kv.Value().AsString())
		}
		m.frameTypes[ai] = d
		if d != framename.Unknown {
			return d, true
		}
	}
	return framename.Unknown, true
}

// loc resolves and validates one location's lines (inlined frames).
func (m *message) loc(li int32) (*locMemo, bool) {
	if li < 0 || int(li) >= len(m.locs) {
		return nil, false
	}
	switch k := m.locInfo[li]; {
	case k&lkOK != 0:
		return &m.locs[li], true
	case k&lkInvalid != 0:
		return nil, false
	}
	m.locInfo[li] = lkInvalid
	l := m.locTab.At(int(li))
	hint, ok := m.frameType(l)
	if !ok {
		return nil, false
	}
	off := int32(len(m.slab))
	lines := l.Lines()
	for i := 0; i < lines.Len(); i++ {
		fi := lines.At(i).FunctionIndex()
		if fi < 0 || int(fi) >= len(m.fnMemo) {
			return nil, false
		}
		fm, ok := m.function(fi, hint)
		if !ok {
			return nil, false
		}
		m.slab = append(m.slab, slot{fn: fi, cls: fm.cls, dialect: fm.dialect, hint: hint})
	}
	if lines.Len() == 0 {
		// An unsymbolized frame (eBPF native without symbols): a frame with no
		// name still separates callers from callees for cut-offs.
		fm := &m.noName[hint]
		if !fm.set {
			*fm = m.memo(m.classifyEntry("", "", hint), hint)
		}
		m.slab = append(m.slab, slot{fn: -1, cls: fm.cls, dialect: fm.dialect, hint: hint})
	}
	lm := &m.locs[li]
	lm.off, lm.n = off, int32(len(m.slab))-off
	info := uint32(lkOK)
	cls := m.slab[off].cls
	if lm.n == 1 {
		if d := m.slab[off].dialect; d <= lkDialect {
			info |= lkOne | uint32(d)
			m.locID[li] = m.slab[off].id()
		}
	} else {
		// Inlined frames: their effects composed into one (none if none has one).
		var any uint32
		for _, c := range m.slab[off : off+lm.n] {
			any |= c.cls
		}
		if cls = 0; any != 0 {
			e := m.classes[m.slab[off+lm.n-1].cls]
			for j := lm.n - 2; j >= 0; j-- {
				e = e.then(m.classes[m.slab[off+j].cls])
			}
			cls = m.intern(e, e.hash())
		}
	}
	if cls <= lkMaxCls {
		info |= lkEffect | cls<<lkClsShift
		if e := &m.classes[cls]; e.idle() {
			info |= lkIdle
			if cls == 0 {
				info |= lkPlain
			}
		}
	}
	m.locInfo[li] = info
	return lm, true
}

func (m *message) function(fi int32, hint framename.Dialect) (fnMemo, bool) {
	fm := &m.fnMemo[fi]
	if fm.set && fm.hint == hint {
		return *fm, true
	}
	f := m.fns.At(int(fi))
	name, ok1 := m.str(f.NameStrindex())
	file, ok2 := m.str(f.FilenameStrindex())
	if !ok1 || !ok2 {
		return fnMemo{}, false
	}
	v := m.memo(m.classifyEntry(name, file, hint), hint)
	if !fm.set {
		*fm = v
	}
	return v, true
}

// memo is a class as the message's frames hold it: its effect interned.
func (m *message) memo(c *fnEntry, hint framename.Dialect) fnMemo {
	return fnMemo{set: true, hint: hint, dialect: c.dialect, cls: m.intern(c.effect, c.ehash)}
}

// intern returns the index of effect e (hash h) in m.classes, adding it if new.
func (m *message) intern(e effect, h uint64) uint32 {
	if e == (effect{}) {
		return 0
	}
	if 2*len(m.classes) >= len(m.clsTab.keys) {
		m.clsTab.reset(2 * len(m.classes))
		for i := 1; i < len(m.classes); i++ {
			*m.clsTab.find(m.classes[i].hash()) = int32(i)
		}
	}
	v := m.clsTab.find(h)
	if *v >= 0 && m.classes[*v] == e {
		return uint32(*v)
	}
	if *v < 0 {
		*v = int32(len(m.classes))
	}
	// else a hash collision: keep the entry, add e unshared.
	m.classes = append(m.classes, e)
	return uint32(len(m.classes) - 1)
}

// class resolves a function's cached class (names for evidence included).
func (m *message) class(fi int32, hint framename.Dialect) (*fnClass, bool) {
	if fi < 0 {
		return m.classify("", "", hint), true
	}
	f := m.fns.At(int(fi))
	name, ok1 := m.str(f.NameStrindex())
	file, ok2 := m.str(f.FilenameStrindex())
	if !ok1 || !ok2 {
		return nil, false
	}
	return m.classify(name, file, hint), true
}

// stack computes a stack's rule mask: walk root→leaf once, tracking per rule
// (bit) whether an exclusion was seen, a root armed it, and a cut-off ended
// it. Idle frames (most) only feed the dialect. Charged rules hash their
// evidence window after the walk, from the frame that armed them.
func (m *message) stack(si int32) *stackMemo {
	if si < 0 || int(si) >= len(m.stacks) {
		return nil
	}
	sm := &m.stacks[si]
	if sm.state != 0 {
		if sm.state == 2 {
			return nil
		}
		return sm
	}
	sm.state = 2
	locs := m.stkTab.At(int(si)).LocationIndices()
	n := locs.Len()
	stop := 0
	truncated := false
	if n > m.a.opts.MaxStackDepth {
		stop = n - m.a.opts.MaxStackDepth
		truncated = true
	}
	// The dialect is the root-most managed frame's, else the root-most known
	// one's: the root frame alone usually tells.
	dialect := framename.Unknown
	for i := n - 1; i >= stop && (dialect == framename.Unknown || dialect == framename.Native || dialect == framename.Kernel); i-- {
		li := locs.At(i)
		if uint(li) < uint(len(m.locInfo)) {
			if k := m.locInfo[li]; k&lkOne != 0 {
				if d := framename.Dialect(k & lkDialect); d != framename.Unknown && (dialect == framename.Unknown || isManaged(d)) {
					dialect = d
				}
				continue
			}
		}
		lm, ok := m.loc(li)
		if !ok {
			return nil
		}
		for j := lm.n - 1; j >= 0; j-- {
			if d := m.slab[lm.off+j].dialect; d != framename.Unknown && (dialect == framename.Unknown || isManaged(d)) {
				if dialect = d; d != framename.Native && d != framename.Kernel {
					break
				}
			}
		}
	}
	// The rules: per bit, excluded / armed / cut (see effect).
	var excluded, armed, cut, tags uint64
	infos, classes := m.locInfo, m.classes
	skip := uint32(lkIdle) // no rule armed yet: idle locations change nothing
	for i := n - 1; i >= stop; i-- {
		li := locs.At(i)
		if uint(li) >= uint(len(infos)) {
			return nil
		}
		k := infos[li]
		if k&skip != 0 {
			continue
		}
		if k&lkOK == 0 {
			if _, ok := m.loc(li); !ok {
				return nil
			}
			infos, classes = m.locInfo, m.classes
			k = infos[li]
		}
		if k&lkEffect != 0 {
			e := &classes[k>>lkClsShift]
			idle := ^(excluded | armed)
			cut |= armed & e.cut
			excluded |= idle & e.excl
			now := idle & e.arm
			armed |= now
			cut |= now & e.armCut
			tags |= e.tags
			for r := now; r != 0; r &= r - 1 {
				m.armLoc[bits.TrailingZeros64(r)] = int32(i)
			}
		} else {
			// An effect index too large for locInfo: frame by frame.
			lm := &m.locs[li]
			for j := lm.n - 1; j >= 0; j-- {
				e := &classes[m.slab[lm.off+j].cls]
				idle := ^(excluded | armed)
				cut |= armed & e.cut
				excluded |= idle & e.excl
				now := idle & e.arm
				armed |= now
				tags |= e.tags
				for r := now; r != 0; r &= r - 1 {
					m.armLoc[bits.TrailingZeros64(r)] = int32(i)
				}
			}
		}
		if armed != 0 {
			skip = lkPlain // below a root, cut-offs matter
		}
	}
	sm.rules = armed &^ cut
	if sm.rules != 0 {
		for _, r := range m.a.rules {
			if tags == 0 {
				break
			}
			if sm.rules&r.bit == 0 {
				tags &^= r.tagMask
			}
		}
		sm.tags = tags
		sm.evOff = int32(len(m.evRefs))
		for r := sm.rules; r != 0; r &= r - 1 {
			b := bits.TrailingZeros64(r)
			i := int(m.armLoc[b])
			m.evRefs = append(m.evRefs, evRef{rule: b, hash: m.windowHash(locs, stop, i, m.armLine(locs.At(i), uint64(1)<<b))})
		}
		sm.evN = uint8(len(m.evRefs) - int(sm.evOff))
	}
	sm.dialect = dialect
	sm.state = 1
	if truncated {
		sm.state = 3
	}
	return sm
}

// armLine finds the line of location li that armed rule bit: the one
// where, from idle, the location's frames first arm it.
func (m *message) armLine(li int32, bit uint64) int {
	if m.locInfo[li]&lkOne != 0 {
		return 0
	}
	lm := &m.locs[li]
	var excluded uint64
	for j := lm.n - 1; j >= 0; j-- {
		e := &m.classes[m.slab[lm.off+j].cls]
		if e.arm&bit != 0 && excluded&bit == 0 {
			return int(j)
		}
		excluded |= e.excl
	}
	return 0
}

// windowHash hashes the evidence window of a rule armed at line j of
// location locs[i] of a walked stack: the two callers above it (0 when the
// stack has fewer), then that frame and up to evBelow frames below it. A
// walked stack's frames root→leaf are, for i from the root-most location down
// to stop, lines n-1 … 0 of location locs[i].
func (m *message) windowHash(locs pcommon.Int32Slice, stop, i, j int) uint64 {
	var p [2]uint64 // callers, nearest first
	np := 0
	lm := m.locs[locs.At(i)]
	for l := int32(j) + 1; l < lm.n && np < 2; l++ {
		p[np] = m.slab[lm.off+l].id()
		np++
	}
	for q := i + 1; q < locs.Len() && np < 2; q++ {
		li := locs.At(q)
		if m.locInfo[li]&lkOne != 0 {
			p[np] = m.locID[li]
			np++
			continue
		}
		c := m.locs[li]
		for l := int32(0); l < c.n && np < 2; l++ {
			p[np] = m.slab[c.off+l].id()
			np++
		}
	}
	h := mix(mix(fnvOffset, p[1]), p[0])
	left := evBelow + 1
	for l := int32(j); l >= 0 && left > 0; l-- {
		h = mix(h, m.slab[lm.off+l].id())
		left--
	}
	for q := i - 1; q >= stop && left > 0; q-- {
		li := locs.At(q)
		if m.locInfo[li]&lkOne != 0 {
			h = mix(h, m.locID[li])
			left--
			continue
		}
		c := m.locs[li]
		for l := c.n - 1; l >= 0 && left > 0; l-- {
			h = mix(h, m.slab[c.off+l].id())
			left--
		}
	}
	return h
}

// id is a frame's identity in evidence windows.
func (s *slot) id() uint64 { return uint64(uint32(s.fn)) | uint64(s.hint)<<32 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix folds v into an FNV-1a style hash, a word at a time.
func mix(h, v uint64) uint64 { return (h ^ v) * fnvPrime }

func isManaged(d framename.Dialect) bool {
	switch d {
	case framename.Go, framename.JVM, framename.Python, framename.Node, framename.DotNet:
		return true
	}
	return false
}

// profAcc is one profile's contribution, merged only if the profile is valid.
type profAcc struct {
	cpu, events float64
	rules       [64]float64
	ruleEvents  [64]float64
	tags        [64]float64
	byDialect   [framename.Other + 1]float64
	truncated   int64
	minT, maxT  uint64
}

// cpu attributes one CPU profile.
func (m *message) cpu(p pprofile.Profile, k kind, ss *ServiceStats, w *Window) error {
	period := float64(p.Period())
	pt, _ := m.str(p.PeriodType().TypeStrindex())
	pu, _ := m.str(p.PeriodType().UnitStrindex())
	periodNanos := pt == "cpu" && pu == "nanoseconds" && period > 0
	if !periodNanos {
		period = 0
	}
	var acc profAcc
	defer m.resetStackCPU()
	samples := p.Samples()
	if !m.resolved && samples.Len() > 0 {
		// Resolve every location up front, in table order: a dictionary holds
		// what its profiles reference, and a sequential pass costs less than
		// resolving in stack order. An invalid location stays a counted drop
		// for the stacks that reference it, as before.
		m.resolved = true
		for li := range m.locs {
			m.loc(int32(li))
		}
	}
	for i := 0; i < samples.Len(); i++ {
		s := samples.At(i)
		var sum int64
		vals := s.Values()
		for j := 0; j < vals.Len(); j++ {
			v := vals.At(j)
			if v < 0 {
				return fmt.Errorf("sample %d: negative value %d", i, v)
			}
			sum += v
			if sum < 0 {
				return fmt.Errorf("sample %d: value overflow", i)
			}
		}
		ts := s.TimestampsUnixNano()
		var weight, events float64
		switch {
		case vals.Len() == 0:
			// eBPF: one event per timestamp, each worth one period of CPU.
			events = float64(ts.Len())
			weight = events * periodOr(period)
		case k == kindCPUNanos:
			weight = float64(sum)
			if period > 0 {
				events = weight / period
			} else {
				events = 1
			}
		default:
			events = float64(sum)
			weight = events * periodOr(period)
		}
		if weight == 0 {
			continue
		}
		for j := 0; j < ts.Len(); j++ {
			t := ts.At(j)
			if acc.minT == 0 || t < acc.minT {
				acc.minT = t
			}
			if t > acc.maxT {
				acc.maxT = t
			}
		}
		sm := m.stack(s.StackIndex())
		if sm == nil {
			return fmt.Errorf("sample %d: invalid stack index %d or a location, function or string it references", i, s.StackIndex())
		}
		if sm.state == 3 {
			acc.truncated++
		}
		acc.cpu += weight
		acc.events += events
		acc.byDialect[sm.dialect] += weight
		if sm.rules == 0 {
			continue
		}
		for r := sm.rules; r != 0; r &= r - 1 {
			b := bits.TrailingZeros64(r)
			acc.rules[b] += weight
			acc.ruleEvents[b] += events
		}
		for t := sm.tags; t != 0; t &= t - 1 {
			acc.tags[bits.TrailingZeros64(t)] += weight
		}
		si := s.StackIndex()
		if m.stackCPU[si] == 0 {
			m.touched = append(m.touched, si)
		}
		m.stackCPU[si] += weight
	}

	// Valid: merge into the service.
	ss.CPUValue += acc.cpu
	ss.events += acc.events
	ss.CPUSamples = int64(ss.events + 0.5)
	for d, v := range acc.byDialect {
		ss.byDialect[d] += v
	}
	ss.Runtime = ss.dominantRuntime()
	w.TruncatedStacks += acc.truncated
	for i, r := range m.a.rules {
		if acc.rules[i] == 0 {
			continue
		}
		rs := ss.Rules[r.rule.ID]
		if rs == nil {
			rs = &RuleStats{}
			ss.Rules[r.rule.ID] = rs
		}
		rs.CPUValue += acc.rules[i]
		rs.events += acc.ruleEvents[i]
		rs.Samples = int64(rs.events + 0.5)
	}
	for ti, t := range m.a.tags {
		if acc.tags[ti] == 0 {
			continue
		}
		rs := ss.Rules[m.a.rules[t.rule].rule.ID]
		if rs.Tags == nil {
			rs.Tags = map[string]float64{}
		}
		rs.Tags[t.name] += acc.tags[ti]
	}
	m.flushEvidence(ss)
	if periodNanos {
		if hz := 1e9 / period; hz > ss.SamplingHz {
			ss.SamplingHz = hz
		}
	}
	m.span(p, ss, acc.minT, acc.maxT)
	return nil
}

func (m *message) resetStackCPU() {
	for _, si := range m.touched {
		m.stackCPU[si] = 0
	}
	m.touched = m.touched[:0]
}

// periodOr: without a CPU period an event is worth the eBPF profiler's default 50 ms (20 Hz).
func periodOr(p float64) float64 {
	if p > 0 {
		return p
	}
	return 5e7
}

func (m *message) span(p pprofile.Profile, ss *ServiceStats, minT, maxT uint64) {
	start, end := uint64(p.Time()), uint64(p.Time())+p.DurationNano()
	if start == 0 || minT != 0 && minT < start {
		start = minT
	}
	if maxT > end {
		end = maxT
	}
	if start == 0 {
		return
	}
	st, en := time.Unix(0, int64(start)).UTC(), time.Unix(0, int64(end)).UTC()
	if ss.Start.IsZero() || st.Before(ss.Start) {
		ss.Start = st
	}
	if en.After(ss.End) {
		ss.End = en
	}
}

// contentions records that block or mutex profiling is on (evidence only).
// Only contentions/count adds to the event counts; delay/nanoseconds (the
// same events weighed in time) just tells the profile is on.
func (m *message) contentions(p pprofile.Profile, ss *ServiceStats, count bool) error {
	var events int64
	mutexLeaves, blockLeaves := 0, 0
	samples := p.Samples()
	for i := 0; i < samples.Len(); i++ {
		s := samples.At(i)
		var n int64
		for _, v := range s.Values().All() {
			if v < 0 {
				return fmt.Errorf("sample %d: negative value %d", i, v)
			}
			n += v
		}
		if s.Values().Len() == 0 {
			n = int64(s.TimestampsUnixNano().Len())
		}
		if n == 0 {
			continue
		}
		events += n
		switch m.leafKind(s.StackIndex()) {
		case 1:
			mutexLeaves++
		case 2:
			blockLeaves++
		case -1:
			return fmt.Errorf("sample %d: invalid stack index %d", i, s.StackIndex())
		}
	}
	if events == 0 {
		return nil
	}
	isMutex := mutexLeaves > blockLeaves
	if name := m.profileName(p); name != "" {
		isMutex = strings.Contains(name, "mutex")
	}
	if !count {
		events = 0
	}
	if isMutex {
		ss.MutexProfile = true
		ss.MutexEvents += events
	} else {
		ss.BlockProfile = true
		ss.BlockEvents += events
	}
	m.span(p, ss, 0, 0)
	return nil
}

// leafKind: 1 if the stack's leaf is an unlock site (mutex profiles are keyed
// by Unlock), 2 for a blocking call, 0 unknown, -1 invalid.
func (m *message) leafKind(si int32) int {
	if si < 0 || int(si) >= m.stkTab.Len() {
		return -1
	}
	locs := m.stkTab.At(int(si)).LocationIndices()
	if locs.Len() == 0 {
		return 0
	}
	lm, ok := m.loc(locs.At(0))
	if !ok {
		return -1
	}
	if lm.n == 0 {
		return 0
	}
	leaf := m.slab[lm.off]
	c, ok := m.class(leaf.fn, leaf.hint)
	if !ok {
		return -1
	}
	name := c.frame.Name
	switch {
	case strings.HasSuffix(name, ".Unlock") || strings.HasSuffix(name, ".RUnlock") || name == "runtime.unlock" || name == "runtime._LostContendedRuntimeLock":
		return 1
	case name != "":
		return 2
	}
	return 0
}

func (m *message) profileName(p pprofile.Profile) string {
	for _, ai := range p.AttributeIndices().All() {
		if ai < 0 || int(ai) >= m.attrs.Len() {
			return ""
		}
		kv := m.attrs.At(int(ai))
		if k, ok := m.str(kv.KeyStrindex()); ok && k == profileNameAttr {
			return kv.Value().AsString()
		}
	}
	return ""
}
