// Package symbolize names native frames that a profiler sent as bare addresses (the OTel
// eBPF profiler does so for C, C++ and Rust code: node and V8, libc, libssl, libjvm) from the
// ELF symbol tables of the mapped files. A file is accepted only when its GNU build ID equals
// the mapping's, is read once, and its symbols are kept per build ID in a bounded LRU.
package symbolize

import (
	"bufio"
	"container/list"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says where files are looked for and how much is kept.
type Config struct {
	// SearchPaths are directories holding copies of the mapped files, by their full path
	// (dir/usr/lib/x86_64-linux-gnu/libc.so.6), by base name, or as debug files under
	// dir/.build-id/xx/yyyy.debug: a gateway's symbol directory.
	SearchPaths []string
	// MaxFiles bounds the files kept (and the files remembered as not found).
	MaxFiles int
	// MaxSymbolBytes bounds the memory the kept symbol tables take.
	MaxSymbolBytes int64
	// ProcRoot is where processes' root file systems are visible; "" means /proc.
	ProcRoot string
	// NoHostPaths stops the plain mapping path being tried on this host's file system.
	NoHostPaths bool
	// RetryMissing is how long a build ID whose file could not be read is remembered as
	// missing before it is looked for again (a process started later may show it); 0: 1m.
	RetryMissing time.Duration
}

// Defaults for Config's bounds. A host's processes map a few hundred distinct files, most
// with small .dynsym tables; node's .symtab (~100k symbols) is about 10 MB.
const (
	DefaultMaxFiles       = 256
	DefaultMaxSymbolBytes = 256 << 20
)

// Frame is a native frame as a profile carries it: an address in a mapping of a file.
type Frame struct {
	// PIDs are processes that may map the file (the resources' process.pid), tried in
	// order: a profile's mapping table is shared by all the processes of a message.
	PIDs       []int64
	File       string
	BuildID    string // GNU build ID, hex
	Start      uint64 // mapping start, limit and file offset (0, 0, 0: the address is a virtual address)
	Limit      uint64
	FileOffset uint64
	Address    uint64
}

// Stats counts what the symbolizer did, for self-telemetry and coverage notes.
type Stats struct {
	Loaded, NotFound, Failed, Evicted int
}

// Symbolizer resolves frames; it is safe for concurrent use.
type Symbolizer struct {
	cfg   Config
	mu    sync.Mutex
	lru   *list.List // of *entry, front = most recent
	byID  map[string]*list.Element
	bytes int64
	stats Stats
}

type entry struct {
	id    string
	at    time.Time // when the load finished
	ready chan struct{}
	tab   *table // nil when no file with this build ID could be read
	err   error
}

// New returns a symbolizer with cfg's zero bounds replaced by the defaults.
func New(cfg Config) *Symbolizer {
	if cfg.MaxFiles <= 0 {
		cfg.MaxFiles = DefaultMaxFiles
	}
	if cfg.MaxSymbolBytes <= 0 {
		cfg.MaxSymbolBytes = DefaultMaxSymbolBytes
	}
	if cfg.RetryMissing <= 0 {
		cfg.RetryMissing = time.Minute
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = "/proc"
	}
	return &Symbolizer{cfg: cfg, lru: list.New(), byID: map[string]*list.Element{}}
}

// Symbolize names the function holding the frame's address, demangled. It is false when no
// file with the mapping's build ID can be read or no symbol covers the address. The first
// call for a build ID reads the file; later calls are a map hit and a binary search.
func (s *Symbolizer) Symbolize(f Frame) (string, bool) {
	id := strings.ToLower(f.BuildID)
	if id == "" || f.File == "" {
		return "", false
	}
	t := s.table(id, f)
	if t == nil {
		return "", false
	}
	va, ok := t.toVirtual(f.Address, f.Start, f.Limit, f.FileOffset)
	if !ok {
		return "", false
	}
	return t.lookupDemangled(va)
}

// Stats returns the counters so far.
func (s *Symbolizer) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Symbolizer) table(id string, f Frame) *table {
	s.mu.Lock()
	if el, ok := s.byID[id]; ok {
		e := el.Value.(*entry)
		if !s.stale(e) {
			s.lru.MoveToFront(el)
			s.mu.Unlock()
			<-e.ready
			return e.tab
		}
		s.lru.Remove(el)
		delete(s.byID, id)
	}
	e := &entry{id: id, ready: make(chan struct{})}
	s.byID[id] = s.lru.PushFront(e)
	s.mu.Unlock()

	// Read outside the lock: other build IDs resolve meanwhile, this one's callers wait.
	e.tab, e.err = s.load(id, f)
	s.mu.Lock()
	e.at = time.Now()
	switch {
	case e.tab != nil:
		s.stats.Loaded++
		s.bytes += e.tab.bytes()
	case errors.Is(e.err, os.ErrNotExist):
		s.stats.NotFound++
	default:
		s.stats.Failed++
	}
	close(e.ready)
	s.evict()
	s.mu.Unlock()
	return e.tab
}

