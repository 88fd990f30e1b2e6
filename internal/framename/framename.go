// Package framename turns the frame spellings of the profilers perfadvisor
// reads (Go pclntab, JVM in three forms, Python, native and kernel symbols)
// into one canonical name and file per dialect, so catalog patterns are
// written once per runtime instead of once per producer.
package framename

import (
	"strings"
)

// Dialect is the runtime family a frame belongs to.
type Dialect uint8

const (
	Unknown Dialect = iota
	Go
	JVM
	Python
	Node
	DotNet
	Native
	Kernel
	Other // php, ruby, perl, beam, luajit: known to the eBPF profiler, no signatures yet
)

var dialectNames = [...]string{"unknown", "go", "jvm", "python", "node", "dotnet", "native", "kernel", "other"}

// String returns the dialect's catalog spelling.
func (d Dialect) String() string {
	if int(d) < len(dialectNames) {
		return dialectNames[d]
	}
	return "unknown"
}

// ParseDialect maps a catalog dialect name to a Dialect; ok is false for unknown names.
func ParseDialect(s string) (Dialect, bool) {
	for i, n := range dialectNames {
		if n == s && i != int(Unknown) {
			return Dialect(i), true
		}
	}
	return Unknown, false
}

// FromFrameType maps the eBPF profiler's `profile.frame.type` location
// attribute to a dialect; "" or an unknown value gives Unknown.
func FromFrameType(t string) Dialect {
	switch t {
	case "go":
		return Go
	case "jvm":
		return JVM
	case "cpython", "python":
		return Python
	case "v8js", "node":
		return Node
	case "dotnet":
		return DotNet
	case "native":
		return Native
	case "kernel":
		return Kernel
	case "":
		return Unknown
	default:
		return Other
	}
}

// Frame is a normalised frame.
type Frame struct {
	Name    string
	File    string
	Dialect Dialect
	// Explicit is true when the dialect came from the producer (frame type)
	// rather than from the spelling.
	Explicit bool
}

// Normalize canonicalises one function. hint is the producer's frame type
// (Unknown when absent); the dialect is then inferred from the spelling.
func Normalize(name, file string, hint Dialect) Frame {
	name = strings.TrimSpace(name)
	file = cleanFile(file)
	f := Frame{Name: name, File: file, Dialect: hint, Explicit: hint != Unknown}

	// Python spellings carry the file inside the name; split them first.
	if n, fl, ok := splitPythonName(name); ok && (hint == Unknown || hint == Python) {
		f.Name, f.Dialect = n, Python
		if f.File == "" || !strings.HasSuffix(f.File, ".py") {
			f.File = fl
		}
		return f
	}
	// Node frames as some exporters spell them: `lookup (node:dns)`,
	// `handler (/srv/app.js:12:5)`.
	if n, fl, ok := splitNodeName(name); ok && (hint == Unknown || hint == Node) {
		f.Name, f.Dialect = n, Node
		if f.File == "" {
			f.File = fl
		}
		return f
	}
	// py-spy --native writes native frames the same way: `gc_collect_main
	// (libpython3.11.so.1.0)` or `SSL_do_handshake (ssl_lib.c:4651)`.
	if n, fl, ok := splitNativeName(name); ok && hint != Python {
		name = n
		if f.File == "" {
			f.File = fl
		}
		if f.Dialect == Unknown {
			f.Dialect = Native
		}
	}
	// pyroscope-dotnet writes `Assembly!Ns.Type.Method`: the module prefix
	// alone says .NET when the producer gave no frame type.
	if n, ok := dotNetModuleName(name); ok && (f.Dialect == Unknown || f.Dialect == DotNet) {
		f.Name, f.Dialect = normalizeDotNet(n), DotNet
		return f
	}
	if f.Dialect != Python && f.Dialect != JVM && f.Dialect != Go {
		name = stripSymbolVersion(stripLibraryPrefix(name))
	}
	if f.Dialect == Unknown {
		f.Dialect = infer(name, file)
	}
	switch f.Dialect {
	case Go:
		f.Name = normalizeGo(name)
	case JVM:
		f.Name = normalizeJVM(name)
	case Python:
		f.Name = strings.TrimSuffix(name, " ")
	case DotNet:
		f.Name = normalizeDotNet(name)
	case Native, Kernel, Unknown, Other, Node:
		f.Name = normalizeNative(name)
	}
	return f
}

