package catalog

import (
	"regexp"
	"regexp/syntax"
	"runtime"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertSameAsRegexp checks the matcher of src against regexp on each name.
func assertSameAsRegexp(t *testing.T, src string, names []string) {
	t.Helper()
	m, err := newMatcher(src)
	require.NoError(t, err, src)
	re := regexp.MustCompile(src)
	for _, s := range names {
		assert.Equal(t, re.MatchString(s), m.match(s), "pattern %q on %q", src, s)
	}
}

func TestMatcherForms(t *testing.T) {
	tests := []struct {
		src    string
		finite bool // run as string tests, without a regexp
		names  []string
	}{
		{`^compile$`, true, []string{"compile", "compiler", "xcompile", "", "Compile"}},
		{`^go/`, true, []string{"go/ast.Walk", "go", "xgo/", "go/"}},
		{`\.<clinit>$`, true, []string{"A.<clinit>", "<clinit>", "A.<clinit>x", ".<clinit>"}},
		{`importlib[./]_bootstrap`, true, []string{"x/importlib._bootstrap.py", "importlib/_bootstrap", "importlib_bootstrap"}},
		{`^(SSL_do_handshake|SSL_connect|SSL_accept)$`, true, []string{"SSL_connect", "SSL_connectx", "SSL_", "SSL_accept"}},
		{`^(AIOKafkaConsumer\.)?(getone|getmany)$`, true, []string{"getone", "AIOKafkaConsumer.getmany", "AIOKafkaConsumer.", "x.getone"}},
		{`^github\.com/jackc/pgx/v[45]/pgxpool\.(New|Connect)$`, true, []string{"github.com/jackc/pgx/v4/pgxpool.New", "github.com/jackc/pgx/v6/pgxpool.New", "github.com/jackc/pgx/v5/pgxpool.Connect"}},
		{`(^|/)ssl\.py$`, true, []string{"ssl.py", "/usr/lib/ssl.py", "xssl.py", "ssl.pyc", "a/b/ssl.py"}},
		{`(^|[:/])dns(\.js)?$`, true, []string{"dns", "node:dns", "lib/dns.js", "mydns.js", "dns.jsx", ":dns.js"}},
		{`^(node:|$)`, true, []string{"", "node:dns", "x", "nod"}},
		{`^crypto/tls\.\(\*Config\)\.[dD]ecryptTicket$`, true, []string{"crypto/tls.(*Config).decryptTicket", "crypto/tls.(*Config).DecryptTicket", "crypto/tls.(*Config).ecryptTicket"}},
		{`(?i)^kelvin$`, true, []string{"KELVIN", "\u212aelvin", "kelvi"}},
		{`a$b`, true, []string{"a", "ab", "a$b", ""}},
		{`a^b`, true, []string{"ab", "a^b", "b"}},
		{`(^)?foo`, true, []string{"foo", "xfoo", "fo"}},
		{`$^`, false, []string{"", "a"}},
		{`^a.c$`, false, []string{"abc", "ac", "a\nc"}},
		{`^(_nss_dns_\w+|__res_\w+)$`, false, []string{"_nss_dns_x", "_nss_dns_", "__res_query"}},
		{`^[A-Za-z_][A-Za-z0-9_]*$`, false, []string{"main", "9a", "", "a.b"}},
		{"^\uFFFD$", false, []string{"\uFFFD", "\xff", "a"}},
		{`(?m)^a$`, false, []string{"a", "b\na", "a\nb"}},
		{`\bfoo`, false, []string{"foo", "xfoo", " foo"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			m, err := newMatcher(tt.src)
			require.NoError(t, err)
			assert.Equal(t, tt.finite, m.re == nil, "finite")
			assertSameAsRegexp(t, tt.src, tt.names)
		})
	}
}

func TestMatcherBounds(t *testing.T) {
	// 3^6 = 729 alternatives exceed maxLiterals: the regexp is kept.
	src := `^` + strings.Repeat(`[abc]`, 6) + `$`
	m, err := newMatcher(src)
	require.NoError(t, err)
	assert.NotNil(t, m.re)
	assertSameAsRegexp(t, src, []string{"abcabc", "abcabd", "aaaaaa"})
	// A wide class is never enumerated.
	m, err = newMatcher(`^[^/]x$`)
	require.NoError(t, err)
	assert.NotNil(t, m.re)
	// Errors read as regexp's.
	_, err = newMatcher(`((`)
	_, want := regexp.Compile(`((`)
	assert.EqualError(t, err, want.Error())
}

// catalogSources is every name and file pattern source of the built-in catalog.
func catalogSources(t *testing.T) []string {
	c, err := Default()
	require.NoError(t, err)
	var out []string
	add := func(ps []Pattern) {
		for _, p := range ps {
			for _, s := range []string{p.Name, p.File} {
				if s != "" {
					out = append(out, s)
				}
			}
		}
	}
	for _, ps := range c.Sets {
		add(ps)
	}
	for _, r := range c.Rules {
		for _, s := range r.Signatures {
			add(s.Roots)
			add(s.Exclude)
			add(s.Cutoffs)
			add(s.CutoffUnless)
			for _, tg := range s.Tags {
				add(tg.Patterns)
			}
		}
	}
	return out
}

// TestCatalogMatchersAgreeWithRegexp runs every built-in pattern on names
// near its own literals: each literal alone, wrapped, cut short, with a
// slash before it and with its case flipped.
func TestCatalogMatchersAgreeWithRegexp(t *testing.T) {
	var names []string
	for _, src := range catalogSources(t) {
		lits, ok := literals(mustParse(t, src))
		if !ok {
			continue
		}
		for _, l := range lits {
			s := l.s
			names = append(names, s, "x"+s, s+"x", "a/"+s, "x."+s+".y")
			if s != "" {
				names = append(names, s[1:], s[:len(s)-1], strings.Map(flipCase, s))
			}
		}
	}
	names = append(names, "", "runtime.mallocgc", "net/http.(*response).Write", "java.lang.Object.<clinit>")
	for _, src := range catalogSources(t) {
		assertSameAsRegexp(t, src, names)
	}
}

func flipCase(r rune) rune {
	if unicode.IsUpper(r) {
		return unicode.ToLower(r)
	}
	return unicode.ToUpper(r)
}

func TestMatchersAreShared(t *testing.T) {
	a, err := sharedMatcher(`^shared\.test$`)
	require.NoError(t, err)
	b, err := sharedMatcher(`^shared\.test$`)
	require.NoError(t, err)
	assert.Same(t, a, b, "one matcher per source")
	c1, err := Default()
	require.NoError(t, err)
	c2, err := c1.With(nil, nil)
	require.NoError(t, err)
	assert.Same(t, c1.Sets["go_stdlib"][0].name, c2.Sets["go_stdlib"][0].name, "a copy shares the compiled pattern")
	runtime.KeepAlive(a)
}

func FuzzMatcher(f *testing.F) {
	f.Add(`(^|/)ssl\.py$`, "a/ssl.py")
	f.Add(`^(a|b[cd])?e$`, "bde")
	f.Add(`(?i)k$`, "\u212a")
	f.Fuzz(func(t *testing.T, src, s string) {
		re, err := regexp.Compile(src)
		if err != nil {
			return
		}
		m, err := newMatcher(src)
		require.NoError(t, err)
		if got, want := m.match(s), re.MatchString(s); got != want {
			t.Fatalf("pattern %q on %q: matcher %t, regexp %t", src, s, got, want)
		}
	})
}

func mustParse(t *testing.T, src string) *syntax.Regexp {
	t.Helper()
	re, err := syntax.Parse(src, syntax.Perl)
	require.NoError(t, err)
	return re
}
