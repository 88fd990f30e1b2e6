package framename

import "strings"

// The producers' composite spellings: a name that carries its file, module,
// library or symbol version, split into what the catalog matches.

// splitPythonName recognises `func (path/file.py)`, the old pyroscope
// `path/file.py:12 - func` and `package.module:func`.
func splitPythonName(name string) (fn, file string, ok bool) {
	if strings.HasSuffix(name, ")") {
		if i := strings.LastIndex(name, " ("); i > 0 {
			file := name[i+2 : len(name)-1]
			// py-spy's own format appends the line: `f (path/x.py:42)`.
			if j := strings.LastIndexByte(file, ':'); j > 0 && isDigits(file[j+1:]) {
				file = file[:j]
			}
			if strings.HasSuffix(file, ".py") || strings.HasPrefix(file, "<frozen ") {
				return name[:i], cleanFile(file), true
			}
		}
	}
	if i := strings.Index(name, ".py:"); i > 0 {
		rest := name[i+4:]
		if j := strings.Index(rest, " - "); j >= 0 && isDigits(rest[:j]) {
			return strings.TrimSpace(rest[j+3:]), cleanFile(name[:i+3]), true
		}
	}
	if i := strings.IndexByte(name, ':'); i > 0 && i < len(name)-1 && strings.IndexByte(name[i+1:], ':') < 0 {
		mod, fn := name[:i], name[i+1:]
		if isModulePath(mod) && isIdent(fn) {
			return fn, strings.ReplaceAll(mod, ".", "/") + ".py", true
		}
	}
	return "", "", false
}

// splitNativeName recognises `symbol (file.c[:line])` and `symbol
// (libfoo.so[.N])` with C, C++, Rust or shared-library files.
func splitNativeName(name string) (fn, file string, ok bool) {
	if !strings.HasSuffix(name, ")") {
		return "", "", false
	}
	i := strings.LastIndex(name, " (")
	if i <= 0 {
		return "", "", false
	}
	file = name[i+2 : len(name)-1]
	if j := strings.LastIndexByte(file, ':'); j > 0 && isDigits(file[j+1:]) {
		file = file[:j]
	}
	if file == "" || strings.IndexAny(file, " ()") >= 0 {
		return "", "", false
	}
	base := file[strings.LastIndexByte(file, '/')+1:]
	for _, ext := range []string{".c", ".cc", ".cpp", ".cxx", ".h", ".hpp", ".rs", ".S"} {
		if strings.HasSuffix(base, ext) {
			return name[:i], file, true
		}
	}
	if k := strings.Index(base, ".so"); k > 0 && (k+3 == len(base) || base[k+3] == '.') {
		return name[:i], file, true
	}
	return "", "", false
}

// splitNodeName recognises `fn (node:module)` and `fn (path.js[:line[:col]])`.
func splitNodeName(name string) (fn, file string, ok bool) {
	if !strings.HasSuffix(name, ")") {
		return "", "", false
	}
	i := strings.LastIndex(name, " (")
	if i <= 0 {
		return "", "", false
	}
	file = name[i+2 : len(name)-1]
	for k := 0; k < 2; k++ {
		if j := strings.LastIndexByte(file, ':'); j > 0 && isDigits(file[j+1:]) {
			file = file[:j]
		}
	}
	if strings.IndexByte(file, ' ') >= 0 {
		return "", "", false
	}
	if strings.HasPrefix(file, "node:") || strings.HasSuffix(file, ".js") || strings.HasSuffix(file, ".mjs") || strings.HasSuffix(file, ".cjs") {
		return name[:i], file, true
	}
	return "", "", false
}

// dotNetModuleName strips pyroscope-dotnet's `Assembly!` from a managed
// name (`System.Private.CoreLib!System.Text.RegularExpressions.Regex..ctor`);
// a native name behind the module (`coreclr!WKS::gc_heap::mark_phase`) is
// not .NET code and is left to stripLibraryPrefix.
func dotNetModuleName(name string) (string, bool) {
	i := strings.IndexByte(name, '!')
	if i <= 0 || i == len(name)-1 || strings.IndexAny(name[:i], " ()") >= 0 {
		return "", false
	}
	rest := name[i+1:]
	if strings.Contains(rest, "::") || strings.IndexByte(rest, '.') <= 0 || rest[0] < 'A' || rest[0] > 'Z' && rest[0] != '<' {
		return "", false
	}
	return rest, true
}

// stripLibraryPrefix removes the shared object some producers put before a
// native symbol: `libjvm.so.G1ParScanThreadState::trim_queue_to_threshold`,
// `libc.so.6.__memcpy_avx_unaligned`, `coreclr!WKS::gc_heap::mark_phase`.
func stripLibraryPrefix(name string) string {
	if i := strings.IndexByte(name, '!'); i > 0 && i < len(name)-1 && strings.IndexAny(name[:i], " ()") < 0 {
		return name[i+1:]
	}
	if !strings.HasPrefix(name, "lib") {
		return name
	}
	k := strings.Index(name, ".so.")
	if k < 0 {
		return name
	}
	rest := name[k+4:]
	// Version numbers (libc.so.6., libpython3.11.so.1.0.) belong to the library.
	for {
		j := strings.IndexByte(rest, '.')
		if j <= 0 || !isDigits(rest[:j]) {
			break
		}
		rest = rest[j+1:]
	}
	if rest == "" || isDigits(rest) || strings.IndexAny(name[:k], " ()") >= 0 {
		return name
	}
	return rest
}

// stripSymbolVersion removes an ELF symbol version: `@@GLIBC_2.3.2`, `@GLIBC_2.2.5`.
func stripSymbolVersion(name string) string {
	i := strings.IndexByte(name, '@')
	if i <= 0 {
		return name
	}
	v := strings.TrimLeft(name[i:], "@")
	if v == "" || strings.IndexAny(v, " ()") >= 0 || !(v[0] >= 'A' && v[0] <= 'Z' || v[0] == '_') {
		return name
	}
	return name[:i]
}
