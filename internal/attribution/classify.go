package attribution

import (
	"strings"
	"sync"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// fnClass is what one unique function means to the catalog: computed once
// per (name, file, frame type) and shared by every profile that holds it.
type fnClass struct {
	frame framename.Frame
	classBits
}

// classBits is the pointer-free part of a class that the per-message memo
// copies, so the hot walk touches contiguous memory and no write barriers.
type classBits struct {
	root    uint64 // rules whose root patterns match
	excl    uint64 // rules whose exclusion patterns match
	cut     uint64 // rules whose explicit cut-offs match
	notPass uint64 // rules with cutoff_unless that this frame is not part of
	tags    uint64 // global tag bits
	dialect framename.Dialect
}

type fnKey struct {
	name, file string
	hint       framename.Dialect
}

// fnCache is bounded: when full it starts over, which costs one
// re-classification per function rather than unbounded memory.
type fnCache struct {
	mu     sync.RWMutex
	m      map[fnKey]*fnClass
	max    int
	resets int64
}

func newFnCache(max int) *fnCache { return &fnCache{m: make(map[fnKey]*fnClass), max: max} }

func (c *fnCache) get(k fnKey) *fnClass {
	c.mu.RLock()
	v := c.m[k]
	c.mu.RUnlock()
	return v
}

func (c *fnCache) put(k fnKey, v *fnClass) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[fnKey]*fnClass)
		c.resets++
	}
	// Clone so the cache never pins a decoded message's memory.
	k.name, k.file = strings.Clone(k.name), strings.Clone(k.file)
	c.m[k] = v
	c.mu.Unlock()
}

func (c *fnCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// classify returns the cached class of a function for one message: the
// message keeps the cache's read lock between look-ups (a read lock per
// function would cost more than the look-up) and drops it to insert.
func (m *message) classify(name, file string, hint framename.Dialect) *fnClass {
	c := m.a.cache
	k := fnKey{name: name, file: file, hint: hint}
	if !m.rlocked {
		c.mu.RLock()
		m.rlocked = true
	}
	if v := c.m[k]; v != nil {
		return v
	}
	c.mu.RUnlock()
	m.rlocked = false
	v := m.a.compute(name, file, hint)
	c.put(k, v)
	return v
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
