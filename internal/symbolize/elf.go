package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/ianlancetaylor/demangle"
)

// maxSymbolSection caps the symbol and string tables read from one file, so a corrupt
// header cannot make us allocate gigabytes.
const maxSymbolSection = 512 << 20

// ntGNUBuildID is the note type of .note.gnu.build-id.
const ntGNUBuildID = 3

// ErrNoSymbols is returned for an ELF file with neither .symtab nor .dynsym functions.
var ErrNoSymbols = errors.New("symbolize: no function symbols")

// table holds one file's function symbols sorted by address; names live in one blob so a
// file with 100k symbols costs two allocations, not 100k.
type table struct {
	buildID string
	syms    []sym
	names   string
	loads   []elf.ProgHeader
	// demangled caches names by symbol index: the engine asks for the same few
	// hundred functions in every batch, and demangling is the costly part.
	demangled sync.Map
}

type sym struct {
	value   uint64
	size    uint64
	nameOff uint32
	nameLen uint32
}

// bytes is the table's approximate memory cost, charged to the cache budget.
func (t *table) bytes() int64 {
	return int64(len(t.syms))*24 + int64(len(t.names)) + int64(len(t.loads))*56 + 64
}

// readTable loads the function symbols of an ELF image. A malformed file is an error: the
// standard library has panicked on hostile input before, so a panic is turned into one too.
func readTable(r io.ReaderAt) (t *table, err error) {
	defer func() {
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("symbolize: malformed ELF: %v", p)
		}
	}()
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("symbolize: %w", err)
	}
	defer f.Close()
	t = &table{buildID: buildID(f)}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			t.loads = append(t.loads, p.ProgHeader)
		}
	}
	raw, err := functionSymbols(f)
	if err != nil {
		return nil, err
	}
	t.fill(raw)
	return t, nil
}

// functionSymbols prefers .symtab (static and local functions too) and falls back to .dynsym
// (what stripped shared libraries keep: their exported API, which is what native roots name).
func functionSymbols(f *elf.File) ([]elf.Symbol, error) {
	for _, sec := range []elf.SectionType{elf.SHT_SYMTAB, elf.SHT_DYNSYM} {
		s := f.SectionByType(sec)
		if s == nil || s.Size == 0 {
			continue
		}
		if s.Size > maxSymbolSection {
			return nil, fmt.Errorf("symbolize: symbol table of %d bytes", s.Size)
		}
		var syms []elf.Symbol
		var err error
		if sec == elf.SHT_SYMTAB {
			syms, err = f.Symbols()
		} else {
			syms, err = f.DynamicSymbols()
		}
		if err != nil {
			return nil, fmt.Errorf("symbolize: %w", err)
		}
		funcs := syms[:0]
		for _, s := range syms {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Section != elf.SHN_UNDEF {
				funcs = append(funcs, s)
			}
		}
		if len(funcs) > 0 {
			return funcs, nil
		}
	}
	return nil, ErrNoSymbols
}

// fill sorts once by address; of aliases at one address it keeps a global name over a weak
// or local one (memcpy over __memcpy_avx_unaligned), then the shorter.
func (t *table) fill(raw []elf.Symbol) {
	rank := func(s elf.Symbol) int {
		switch elf.ST_BIND(s.Info) {
		case elf.STB_GLOBAL:
			return 0
		case elf.STB_WEAK:
			return 1
		}
		return 2
	}
	sort.Slice(raw, func(i, j int) bool {
		a, b := raw[i], raw[j]
		if a.Value != b.Value {
			return a.Value < b.Value
		}
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		return len(a.Name) < len(b.Name)
	})
	var sb strings.Builder
	t.syms = make([]sym, 0, len(raw))
	for i, s := range raw {
		if i > 0 && raw[i-1].Value == s.Value {
			continue
		}
		t.syms = append(t.syms, sym{value: s.Value, size: s.Size, nameOff: uint32(sb.Len()), nameLen: uint32(len(s.Name))})
		sb.WriteString(s.Name)
	}
	t.names = sb.String()
}