func cleanFile(file string) string {
	file = strings.TrimSpace(file)
	if strings.IndexByte(file, '\\') >= 0 {
		file = strings.ReplaceAll(file, "\\", "/")
	}
	for strings.HasPrefix(file, "./") {
		file = file[2:]
	}
	return file
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '<' || c == '>' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isModulePath: dotted lower-case identifiers such as kafka.consumer.group.
func isModulePath(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// infer guesses a dialect from the spelling when the producer gave none.
func infer(name, file string) Dialect {
	switch {
	case strings.HasSuffix(file, ".go") || strings.HasSuffix(file, ".s") && strings.Contains(file, "/go/"):
		return Go
	case strings.HasSuffix(file, ".py"):
		return Python
	case strings.HasSuffix(file, ".java") || strings.HasSuffix(file, ".kt") || strings.HasSuffix(file, ".scala"):
		return JVM
	case strings.HasSuffix(file, ".js") || strings.HasSuffix(file, ".mjs") || strings.HasPrefix(file, "node:"):
		return Node
	case strings.HasSuffix(file, ".cs"):
		return DotNet
	}
	if strings.HasSuffix(name, "_[k]") { // async-profiler's annotated kernel frame
		return Kernel
	}
	// Unsymbolized frames named by their mapping: `[kernel.kallsyms]`,
	// `[vdso]`, `[unknown]`; the dot in them is not a Go package's.
	if len(name) > 2 && name[0] == '[' && name[len(name)-1] == ']' {
		if strings.Contains(name, "kernel") {
			return Kernel
		}
		return Native
	}
	if strings.Contains(name, "::") || strings.Contains(name, " [clone ") || trimCloneSuffix(name) != name {
		return Native
	}
	if looksJVM(name) || looksDottedJVM(name) {
		return JVM
	}
	if looksDotNet(name) {
		return DotNet
	}
	if looksGo(name) {
		return Go
	}
	return Native
}

// looksJVM: `<ret> pkg.Class.m(args)` (eBPF HotSpot) or `pkg/Class.m` where
// the class segment starts upper-case (Go package paths are lower-case).
func looksJVM(name string) bool {
	// async-profiler's `sig` style: `pkg/Class.m(Ljava/lang/String;)V`.
	if p := strings.IndexByte(name, '('); p > 0 && strings.IndexByte(name[:p], ' ') < 0 && jvmDescriptor(name[p:]) {
		return strings.IndexByte(name[:p], '.') > 0
	}
	if sp := strings.IndexByte(name, ' '); sp > 0 && strings.HasSuffix(name, ")") {
		p := strings.IndexByte(name, '(')
		return p > sp && strings.IndexByte(name[sp+1:p], '.') > 0
	}
	slash := strings.LastIndexByte(name, '/')
	if slash < 0 || slash == len(name)-1 {
		return false
	}
	cls := name[slash+1:]
	dot := strings.IndexByte(cls, '.')
	return dot > 0 && cls[0] >= 'A' && cls[0] <= 'Z'
}

// looksDottedJVM: `pkg.sub.Class.method` with no file to tell: at least two
// lower-case package segments, then a class segment starting upper-case,
// then the method. A Go name without a slash has a single package segment
// (`net.IP.String`, `main.T.M`), so it never matches.
func looksDottedJVM(name string) bool {
	name = trimAsyncProfilerSuffix(name)
	if strings.IndexAny(name, "/ ()[]*") >= 0 {
		return false
	}
	// Only the JVM writes `<init>`/`<clinit>` methods or `$` in class
	// names (nested classes, lambdas), whatever the package depth.
	if strings.IndexByte(name, '.') > 0 && isJavaIdent(strings.ReplaceAll(name, ".", "")) &&
		(strings.HasSuffix(name, ".<init>") || strings.HasSuffix(name, ".<clinit>") || strings.IndexByte(name, '$') > 0) {
		return true
	}
	segs := strings.Split(name, ".")
	pkgs := 0
	for pkgs < len(segs) && isLowerIdent(segs[pkgs]) {
		pkgs++
	}
	if pkgs < 2 || len(segs) != pkgs+2 {
		return false
	}
	cls, method := segs[pkgs], segs[pkgs+1]
	return cls != "" && cls[0] >= 'A' && cls[0] <= 'Z' && isJavaIdent(cls) && method != "" && isJavaIdent(method)
}

func isLowerIdent(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isJavaIdent: class or method names as JVM profilers print them, with
// nested classes ($), lambdas (lambda$m$0) and <init>/<clinit>.
func isJavaIdent(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c == '_' || c == '$' || c == '<' || c == '>' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// looksDotNet: `Namespace.Type.Method` in PascalCase with at least three
// segments (Go package names are lower-case), constructors `..ctor` /
// `..cctor`, nested and compiler-generated types (`Outer/Inner`,
// `Outer+<M>d__5`), optionally `Module!` first and `(args)` last as
// PerfView and dotnet-trace print them.
func looksDotNet(name string) bool {
	name = stripDotNetDecorations(name)
	if name == "" || name[0] < 'A' || name[0] > 'Z' || strings.IndexByte(name, ' ') >= 0 {
		return false
	}
	for _, sfx := range []string{"..ctor", "..cctor"} {
		if strings.HasSuffix(name, sfx) {
			name = name[:len(name)-len(sfx)] + ".ctor"
		}
	}
	segs := strings.Split(name, ".")
	if len(segs) < 3 || segs[len(segs)-1] == "" {
		return false
	}
	for _, sg := range segs[:len(segs)-1] {
		if sg == "" || sg[0] < 'A' || sg[0] > 'Z' {
			return false
		}
	}
	return true
}

// stripDotNetDecorations removes a `Module!` prefix and a trailing `(args)`.
func stripDotNetDecorations(name string) string {
	if i := strings.IndexByte(name, '!'); i > 0 && strings.IndexAny(name[:i], " ()") < 0 {
		name = name[i+1:]
	}
	if strings.HasSuffix(name, ")") {
		if p := strings.IndexByte(name, '('); p > 0 {
			name = name[:p]
		}
	}
	return name
}

func normalizeDotNet(name string) string {
	return strings.TrimSpace(stripDotNetDecorations(name))
}

// jvmDescriptor reports whether s is a JVM method descriptor such as
// `(Ljava/lang/String;[BI)V`, as async-profiler appends it with its `sig`
// option (with `;` written `|` in its no-semicolon style), optionally
// followed by an annotation such as `_[j]`.
func jvmDescriptor(s string) bool {
	s = trimAsyncProfilerSuffix(s)
	if len(s) < 3 || s[0] != '(' {
		return false
	}
	i := 1
	field := func() bool {
		for i < len(s) && s[i] == '[' {
			i++
		}
		if i >= len(s) {
			return false
		}
		switch s[i] {
		case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z':
			i++
			return true
		case 'L':
			j := strings.IndexAny(s[i:], ";|")
			if j < 2 {
				return false
			}
			i += j + 1
			return true
		}
		return false
	}
	for i < len(s) && s[i] != ')' {
		if !field() {
			return false
		}
	}
	if i >= len(s) {
		return false
	}
	i++ // ')'
	if i < len(s) && s[i] == 'V' {
		i++
	} else if !field() {
		return false
	}
	return i == len(s)
}

// looksGo: an import path or package name followed by a dot and an identifier.
func looksGo(name string) bool {
	if strings.IndexByte(name, ' ') >= 0 {
		return false
	}
	dot := strings.IndexByte(name[strings.LastIndexByte(name, '/')+1:], '.')
	return dot > 0
}

// normalizeGo strips generic shapes (`[...]`, possibly mid-name) and the
// `.abi0` suffix symbolizers add to assembly functions.
func normalizeGo(name string) string {
	if strings.IndexByte(name, '[') >= 0 {
		name = stripBrackets(name)
	}
	return strings.TrimSuffix(name, ".abi0")
}

func stripBrackets(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	if depth != 0 { // unbalanced: leave the name as it came
		return s
	}
	return b.String()
}

// normalizeJVM turns the three JVM spellings into `pkg.Class.method`.
func normalizeJVM(name string) string {
	if p := strings.IndexByte(name, '('); p > 0 {
		head := name[:p]
		if sp := strings.LastIndexByte(head, ' '); sp >= 0 {
			head = head[sp+1:]
		}
		name = head
	} else if sp := strings.LastIndexByte(name, ' '); sp >= 0 {
		name = name[sp+1:]
	}
	name = trimAsyncProfilerSuffix(name)
	if strings.IndexByte(name, '/') >= 0 {
		name = strings.ReplaceAll(name, "/", ".")
	}
	return name
}

// async-profiler's annotated style appends _[j], _[i], _[0], _[1], _[k].
func trimAsyncProfilerSuffix(name string) string {
	if n := len(name); n > 4 && name[n-1] == ']' && name[n-4] == '_' && name[n-3] == '[' {
		return name[:n-4]
	}
	return name
}

// normalizeNative strips compiler clone suffixes and C++ argument lists.
func normalizeNative(name string) string {
	name = trimAsyncProfilerSuffix(name)
	if i := strings.Index(name, " [clone "); i > 0 {
		name = name[:i]
	}
	if strings.Contains(name, "::") && strings.HasSuffix(name, ")") {
		name = cutArgs(name)
	}
	return trimCloneSuffix(name)
}

// cutArgs removes the trailing balanced `(...)` of a demangled C++ name.
func cutArgs(name string) string {
	depth := 0
	for i := len(name) - 1; i >= 0; i-- {
		switch name[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				if i == 0 {
					return name
				}
				return name[:i]
			}
		}
	}
	return name
}

var cloneSuffixes = []string{".isra", ".constprop", ".part", ".cold", ".lto_priv", ".localalias", ".llvm"}

// trimCloneSuffix removes GCC/LLVM clone suffixes such as `.isra.0`,
// `.constprop.0.isra.0` or `.cold`, repeatedly.
func trimCloneSuffix(name string) string {
	for {
		cut := -1
		for _, sfx := range cloneSuffixes {
			i := strings.LastIndex(name, sfx)
			if i <= 0 {
				continue
			}
			rest := name[i+len(sfx):]
			if rest == "" || rest[0] == '.' && isDigits(rest[1:]) {
				if i > cut {
					cut = i
				}
			}
		}
		if cut <= 0 {
			return name
		}
		name = name[:cut]
	}
}
