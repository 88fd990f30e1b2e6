package attribution

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/framename"
	"github.com/perfadvisor/perfadvisor/internal/symbolize"
)

// Symbolizer names a native frame that arrived as a bare address in a mapped
// file: the OTel eBPF profiler sends C, C++ and Rust frames (V8, libc,
// libssl, libjvm) so, and no native signature can match them unnamed.
type Symbolizer interface {
	Symbolize(f symbolize.Frame) (name string, ok bool)
}

// Attributes the OTel eBPF profiler sets: the mapping's GNU build ID, the
// resource's process.
const (
	buildIDAttr = "process.executable.build_id.gnu"
	pidAttr     = "process.pid"
)

// maxSymbolizePIDs bounds the processes a file is looked for in.
const maxSymbolizePIDs = 64

// unnamedNote is the coverage note above this share of CPU samples whose leaf
// is a native frame without a name: below it, start-up glue (__libc_start_call_main)
// is all that is missing.
const unnamedNoteShare = 0.10

// natives is a message's symbolized frame names; a slot's fn is -2-i for names[i].
type natives struct {
	names []string
	index map[string]int32
	pids  []int64
}

// notePIDs keeps the resources' process ids: where a mapped file may be read.
func (m *message) notePIDs(rps pprofile.ResourceProfilesSlice) {
	m.native.pids = m.native.pids[:0]
	if m.a.opts.Symbolizer == nil {
		return
	}
	for _, rp := range rps.All() {
		v, ok := rp.Resource().Attributes().Get(pidAttr)
		if ok && v.Type() == pcommon.ValueTypeInt && v.Int() > 0 && len(m.native.pids) < maxSymbolizePIDs {
			m.native.pids = append(m.native.pids, v.Int())
		}
	}
}

// nativeName names a location without lines from its mapping (file, build
// ID) and address, once per location per message. Only the engine's view
// changes: the profile is not touched.
func (m *message) nativeName(l pprofile.Location, hint framename.Dialect) (int32, bool) {
	sym := m.a.opts.Symbolizer
	if sym == nil || (hint != framename.Native && hint != framename.Unknown) {
		return 0, false
	}
	mi := l.MappingIndex()
	if mi <= 0 || int(mi) >= m.maps.Len() {
		return 0, false
	}
	mp := m.maps.At(int(mi))
	file, ok := m.str(mp.FilenameStrindex())
	if !ok || file == "" {
		return 0, false
	}
	var id string
	for _, ai := range mp.AttributeIndices().All() {
		if ai < 0 || int(ai) >= m.attrs.Len() {
			continue
		}
		kv := m.attrs.At(int(ai))
		if k, _ := m.str(kv.KeyStrindex()); k == buildIDAttr {
			id = kv.Value().AsString()
		}
	}
	if id == "" {
		return 0, false
	}
	name, ok := sym.Symbolize(symbolize.Frame{PIDs: m.native.pids, File: file, BuildID: id,
		Start: mp.MemoryStart(), Limit: mp.MemoryLimit(), FileOffset: mp.FileOffset(), Address: l.Address()})
	if !ok || name == "" {
		return 0, false
	}
	if m.native.index == nil {
		m.native.index = map[string]int32{}
	}
	i, seen := m.native.index[name]
	if !seen {
		i = int32(len(m.native.names))
		m.native.names = append(m.native.names, name)
		m.native.index[name] = i
	}
	return -2 - i, true
}

// symbolized is the name behind a slot's negative function index.
func (m *message) symbolized(fn int32) string {
	if i := -2 - fn; i >= 0 && int(i) < len(m.native.names) {
		return m.native.names[i]
	}
	return ""
}

func (n *natives) reset() {
	n.names = n.names[:0]
	clear(n.index)
}