// lookup finds the symbol whose [value, value+size) holds the virtual address.
func (t *table) lookup(va uint64) (string, bool) {
	k, ok := t.find(va)
	if !ok {
		return "", false
	}
	s := t.syms[k]
	return t.names[s.nameOff : s.nameOff+s.nameLen], true
}

// lookupDemangled is lookup with the name demangled, cached per symbol.
func (t *table) lookupDemangled(va uint64) (string, bool) {
	k, ok := t.find(va)
	if !ok {
		return "", false
	}
	if v, ok := t.demangled.Load(k); ok {
		return v.(string), true
	}
	s := t.syms[k]
	name := Demangle(t.names[s.nameOff : s.nameOff+s.nameLen])
	t.demangled.Store(k, name)
	return name, true
}

func (t *table) find(va uint64) (int, bool) {
	i := sort.Search(len(t.syms), func(i int) bool { return t.syms[i].value > va }) - 1
	// A symbol may lie inside a larger one (a local label in a function); look back a little.
	for k := i; k >= 0 && k > i-4; k-- {
		s := t.syms[k]
		if va >= s.value && (va < s.value+s.size || (s.size == 0 && va == s.value)) {
			return k, true
		}
	}
	return 0, false
}

// toVirtual turns an address in a mapping into the file's virtual address space: the
// mapping's start corresponds to its file offset, and the PT_LOAD headers translate a file
// offset into a virtual address. The OTel eBPF profiler already reports ELF virtual addresses
// and a start that is the virtual address of the offset, so the translation is the identity
// for it and correct for runtime addresses from pprof-style producers too.
func (t *table) toVirtual(addr, start, limit, fileOffset uint64) (uint64, bool) {
	if start == 0 && limit == 0 {
		return addr, true
	}
	if addr < start || (limit > start && addr >= limit) {
		return 0, false
	}
	off := addr - start + fileOffset
	for _, p := range t.loads {
		if off >= p.Off && off < p.Off+p.Filesz {
			return off - p.Off + p.Vaddr, true
		}
	}
	return 0, false
}

// buildID reads the GNU build ID note as lower-case hex, "" if there is none.
func buildID(f *elf.File) string {
	for _, s := range f.Sections {
		if s.Type != elf.SHT_NOTE || s.Size > 1<<16 {
			continue
		}
		data, err := s.Data()
		if err != nil {
			continue
		}
		if id := noteBuildID(data, f.ByteOrder); id != "" {
			return id
		}
	}
	return ""
}

func noteBuildID(data []byte, bo binary.ByteOrder) string {
	for len(data) >= 12 {
		namesz, descsz, typ := uint64(bo.Uint32(data)), uint64(bo.Uint32(data[4:])), bo.Uint32(data[8:])
		data = data[12:]
		nameEnd := (namesz + 3) &^ 3
		descEnd := (descsz + 3) &^ 3
		if nameEnd > uint64(len(data)) || nameEnd+descsz > uint64(len(data)) {
			return ""
		}
		name := data[:namesz]
		desc := data[nameEnd : nameEnd+descsz]
		if typ == ntGNUBuildID && bytes.Equal(bytes.TrimRight(name, "\x00"), []byte("GNU")) {
			return hex.EncodeToString(desc)
		}
		if nameEnd+descEnd > uint64(len(data)) {
			return ""
		}
		data = data[nameEnd+descEnd:]
	}
	return ""
}

// Demangle turns an Itanium C++ name into its qualified name without parameters
// (v8::internal::RegExpImpl::Compile), the form the catalog's native patterns use; other
// names come back unchanged.
func Demangle(name string) string {
	if !strings.HasPrefix(name, "_Z") {
		return name
	}
	return demangle.Filter(name, demangle.NoParams, demangle.NoClones, demangle.NoTemplateParams)
}
