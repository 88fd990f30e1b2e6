package attribution

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// fnCache holds every function class computed so far, keyed by (name,
// file, frame type). In a collector it holds every service's functions and
// most look-ups miss the CPU caches, so a look-up makes two random memory
// accesses: an 8-byte slot of an open-addressing table (32 bits of the key
// hash and where the record is), then one record of an append-only arena
// that holds the key bytes next to the class bits the memo needs. A string
// map with the variants of a name chained behind it made about five.
//
// It is bounded: when full it starts over, which costs one re-classification
// per function rather than unbounded memory.
type fnCache struct {
	mu      sync.RWMutex
	seed    maphash.Seed
	slots   []uint64 // tag<<32 | record/8+1; 0 empty. Power of two, at most half full
	mask    uint64
	arena   []byte     // records, 8-byte aligned
	classes []*fnClass // by record's class index, for evidence names
	max     int
	resets  int64
}

// A record: the header, the key bytes (name then file) padded to 8, then,
// unless the class has no effect (most functions), its effect hash and effect.
const (
	recHash    = 0  // uint64: the key hash, to rehash on growth
	recLens    = 8  // uint32 name length, uint32 file length
	recHint    = 16 // uint8
	recDialect = 17 // uint8
	recPlain   = 18 // uint8: 1 when the effect is none
	recClass   = 20 // uint32: index in classes
	recKey     = 24
	recEffect  = 6 * 8 // ehash, then excl, arm, armCut, cut, tags
)

// maxArena bounds the records' bytes too (a slot holds offset/8 in 32 bits,
// up to 32 GiB): a cache of huge names starts over rather than grow. At the
// default MaxFunctions and ~100-byte records the arena holds ~26 MiB.
const maxArena = 1 << 28

const minFnSlots = 1 << 10

func newFnCache(max int) *fnCache {
	return &fnCache{seed: maphash.MakeSeed(), slots: make([]uint64, minFnSlots), mask: minFnSlots - 1, max: max}
}

// hashString is one key string's hash; it needs no lock.
func (c *fnCache) hashString(s string) uint64 {
	if s == "" {
		return 0
	}
	return maphash.String(c.seed, s)
}

// key combines hashString(name), hashString(file) and the frame type.
func key(nameHash, fileHash uint64, hint framename.Dialect) uint64 {
	return (nameHash ^ bits.RotateLeft64(fileHash, 29) ^ uint64(hint)) * fnvPrime
}

// lookup returns the record of (name, file, hint), -1 if none; h is its key
// hash. It needs the read lock held.
func (c *fnCache) lookup(h uint64, name, file string, hint framename.Dialect) int {
	tag := h >> 32
	a, slots := c.arena, c.slots
	for i := h & c.mask; ; i = (i + 1) & c.mask {
		s := slots[i]
		if s == 0 {
			return -1
		}
		if s>>32 != tag {
			continue
		}
		off := int(uint32(s)-1) * 8
		r := a[off : off+recKey]
		// The record's lengths are the message's: compare the bytes only then.
		if binary.LittleEndian.Uint64(r[recLens:]) == uint64(len(name))|uint64(len(file))<<32 && r[recHint] == uint8(hint) {
			k := a[off+recKey : off+recKey+len(name)+len(file)]
			if string(k[:len(name)]) == name && string(k[len(name):]) == file {
				return off
			}
		}
	}
}

// effect is the effect and its hash of the record at off, which has one;
// it needs the read lock held.
func (c *fnCache) effect(off int) (effect, uint64) {
	r := c.arena[off:]
	nl, fl := binary.LittleEndian.Uint32(r[recLens:]), binary.LittleEndian.Uint32(r[recLens+4:])
	r = r[recKey+pad8(int(nl+fl)):]
	_ = r[recEffect-1]
	return effect{
		excl:   binary.LittleEndian.Uint64(r[8:]),
		arm:    binary.LittleEndian.Uint64(r[16:]),
		armCut: binary.LittleEndian.Uint64(r[24:]),
		cut:    binary.LittleEndian.Uint64(r[32:]),
		tags:   binary.LittleEndian.Uint64(r[40:]),
	}, binary.LittleEndian.Uint64(r)
}

