package catalog

import (
	"regexp"
	"regexp/syntax"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"weak"
)

// A compiled regexp costs ~10 KB (program plus one-pass copy), and most
// catalog patterns are anchored literals or small alternations of them. A
// matcher runs those as string tests and keeps a regexp for the rest; one
// matcher per distinct source is shared process-wide and read-only.

// maxLiterals bounds the strings a finite pattern may expand to; beyond it
// the regexp is kept.
const maxLiterals = 256

// matcher is one compiled pattern source. Immutable once built. A finite
// pattern matches when the name is in exact, starts with one of prefixes,
// ends with one of suffixes or contains one of contains; other patterns
// run re.
type matcher struct {
	re *regexp.Regexp
	// prefix: a literal every match of an anchored regexp starts with,
	// checked before running it (most frames fail here).
	prefix string

	exact, prefixes, suffixes litSet
	contains                  []string
}

// litSet is a set of strings with their distinct lengths, so a prefix or
// suffix test is one lookup per length.
type litSet struct {
	set  map[string]struct{}
	lens []int
}

func (l *litSet) add(s string) {
	if l.set == nil {
		l.set = map[string]struct{}{}
	}
	if _, dup := l.set[s]; dup {
		return
	}
	l.set[s] = struct{}{}
	if !slices.Contains(l.lens, len(s)) {
		l.lens = append(l.lens, len(s))
	}
}

func (l *litSet) has(s string) bool {
	_, ok := l.set[s]
	return ok
}

func (l *litSet) prefixOf(s string) bool {
	for _, n := range l.lens {
		if n <= len(s) && l.has(s[:n]) {
			return true
		}
	}
	return false
}

func (l *litSet) suffixOf(s string) bool {
	for _, n := range l.lens {
		if n <= len(s) && l.has(s[len(s)-n:]) {
			return true
		}
	}
	return false
}

func (m *matcher) match(s string) bool {
	if m.re == nil {
		if m.exact.has(s) || m.prefixes.prefixOf(s) || m.suffixes.suffixOf(s) {
			return true
		}
		for _, l := range m.contains {
			if strings.Contains(s, l) {
				return true
			}
		}
		return false
	}
	if m.prefix != "" && !strings.HasPrefix(s, m.prefix) {
		return false
	}
	return m.re.MatchString(s)
}

// matchers is the process-wide cache by source. Weak values: a pattern of a
// replaced config is freed with the last catalog that uses it.
var matchers = struct {
	sync.Mutex
	m map[string]weak.Pointer[matcher]
}{m: map[string]weak.Pointer[matcher]{}}

// sharedMatcher returns the matcher of src, compiling it on first use.
func sharedMatcher(src string) (*matcher, error) {
	matchers.Lock()
	defer matchers.Unlock()
	if wp, ok := matchers.m[src]; ok {
		if m := wp.Value(); m != nil {
			return m, nil
		}
	}
	m, err := newMatcher(src)
	if err != nil {
		return nil, err
	}
	wp := weak.Make(m)
	matchers.m[src] = wp
	runtime.AddCleanup(m, func(src string) {
		matchers.Lock()
		defer matchers.Unlock()
		if matchers.m[src] == wp {
			delete(matchers.m, src)
		}
	}, src)
	return m, nil
}

// newMatcher compiles src (Go regexp syntax, as regexp.Compile reads it).
func newMatcher(src string) (*matcher, error) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		// The error regexp.Compile gives, so messages stay as they were.
		_, err = regexp.Compile(src)
		return nil, err
	}
	if m := finiteMatcher(re); m != nil {
		return m, nil
	}
	rx, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	m := &matcher{re: rx}
	if strings.HasPrefix(src, "^") {
		m.prefix, _ = rx.LiteralPrefix()
	}
	return m, nil
}

// finiteMatcher is the string matcher of re when re matches a finite set
// of literals, each anchored at the start (^) and/or end ($) of the text or
// not; nil otherwise.
func finiteMatcher(re *syntax.Regexp) *matcher {
	lits, ok := literals(re)
	if !ok {
		return nil
	}
	m := &matcher{}
	for _, l := range lits {
		switch {
		case l.begin && l.end:
			m.exact.add(l.s)
		case l.begin:
			m.prefixes.add(l.s)
		case l.end:
			m.suffixes.add(l.s)
		case !slices.Contains(m.contains, l.s):
			m.contains = append(m.contains, l.s)
		}
	}
	return m
}

// lit is one alternative of a finite pattern: a literal, and whether it
// must start at the start of the text (^) and end at its end ($).
type lit struct {
	s          string
	begin, end bool
}

// literals expands re to its alternatives, if they are finitely many (at
// most maxLiterals) and byte comparison is exact for them: no case folding,
// no U+FFFD (which a regexp also matches for an invalid byte), no multi-line
// or word-boundary assertions. Without (?m), ^ and $ hold only at the start
// and end of the text, so an alternative that needs text before ^ or after
// $ can never match and is dropped.
func literals(re *syntax.Regexp) ([]lit, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []lit{{}}, true
	case syntax.OpBeginText:
		return []lit{{begin: true}}, true
	case syntax.OpEndText:
		return []lit{{end: true}}, true
	case syntax.OpLiteral:
		out := []lit{{}}
		for _, r := range re.Rune {
			// The parser writes [dD] as a case-folded d: each rune stands for its fold orbit.
			orbit := []rune{r}
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					orbit = append(orbit, f)
				}
			}
			if len(out)*len(orbit) > maxLiterals {
				return nil, false
			}
			next := make([]lit, 0, len(out)*len(orbit))
			for _, a := range out {
				for _, f := range orbit {
					if !exactRune(f) {
						return nil, false
					}
					next = append(next, lit{s: a.s + string(f)})
				}
			}
			out = next
		}
		return out, true
	case syntax.OpCharClass:
		var out []lit
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo >= maxLiterals || len(out)+int(hi-lo)+1 > maxLiterals {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				if !exactRune(r) {
					return nil, false
				}
				out = append(out, lit{s: string(r)})
			}
		}
		return out, len(out) > 0
	case syntax.OpCapture:
		return literals(re.Sub[0])
	case syntax.OpQuest:
		sub, ok := literals(re.Sub[0])
		if !ok || len(sub)+1 > maxLiterals {
			return nil, false
		}
		return append([]lit{{}}, sub...), true
	case syntax.OpAlternate:
		var out []lit
		for _, s := range re.Sub {
			sub, ok := literals(s)
			if !ok || len(out)+len(sub) > maxLiterals {
				return nil, false
			}
			out = append(out, sub...)
		}
		return out, true
	case syntax.OpConcat:
		out := []lit{{}}
		for _, s := range re.Sub {
			sub, ok := literals(s)
			if !ok || len(out)*len(sub) > maxLiterals {
				return nil, false
			}
			next := make([]lit, 0, len(out)*len(sub))
			for _, a := range out {
				for _, b := range sub {
					c, keep, ok := concatLit(a, b)
					if !ok {
						return nil, false
					}
					if keep {
						next = append(next, c)
					}
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

// concatLit is a followed by b; keep is false when it can never match, ok
// false when it is not a lit (the empty text only: $ then ^).
func concatLit(a, b lit) (c lit, keep, ok bool) {
	switch {
	case a.end && b.begin:
		return lit{}, false, false
	case a.end:
		return a, b.s == "", true
	case b.begin:
		return lit{s: b.s, begin: true, end: b.end}, a.s == "", true
	}
	return lit{s: a.s + b.s, begin: a.begin, end: b.end}, true, true
}

func exactRune(r rune) bool { return r != utf8.RuneError && utf8.ValidRune(r) }
