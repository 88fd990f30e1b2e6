package attribution

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

const frameTypeAttr = "profile.frame.type"

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
	maps   pprofile.MappingSlice

	frameTypes map[int32]framename.Dialect // attribute index → dialect, for profile.frame.type
	fnMemo     []fnMemo
	fnRefs     []fnRef                     // per function whose fnMemo is set: its class in the cache
	noName     [framename.Other + 1]fnMemo // unsymbolized frames, by frame type
	locs       []locMemo
	locInfo    []uint32 // per location: lk* bits, what the stack walk needs of it
	locID      []uint64 // per one-frame location: the frame's identity
	unnamed    []bool   // per location: a native frame without a name
	native     natives  // names the symbolizer gave native frames
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
	top      []agg     // flushEvidence: the heaviest windows per rule
	rtl      []slot    // evidenceFrames: a stack root→leaf
	frameBuf []string  // evidenceFrames: its window's names
	keyBuf   []byte    // addCandidate: the window's key
	strHash  []strHash // per string: its class-cache hash, once per message
	gen      uint32    // this use of the pooled message, for strHash
	rlocked  bool      // holds the class cache's read lock
	resolved bool      // every location resolved
}

// slot is one frame of a location (a line: inlined frames are separate).
type slot struct {
	fn      int32  // function index, -1 for an unsymbolized frame, -2-i for native.names[i]
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
// first (pprof line order), whose composed effect is classes[cls].
type locMemo struct {
	off int32
	n   int32
	cls uint32
}

// locInfo bits. 0 is an unseen location. A location of one frame (most)
// keeps that frame's dialect and class here, so the stack walk reads 4 bytes
// per frame. If the frame cannot arm a rule, exclude one or carry a tag, it is
// idle: until some rule is armed the walk only needs its dialect; a plain one
// (no rule bits at all) stays that way below a root too.
const (
	lkDialect  = 0x0f // the frames' dialect (Unknown if they differ)
	lkOK       = 0x10
	lkInvalid  = 0x20
	lkOne      = 0x40  // one frame, whose dialect is here
	lkEffect   = 0x80  // the location's effect (all its frames) is here
	lkIdle     = 0x100 // with lkEffect: the effect is idle
	lkPlain    = 0x200 // with lkEffect: the effect is none
	lkClsShift = 10
	lkMaxCls   = 1<<(32-lkClsShift) - 1
)

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
	m.maps = d.MappingTable()
	m.nStr = m.strs.Len()
	m.fnMemo = resize(m.fnMemo, m.fns.Len())
	m.fnRefs = grow(m.fnRefs, m.fns.Len()) // read only where fnMemo is set
	m.locs = grow(m.locs, m.locTab.Len())  // read only where locInfo says resolved
	m.locInfo = resize(m.locInfo, m.locTab.Len())
	m.locID = grow(m.locID, m.locTab.Len()) // read only where locInfo has lkOne
	m.unnamed = resize(m.unnamed, m.locTab.Len())
	m.native.reset()
	m.stacks = resize(m.stacks, m.stkTab.Len())
	m.stackCPU = resize(m.stackCPU, m.stkTab.Len())
	m.slab = m.slab[:0]
	m.evRefs = m.evRefs[:0]
	m.noName = [framename.Other + 1]fnMemo{}
	m.classes = append(m.classes[:0], effect{})
	m.clsTab.reset(0)
	m.touched = m.touched[:0]
	clear(m.frameTypes)
	m.gen++
	if m.gen == 0 { // wrapped: an old stamp could look current
		clear(m.strHash)
		m.gen = 1
	}
	m.strHash = grow(m.strHash, m.nStr) // read only where stamped with gen
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
		classes: m.classes[:0], clsTab: m.clsTab, locInfo: m.locInfo, locID: m.locID, unnamed: m.unnamed,
		native: natives{names: m.native.names[:0], index: m.native.index}, strHash: m.strHash, gen: m.gen, fnRefs: m.fnRefs}
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
		if fn, ok := m.nativeName(l, hint); ok {
			fm := m.memoOf(m.symbolized(fn), "", hint)
			m.slab = append(m.slab, slot{fn: fn, cls: fm.cls, dialect: fm.dialect, hint: hint})
		}
	}
	if len(m.slab) == int(off) {
		// An unsymbolized frame (eBPF native without symbols): a frame with no
		// name still separates callers from callees for cut-offs.
		m.unnamed[li] = hint == framename.Native || hint == framename.Unknown
		fm := &m.noName[hint]
		if !fm.set {
			*fm = m.memoOf("", "", hint)
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
		// Inlined frames share their runtime (compilers inline within one):
		// that dialect is kept too, for the runtimes a service shows.
		if d := m.slab[off].dialect; d <= lkDialect && sameDialect(m.slab[off:off+lm.n]) {
			info |= uint32(d)
		}
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
	lm.cls = cls
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
	ni, fli := f.NameStrindex(), f.FilenameStrindex()
	name, ok1 := m.str(ni)
	file, ok2 := m.str(fli)
	if !ok1 || !ok2 {
		return fnMemo{}, false
	}
	v, ref := m.memoKey(key(m.a.cache.hashString(name), m.hashStr(fli, file), hint), name, file, hint)
	if !fm.set {
		*fm = v
		m.fnRefs[fi] = ref
	}
	return v, true
}

// strHash is a string's hash stamped with the message use that computed it.
type strHash struct {
	gen uint32
	h   uint64
}

// hashStr is the cache hash of string i, s: a file is shared by many
// functions, so it is hashed once per message. (Names are mostly distinct:
// they are hashed directly.)
func (m *message) hashStr(i int32, s string) uint64 {
	if e := &m.strHash[i]; e.gen == m.gen {
		return e.h
	}
	h := m.a.cache.hashString(s)
	m.strHash[i] = strHash{gen: m.gen, h: h}
	return h
}

func sameDialect(frames []slot) bool {
	for _, f := range frames[1:] {
		if f.dialect != frames[0].dialect {
			return false
		}
	}
	return true
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
		name := m.symbolized(fi)
		return m.classify(key(m.a.cache.hashString(name), 0, hint), name, "", hint), true
	}
	// The memo found the class a moment ago: no second look-up.
	if fm := &m.fnMemo[fi]; fm.set && fm.hint == hint {
		m.rlock()
		if v := m.a.cache.classOf(m.fnRefs[fi]); v != nil {
			return v, true
		}
	}
	f := m.fns.At(int(fi))
	ni, fli := f.NameStrindex(), f.FilenameStrindex()
	name, ok1 := m.str(ni)
	file, ok2 := m.str(fli)
	if !ok1 || !ok2 {
		return nil, false
	}
	return m.classify(key(m.a.cache.hashString(name), m.hashStr(fli, file), hint), name, file, hint), true
}
