package attribution

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/perfadvisor/perfadvisor/internal/framename"
)

// TestFnCacheKeys: every (name, file, frame type) is its own entry, found
// again by the same key and by no other, across table growth and resets.
func TestFnCacheKeys(t *testing.T) {
	type fn struct {
		name, file string
		hint       framename.Dialect
	}
	keys := []fn{
		{"main.main", "main.go", framename.Unknown},
		{"main.main", "other.go", framename.Unknown},
		{"main.main", "", framename.Unknown},
		{"main.main", "main.go", framename.Go},
		{"main.mainmain.go", "", framename.Unknown}, // the same key bytes, split elsewhere
		{"", "main.main", framename.Unknown},
		{"", "", framename.Native},
		{"<module>", "/app/a.py", framename.Python},
		{"<module>", "/app/b.py", framename.Python},
	}
	for i := 0; i < 3000; i++ { // grows the table several times
		keys = append(keys, fn{fmt.Sprintf("pkg.f%d", i), fmt.Sprintf("f%d.go", i%7), framename.Dialect(i % 3)})
	}
	for _, tc := range []struct {
		name   string
		max    int
		resets int64
	}{
		{"roomy", 1 << 20, 0},
		{"full, starts over", 1000, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFnCache(tc.max)
			h := func(k fn) uint64 { return key(c.hashString(k.name), c.hashString(k.file), k.hint) }
			var refs []fnRef
			for i, k := range keys {
				v := &fnClass{dialect: framename.Dialect(i % 8), effect: effect{arm: uint64(i)}}
				v.ehash = v.effect.hash()
				got, ref := c.put(h(k), k.name, k.file, k.hint, v)
				require.Same(t, v, got)
				again, ref2 := c.put(h(k), k.name, k.file, k.hint, &fnClass{})
				require.Same(t, v, again, "a second put keeps the first class")
				require.Equal(t, ref, ref2)
				off := c.lookup(h(k), k.name, k.file, k.hint)
				require.GreaterOrEqual(t, off, 0, "%+v", k)
				require.Same(t, v, c.class(off))
				require.Same(t, v, c.classOf(ref))
				refs = append(refs, ref)
				if i > 0 {
					e, eh := c.effect(off)
					require.Equal(t, v.effect, e)
					require.Equal(t, v.ehash, eh)
				}
			}
			require.Equal(t, tc.resets, c.resets)
			// A reference from before the cache started over names nothing.
			for i, r := range refs {
				if i < len(refs)-c.len() {
					require.Nil(t, c.classOf(r), i)
				} else {
					require.NotNil(t, c.classOf(r), i)
				}
			}
			// The entries since the last reset are all there, each found by its own key only.
			kept := keys[len(keys)-c.len():]
			require.Len(t, kept, len(keys)-int(tc.resets)*tc.max)
			seen := map[int]bool{}
			for _, k := range kept {
				off := c.lookup(h(k), k.name, k.file, k.hint)
				require.GreaterOrEqual(t, off, 0, "%+v", k)
				require.False(t, seen[off], "%+v shares a record", k)
				seen[off] = true
			}
		})
	}
}

// TestFnCacheOneEntryPerFunction: every path to the cache (the memo, native
// names, evidence names) computes the same key, so a second pass over the
// same profiles finds every class and adds none.
func TestFnCacheOneEntryPerFunction(t *testing.T) {
	a := newTestAnalyzer(t, Options{})
	for _, in := range []string{"tls-a/cpu.pb.gz", "jvm-regex-a-otlp/profiles.pb", "ebpf-jvm-kafka/profiles.pb", "python-regex-a/cpu.pb.gz"} {
		pd := loadProfiles(t, filepath.Join(fixturesDir, in))
		w := NewWindow()
		require.NoError(t, a.Accumulate(pd, w))
		for _, ss := range w.Services {
			a.Evaluate(ss)
		}
		n := a.cache.len()
		require.NoError(t, a.Accumulate(pd, NewWindow()))
		for _, ss := range w.Services {
			a.Evaluate(ss)
		}
		require.Equal(t, n, a.cache.len(), in)
	}
}
