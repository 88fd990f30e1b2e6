package attribution

import (
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// fnClass is what one unique function means to the catalog: computed once
// per (name, file, frame type) and shared by every profile that holds it.
type fnClass struct {
	frame framename.Frame
	masks
	effect  effect // what the frame does to a stack walk
	ehash   uint64 // hash of effect, for the per-message table
	dialect framename.Dialect
}

// masks are the rule bits of a frame.
type masks struct {
	root    uint64 // rules whose root patterns match
	excl    uint64 // rules whose exclusion patterns match
	cut     uint64 // rules whose explicit cut-offs match
	notPass uint64 // rules with cutoff_unless that this frame is not part of
	tags    uint64 // global tag bits
}

// effect is what a frame, or a run of frames (a location's inlined lines),
// does to the per-rule state of a stack walk root→leaf. Each rule (bit) is
// idle, excluded (an exclusion came first: it never arms), armed, or armed
// and cut; excluded and cut are final. From idle, a bit in excl becomes
// excluded, one in arm becomes armed, and cut too if also in armCut; an armed
// bit in cut becomes cut. Most frames have no effect (all zero); a message
// keeps each distinct effect once and refers to it by index.
type effect struct {
	excl, arm, armCut, cut, tags uint64
}

// frameEffect: a frame arms a rule at a root unless it also excludes it, and
// cuts an armed rule at a cut-off or, for cutoff_unless, a frame not passed.
func frameEffect(c *masks) effect {
	return effect{excl: c.excl, arm: c.root &^ c.excl, cut: c.cut | c.notPass, tags: c.tags}
}

// then is e followed (leafward) by f.
func (e effect) then(f effect) effect {
	idle := ^(e.excl | e.arm)
	return effect{
		excl:   e.excl | idle&f.excl,
		arm:    e.arm | idle&f.arm,
		armCut: e.armCut | e.arm&f.cut | idle&f.armCut,
		cut:    e.cut | f.cut,
		tags:   e.tags | f.tags,
	}
}

// idle: the effect changes nothing while no rule is armed.
func (e *effect) idle() bool { return e.excl|e.arm|e.tags == 0 }

func (e *effect) hash() uint64 {
	return mix(mix(mix(mix(mix(fnvOffset, e.excl), e.arm), e.armCut), e.cut), e.tags)
}

// classify returns the cached class of a function (key hash h) for one message: the
// message keeps the cache's read lock between look-ups (a read lock per
// function would cost more than the look-up) and drops it to insert.
func (m *message) classify(h uint64, name, file string, hint framename.Dialect) *fnClass {
	c := m.a.cache
	m.rlock()
	if off := c.lookup(h, name, file, hint); off >= 0 {
		return c.class(off)
	}
	m.releaseCache()
	v, _ := c.put(h, name, file, hint, m.a.compute(name, file, hint))
	return v
}

// memoOf is a function's class as the message's frames hold it: its
// dialect and its effect interned.
func (m *message) memoOf(name, file string, hint framename.Dialect) fnMemo {
	c := m.a.cache
	fm, _ := m.memoKey(key(c.hashString(name), c.hashString(file), hint), name, file, hint)
	return fm
}

// memoKey is memoOf with the key hash h computed, and where the class is.
func (m *message) memoKey(h uint64, name, file string, hint framename.Dialect) (fnMemo, fnRef) {
	c := m.a.cache
	m.rlock()
	if off := c.lookup(h, name, file, hint); off >= 0 {
		r := c.arena[off : off+recKey]
		fm := fnMemo{set: true, hint: hint, dialect: framename.Dialect(r[recDialect])}
		if r[recPlain] == 0 {
			fm.cls = m.intern(c.effect(off))
		}
		return fm, c.ref(off)
	}
	m.releaseCache()
	v, ref := c.put(h, name, file, hint, m.a.compute(name, file, hint))
	return fnMemo{set: true, hint: hint, dialect: v.dialect, cls: m.intern(v.effect, v.ehash)}, ref
}

// rlock takes the class cache's read lock unless the message holds it. The
// check is inlined; the lock is taken once per message.
func (m *message) rlock() {
	if !m.rlocked {
		m.rlockSlow()
	}
}

func (m *message) rlockSlow() {
	m.a.cache.mu.RLock()
	m.rlocked = true
}

// releaseCache drops the read lock a message may hold.
func (m *message) releaseCache() {
	if m.rlocked {
		m.a.cache.mu.RUnlock()
		m.rlocked = false
	}
}

// applies: a producer-given dialect is trusted exactly (native signatures
// also cover kernel frames); an inferred one only separates the managed
// runtimes, since C symbols and Go assembly helpers look alike.
func applies(sig framename.Dialect, f framename.Frame) bool {
	switch {
	case sig == framename.Unknown || sig == f.Dialect:
		return true
	case sig == framename.Native && f.Dialect == framename.Kernel:
		return true
	case f.Explicit:
		return false
	}
	return !isManaged(sig) || !isManaged(f.Dialect)
}

func (a *Analyzer) compute(name, file string, hint framename.Dialect) *fnClass {
	f := framename.Normalize(name, file, hint)
	c := &fnClass{frame: f}
	c.dialect = f.Dialect
	c.frame.Name = strings.Clone(f.Name)
	c.frame.File = strings.Clone(f.File)
	for _, r := range a.rules {
		passKnown, passed := false, false
		for i := range r.sigs {
			s := &r.sigs[i]
			if !applies(s.dialect, f) {
				continue
			}
			isRoot := matchAny(s.roots, f)
			if isRoot {
				c.root |= r.bit
			}
			if matchAny(s.exclude, f) {
				c.excl |= r.bit
			}
			if matchAny(s.cutoffs, f) {
				c.cut |= r.bit
			}
			// cutoff_unless speaks about one runtime's frames: a native or
			// kernel frame under a JVM root is not the application resuming.
			if len(s.pass) > 0 && (s.dialect == framename.Unknown || s.dialect == f.Dialect) {
				passKnown = true
				if isRoot || matchAny(s.pass, f) {
					passed = true
				}
			}
			for _, t := range s.tags {
				if matchAny(t.patterns, f) {
					c.tags |= t.bit
				}
			}
		}
		if passKnown && !passed && c.root&r.bit == 0 {
			c.notPass |= r.bit
		}
	}
	c.effect = frameEffect(&c.masks)
	c.ehash = c.effect.hash()
	return c
}

func matchAny(ps []catalog.Pattern, f framename.Frame) bool {
	for i := range ps {
		if ps[i].Match(f.Name, f.File) {
			return true
		}
	}
	return false
}