// stale reports a finished miss older than RetryMissing.
func (s *Symbolizer) stale(e *entry) bool {
	select {
	case <-e.ready:
		return e.tab == nil && time.Since(e.at) > s.cfg.RetryMissing
	default:
		return false
	}
}

// evict drops the least recently used entries past either bound; entries still loading
// are skipped (their bytes are not counted yet).
func (s *Symbolizer) evict() {
	for el := s.lru.Back(); el != nil && (s.lru.Len() > s.cfg.MaxFiles || s.bytes > s.cfg.MaxSymbolBytes); {
		prev := el.Prev()
		e := el.Value.(*entry)
		select {
		case <-e.ready:
			s.lru.Remove(el)
			delete(s.byID, e.id)
			if e.tab != nil {
				s.bytes -= e.tab.bytes()
			}
			s.stats.Evicted++
		default:
		}
		el = prev
	}
}

// load tries the candidate files in order and keeps the first whose build ID matches.
func (s *Symbolizer) load(id string, f Frame) (*table, error) {
	var errs []error
	for _, p := range s.candidates(id, f) {
		fh, err := os.Open(p)
		if err != nil {
			continue
		}
		t, err := readTable(fh)
		fh.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		if t.buildID != id {
			errs = append(errs, fmt.Errorf("%s: build ID %q, want %q", p, t.buildID, id))
			continue
		}
		return t, nil
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("symbolize: %s (build ID %s): %w", f.File, id, os.ErrNotExist)
	}
	return nil, errors.Join(errs...)
}

// candidates lists where a mapped file may be read: separate debug files by build ID first
// (they keep the full .symtab a stripped library lacks), then the file inside the process's
// mount namespace, copies in the symbol directories, and the path on this host.
func (s *Symbolizer) candidates(id string, f Frame) []string {
	var out []string
	clean := filepath.Clean("/" + f.File)
	if len(id) > 2 {
		for _, dir := range s.cfg.SearchPaths {
			out = append(out, filepath.Join(dir, ".build-id", id[:2], id[2:]+".debug"))
		}
	}
	for _, pid := range f.PIDs {
		if pid <= 0 {
			continue
		}
		root := filepath.Join(s.cfg.ProcRoot, strconv.FormatInt(pid, 10), "root")
		if filepath.IsAbs(f.File) {
			out = append(out, filepath.Join(root, clean))
			continue
		}
		// The OTel eBPF profiler sends only the base name; the process's own maps say
		// which file it is.
		for _, p := range s.mappedPaths(pid, f.File) {
			out = append(out, filepath.Join(root, p))
		}
	}
	for _, dir := range s.cfg.SearchPaths {
		out = append(out, filepath.Join(dir, clean), filepath.Join(dir, filepath.Base(clean)))
	}
	if !s.cfg.NoHostPaths && filepath.IsAbs(f.File) {
		out = append(out, clean)
	}
	return out
}

// maxMapsBytes bounds what is read of one process's maps.
const maxMapsBytes = 8 << 20

// mappedPaths lists the distinct paths mapped by the process whose base name is base.
func (s *Symbolizer) mappedPaths(pid int64, base string) []string {
	fh, err := os.Open(filepath.Join(s.cfg.ProcRoot, strconv.FormatInt(pid, 10), "maps"))
	if err != nil {
		return nil
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(io.LimitReader(fh, maxMapsBytes))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		// address perms offset dev inode path
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || !strings.HasPrefix(fields[5], "/") {
			continue
		}
		p := strings.Join(fields[5:], " ")
		if filepath.Base(p) == base && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
