package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const validationData = "../../testdata/validation"

// validationCases are the recorded before/after pairs (see each case's
// main.go). Each rule's frames are written here from the catalog's Go
// signature, so the share is measured without the engine. The same number
// comes from pprof, e.g. for the regex case:
//
//	go tool pprof -top -nodefraction=0 -focus='^regexp\.(Compile|MustCompile|CompilePOSIX|MustCompilePOSIX|compile)$' \
//	  -ignore='^runtime\.doInit1?$|^sync\.\(\*Once\)\.doSlow$' testdata/validation/regex/before.pb.gz
//	go tool pprof -top -nodefraction=0 -focus='^crypto/tls\.\(\*Conn\)\.(clientHandshake|serverHandshake|handshakeContext|HandshakeContext|Handshake)$' \
//	  testdata/validation/tls/before.pb.gz
//	go tool pprof -top -nodefraction=0 -focus='^database/sql\.(Open|OpenDB|dsnConnector\.Connect|\(\*DB\)\.Close)$' \
//	  -ignore='^runtime\.doInit1?$' testdata/validation/db/before.pb.gz
//	go tool pprof -top -nodefraction=0 -focus='^net\.\(\*Resolver\)\.(lookupHost|lookupIP|lookupIPAddr\.func\d+|goLookup\w*|tryOneName|exchange|lookup|lookupAddr)(\.func\d+)*$' \
//	  testdata/validation/dns/before.pb.gz
//
// where the share is Y in "Showing nodes accounting for X, Y% of Z total"
// (-nodefraction=0 keeps small nodes in that sum). -ignore drops a sample with the
// frame anywhere; in these programs init and sync.Once only ever sit above
// the compile, as the engine's exclusion requires.
var validationCases = []struct {
	name, rule string
	root       *regexp.Regexp
	exclude    *regexp.Regexp // callers above the root that disqualify a sample
}{
	{"regex", "regex_compile_hot_path",
		regexp.MustCompile(`^regexp\.(Compile|MustCompile|CompilePOSIX|MustCompilePOSIX|compile)$`),
		regexp.MustCompile(`^runtime\.doInit1?$|^sync\.\(\*Once\)\.doSlow$`)},
	{"tls", "tls_handshake_overhead",
		regexp.MustCompile(`^crypto/tls\.\(\*Conn\)\.(clientHandshake|serverHandshake|handshakeContext|HandshakeContext|Handshake)$`), nil},
	{"db", "db_connection_churn",
		regexp.MustCompile(`^database/sql\.(Open|OpenDB|dsnConnector\.Connect|\(\*DB\)\.Close)$`),
		regexp.MustCompile(`^runtime\.doInit1?$`)},
	{"dns", "dns_resolution_overhead",
		regexp.MustCompile(`^net\.\(\*Resolver\)\.(lookupHost|lookupIP|lookupIPAddr\.func\d+|goLookup\w*|tryOneName|exchange|lookup|lookupAddr)(\.func\d+)*$`), nil},
}

func vfile(parts ...string) string {
	return filepath.Join(append([]string{validationData}, parts...)...)
}

// measured is a share computed from the raw profile: CPU nanoseconds of
// the samples whose stack holds a root frame with no excluded caller above
// it, over all CPU nanoseconds, and the number of sample events.
type measured struct {
	share  float64
	events int64
}

func measure(t *testing.T, path string, root, exclude *regexp.Regexp) measured {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	p, err := profile.Parse(f)
	require.NoError(t, err)
	cpu, count := -1, -1
	for i, st := range p.SampleType {
		switch {
		case st.Type == "cpu" && st.Unit == "nanoseconds":
			cpu = i
		case st.Type == "samples" && st.Unit == "count":
			count = i
		}
	}
	require.True(t, cpu >= 0 && count >= 0, "%s: not a Go CPU profile", path)
	var total, hit float64
	var events int64
	for _, s := range p.Sample {
		total += float64(s.Value[cpu])
		events += s.Value[count]
		if matches(s, root, exclude) {
			hit += float64(s.Value[cpu])
		}
	}
	require.Positive(t, total, path)
	return measured{share: hit / total, events: events}
}

// matches walks the stack from the leaf up: a root frame counts unless an
// excluded frame sits above it (a caller).
func matches(s *profile.Sample, root, exclude *regexp.Regexp) bool {
	var frames []string // leaf first; inlined frames first within a location
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function != nil {
				frames = append(frames, ln.Function.Name)
			}
		}
	}
	for i, fn := range frames {
		if !root.MatchString(fn) {
			continue
		}
		excluded := false
		for _, caller := range frames[i+1:] {
			if exclude != nil && exclude.MatchString(caller) {
				excluded = true
				break
			}
		}
		if !excluded {
			return true
		}
	}
	return false
}

func compareDoc(t *testing.T, args ...string) (comparisonDoc, int, string) {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"compare", "--format", "json", "--service", "svc"}, args...)...)
	var doc comparisonDoc
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc), "stdout %q, stderr %q", stdout, stderr)
	return doc, code, stderr
}