// class is the full class of the record at off; it needs the read lock held.
func (c *fnCache) class(off int) *fnClass {
	return c.classes[binary.LittleEndian.Uint32(c.arena[off+recClass:])]
}

// fnRef names a record as of one generation of the cache (it starts over
// when full), so a message can find a class again without a look-up.
type fnRef struct {
	rec uint32 // offset/8+1; 0: none
	gen uint32 // resets, truncated: a stale ref is one 2^32 resets old
}

// ref is the reference of the record at off; it needs the read lock held.
func (c *fnCache) ref(off int) fnRef { return fnRef{rec: uint32(off/8) + 1, gen: uint32(c.resets)} }

// classOf is the class ref names, nil if the cache has started over since;
// it needs the read lock held.
func (c *fnCache) classOf(r fnRef) *fnClass {
	if r.rec == 0 || r.gen != uint32(c.resets) {
		return nil
	}
	return c.class(int(r.rec-1) * 8)
}

func pad8(n int) int { return (n + 7) &^ 7 }

// put adds v as the class of (name, file, hint), whose key hash is h.
func (c *fnCache) put(h uint64, name, file string, hint framename.Dialect, v *fnClass) (*fnClass, fnRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off := c.lookup(h, name, file, hint); off >= 0 {
		return c.class(off), c.ref(off) // another message classified it meanwhile
	}
	size := recKey + pad8(len(name)+len(file))
	plain := v.effect == (effect{})
	if !plain {
		size += recEffect
	}
	if len(c.classes) >= c.max || len(c.arena)+size > maxArena {
		// Records are read only under the lock: the storage can be reused.
		c.arena = c.arena[:0]
		clear(c.classes)
		c.classes = c.classes[:0]
		clear(c.slots)
		c.resets++
	}
	if 2*(len(c.classes)+1) > len(c.slots) {
		c.grow(2 * len(c.slots))
	}
	off := len(c.arena)
	// The key bytes are copied: the cache never pins a decoded message's memory.
	if len(c.arena)+size > cap(c.arena) {
		// Doubling: append grows large slices by a quarter, copying the arena often.
		a := make([]byte, len(c.arena), max(min(2*cap(c.arena), maxArena), len(c.arena)+size, 1<<14))
		copy(a, c.arena)
		c.arena = a
	}
	c.arena = c.arena[:len(c.arena)+size]
	clear(c.arena[off:]) // reused after a reset
	r := c.arena[off:]
	binary.LittleEndian.PutUint64(r[recHash:], h)
	binary.LittleEndian.PutUint32(r[recLens:], uint32(len(name)))
	binary.LittleEndian.PutUint32(r[recLens+4:], uint32(len(file)))
	r[recHint], r[recDialect] = uint8(hint), uint8(v.dialect)
	if plain {
		r[recPlain] = 1
	}
	binary.LittleEndian.PutUint32(r[recClass:], uint32(len(c.classes)))
	copy(r[recKey+copy(r[recKey:], name):], file)
	if !plain {
		r = r[recKey+pad8(len(name)+len(file)):]
		binary.LittleEndian.PutUint64(r, v.ehash)
		for i, w := range [...]uint64{v.effect.excl, v.effect.arm, v.effect.armCut, v.effect.cut, v.effect.tags} {
			binary.LittleEndian.PutUint64(r[8+8*i:], w)
		}
	}
	c.classes = append(c.classes, v)
	c.insert(h, off)
	return v, c.ref(off)
}

func (c *fnCache) insert(h uint64, off int) {
	i := h & c.mask
	for c.slots[i] != 0 {
		i = (i + 1) & c.mask
	}
	c.slots[i] = h>>32<<32 | uint64(off/8+1)
}

// grow rehashes every record into a table of size slots.
func (c *fnCache) grow(size int) {
	c.slots = make([]uint64, size)
	c.mask = uint64(size - 1)
	for off := 0; off < len(c.arena); {
		r := c.arena[off:]
		c.insert(binary.LittleEndian.Uint64(r[recHash:]), off)
		n := recKey + pad8(int(binary.LittleEndian.Uint32(r[recLens:])+binary.LittleEndian.Uint32(r[recLens+4:])))
		if r[recPlain] == 0 {
			n += recEffect
		}
		off += n
	}
}

func (c *fnCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.classes)
}