func ruleRow(t *testing.T, doc comparisonDoc, rule string) comparison {
	t.Helper()
	for _, r := range doc.Rules {
		if r.Rule == rule {
			return r
		}
	}
	require.Failf(t, "no row", "no %s row in %+v", rule, doc.Rules)
	return comparison{}
}

// TestValidationPairs: on each recorded pair, the realized reduction equals
// the difference of the shares measured straight from the profiles, which
// lies inside the reported 95% interval, and the fixed rule is judged fixed
// (or improved).
func TestValidationPairs(t *testing.T) {
	for _, tc := range validationCases {
		t.Run(tc.name, func(t *testing.T) {
			before, after := vfile(tc.name, "before.pb.gz"), vfile(tc.name, "after.pb.gz")
			doc, code, stderr := compareDoc(t, "--fail-on", "regression", "--before", before, "--after", after)
			require.Equal(t, exitOK, code, stderr)
			r := ruleRow(t, doc, tc.rule)
			mb, ma := measure(t, before, tc.root, tc.exclude), measure(t, after, tc.root, tc.exclude)
			diff := mb.share - ma.share
			lo, hi := r.RealizedReductionInterval[0], r.RealizedReductionInterval[1]
			t.Logf("%s: before %.4f after %.4f realized %.4f [%.4f, %.4f], independent %.4f (%d → %d samples)",
				tc.rule, r.Before, r.After, r.RealizedReduction, lo, hi, diff, mb.events, ma.events)
			assert.True(t, lo <= diff && diff <= hi, "independent %.4f outside [%.4f, %.4f]", diff, lo, hi)
			assert.InDelta(t, diff, r.RealizedReduction, 0.005, "same frames, same shares")
			assert.InDelta(t, mb.share, r.Before, 0.005)
			assert.InDelta(t, ma.share, r.After, 0.005)
			assert.Contains(t, []string{verdictFixed, verdictImproved}, r.Verdict)
			assert.Greater(t, lo, 0.0, "the drop is significant")
			require.Len(t, doc.Services, 1)
			s := doc.Services[0]
			// The interval's counts are the profiles' own sample events.
			assert.Equal(t, mb.events, s.BeforeCPUSamples)
			assert.Equal(t, ma.events, s.AfterCPUSamples)
			require.NotNil(t, s.CPUChange)
			assert.Less(t, *s.CPUChange, 0.0, "the fix lowers the service's CPU at the same request rate")
		})
	}
}

// TestValidationRegression: compiling every pattern twice per request is
// worse than once per request; compare calls it regressed, and the
// regression gate fails with exit 3, naming the rule and the service.
func TestValidationRegression(t *testing.T) {
	tc := validationCases[0]
	before, worse := vfile("regex", "before.pb.gz"), vfile("regex", "worse.pb.gz")
	mb, mw := measure(t, before, tc.root, tc.exclude), measure(t, worse, tc.root, tc.exclude)
	tests := []struct {
		name     string
		gates    []string
		wantCode int
		wantLine string // a stderr line naming the rule and the service
	}{
		{"gated", []string{"--fail-on", "regression"}, exitGate, "rule regex_compile_hot_path, service svc: regressed"},
		{"share gate above the worse share", []string{"--fail-on", "regex_compile_hot_path>0.8"}, exitOK, ""},
		{"share gate below it", []string{"--fail-on", "regex_compile_hot_path>0.5"}, exitGate, "rule regex_compile_hot_path, service svc: CPU share 70.9% > 50.0%"},
		{"report only", nil, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, code, stderr := compareDoc(t, append(tt.gates, "--before", before, "--after", worse)...)
			assert.Equal(t, tt.wantCode, code, stderr)
			r := ruleRow(t, doc, tc.rule)
			assert.Equal(t, verdictRegressed, r.Verdict)
			diff := mb.share - mw.share
			assert.True(t, r.RealizedReductionInterval[0] <= diff && diff <= r.RealizedReductionInterval[1])
			assert.Less(t, r.RealizedReductionInterval[1], 0.0)
			if tt.wantLine == "" {
				assert.Empty(t, stderr)
				return
			}
			assert.Contains(t, stderr, tt.wantLine)
		})
	}
}

func TestValidationMarkdown(t *testing.T) {
	code, stdout, stderr := runCLI("compare", "--format", "markdown", "--service", "svc",
		"--before", vfile("regex", "before.pb.gz"), "--after", vfile("regex", "after.pb.gz"))
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(stdout, "\n")
	tests := []struct {
		name, prefix string
	}{
		{"rules header", "| Problem | Service | Share before → after | Expected | Actual (95% CI) | Verdict |"},
		{"fixed rule by its title", "| Regular-expression compilation on the hot path (`regex_compile_hot_path`) | svc | "},
		{"services header", "| Service | CPU before | CPU after | Change (95% CI) | Verdict |"},
		{"service row in cores", "| svc | 0."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := false
			for _, l := range lines {
				if strings.HasPrefix(l, tt.prefix) {
					found = true
				}
			}
			assert.True(t, found, "no line starting %q in\n%s", tt.prefix, stdout)
		})
	}
}
