package deploy

// deploy/alloy/config.alloy checked without an Alloy binary: a small parser
// for the Alloy configuration syntax (blocks `name "label" { ... }` with
// nested blocks, attributes `key = expr`, lists, objects, calls, dotted
// references, comments) and the component arguments Alloy itself declares.
//
// Argument lists: Grafana Alloy at 66ebea856dffb242f921775e9552a133f60dc5c1
// (2026-08-21), read from the `alloy:"..."` struct tags; file:line below is
// in that tree. The squashed HTTP client config of the pyroscope and
// prometheus components is internal/component/common/config/types.go:17-28
// (+ proxy :147-152, http_headers :189, proxy_connect_header :259).

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"go.yaml.in/yaml/v3"
)

const alloyConfig = "alloy/config.alloy"

// --- schema: what Alloy accepts --------------------------------------------

type alloySchema struct {
	attrs  []string
	blocks map[string]*alloySchema
	// exports a component offers to references (component level only)
	exports []string
}

var (
	httpClientAttrs  = []string{"bearer_token", "bearer_token_file", "follow_redirects", "enable_http2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header", "http_headers"}
	httpClientBlocks = map[string]*alloySchema{
		"basic_auth":    {attrs: []string{"username", "password", "password_file"}},                                                                                                                                 // types.go:117-121
		"authorization": {attrs: []string{"type", "credentials", "credentials_file"}},                                                                                                                               // types.go:281-285
		"oauth2":        {attrs: []string{"client_id", "client_secret", "client_secret_file", "scopes", "token_url", "endpoint_params", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header"}}, // types.go:401-410
		"tls_config":    {attrs: []string{"ca_pem", "ca_file", "cert_pem", "cert_file", "key_pem", "key_file", "server_name", "insecure_skip_verify", "min_version"}},                                               // types.go:344-354
	}
	pprofTarget = &alloySchema{attrs: []string{"enabled", "path", "delta"}} // pyroscope/scrape/scrape.go:183-187 (custom: :189-194)
	otelTLS     = &alloySchema{                                             // otelcol/config_tls.go:35-71
		attrs: []string{"insecure", "insecure_skip_verify", "server_name", "ca_pem", "ca_file", "cert_pem", "cert_file", "key_pem", "key_file",
			"min_version", "max_version", "reload_interval", "cipher_suites", "include_insecure_cipher_suites", "include_system_ca_certs_pool", "curve_preferences"},
		blocks: map[string]*alloySchema{"tpm": {attrs: []string{"enabled", "path", "owner_auth", "auth"}}},
	}
	relabelRule = &alloySchema{attrs: []string{"source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"}} // common/relabel/relabel.go:133-141
)

func withHTTP(attrs []string, blocks map[string]*alloySchema) *alloySchema {
	s := &alloySchema{attrs: slices.Concat(attrs, httpClientAttrs), blocks: map[string]*alloySchema{}}
	for k, v := range httpClientBlocks {
		s.blocks[k] = v
	}
	for k, v := range blocks {
		s.blocks[k] = v
	}
	return s
}

// alloyComponents: the components config.alloy uses (active or optional).
var alloyComponents = map[string]*alloySchema{
	// internal/component/pyroscope/scrape/scrape.go:52-91 (Arguments), :93-106 (ProfilingConfig)
	"pyroscope.scrape": func() *alloySchema {
		s := withHTTP([]string{"targets", "forward_to", "job_name", "params", "scrape_interval", "scrape_timeout", "scheme", "delta_profiling_duration"},
			map[string]*alloySchema{
				"clustering": {attrs: []string{"enabled"}},
				"profiling_config": {attrs: []string{"path_prefix"}, blocks: map[string]*alloySchema{
					"profile.memory": pprofTarget, "profile.block": pprofTarget, "profile.goroutine": pprofTarget, "profile.mutex": pprofTarget,
					"profile.process_cpu": pprofTarget, "profile.fgprof": pprofTarget, "profile.godeltaprof_memory": pprofTarget,
					"profile.godeltaprof_mutex": pprofTarget, "profile.godeltaprof_block": pprofTarget, "profile.custom": pprofTarget,
				}},
			})
		return s
	}(),
	// internal/component/pyroscope/write/write.go:53-62 (Arguments, tracing), :71-82 (endpoint), exports :131-133
	"pyroscope.write": {
		attrs: []string{"external_labels"},
		blocks: map[string]*alloySchema{
			"endpoint": withHTTP([]string{"name", "url", "remote_timeout", "debug_info_upload_timeout", "headers",
				"min_backoff_period", "max_backoff_period", "max_backoff_retries", "retry_on_http_429"}, nil),
			"tracing": {attrs: []string{"jaeger_propagator", "trace_context_propagator"}},
		},
		exports: []string{"receiver"},
	},
	// internal/component/prometheus/scrape/scrape.go:57-143
	"prometheus.scrape": withHTTP([]string{"targets", "forward_to", "job_name", "honor_labels", "honor_timestamps", "track_timestamps_staleness",
		"params", "scrape_classic_histograms", "scrape_native_histograms", "scrape_failure_log_file", "scrape_interval", "scrape_timeout",
		"scrape_protocols", "metrics_path", "scheme", "body_size_limit", "sample_limit", "target_limit", "label_limit", "label_name_length_limit",
		"label_value_length_limit", "extra_metrics", "enable_protobuf_negotiation", "metric_name_validation_scheme", "metric_name_escaping_scheme",
		"scrape_fallback_protocol", "convert_classic_histograms_to_nhcb", "enable_compression", "native_histogram_bucket_limit",
		"native_histogram_min_bucket_factor", "honor_metadata", "enable_type_and_unit_labels", "start_timestamp_zero_ingestion"},
		map[string]*alloySchema{"clustering": {attrs: []string{"enabled"}}}),
	// internal/component/otelcol/receiver/prometheus/prometheus.go:45-49, exports :58-60; output: otelcol/consumer.go:36-40
	"otelcol.receiver.prometheus": {
		blocks: map[string]*alloySchema{
			"output":        {attrs: []string{"metrics", "logs", "traces"}},
			"debug_metrics": {attrs: []string{"disable_high_cardinality_metrics", "level"}},
		},
		exports: []string{"receiver"},
	},
	// internal/component/otelcol/exporter/otlp/otlp.go:34-45; client: otelcol/config_grpc.go:164-183; exports otelcol/consumer.go:44-46
	"otelcol.exporter.otlp": {
		attrs: []string{"timeout"},
		blocks: map[string]*alloySchema{
			"client": {
				attrs: []string{"endpoint", "compression", "read_buffer_size", "write_buffer_size", "wait_for_ready", "headers", "balancer_name", "authority", "auth"},
				blocks: map[string]*alloySchema{
					"tls":       otelTLS,
					"keepalive": {attrs: []string{"ping_wait", "ping_response_timeout", "ping_without_stream"}}, // config_grpc.go:249-253
				},
			},
			"sending_queue":    {attrs: []string{"enabled", "num_consumers", "queue_size", "sizer", "blocking", "wait_for_result", "storage"}},
			"retry_on_failure": {attrs: []string{"enabled", "initial_interval", "randomization_factor", "multiplier", "max_interval", "max_elapsed_time"}},
			"debug_metrics":    {attrs: []string{"disable_high_cardinality_metrics", "level"}},
		},
		exports: []string{"input"},
	},
	// internal/component/discovery/process/args.go:9-23; exports discovery/discovery.go:17-19
	"discovery.process": {
		attrs: []string{"join", "refresh_interval"},
		blocks: map[string]*alloySchema{
			"discover_config": {attrs: []string{"cwd", "exe", "commandline", "username", "uid", "container_id", "cgroup_path"}},
		},
		exports: []string{"targets"},
	},
	// internal/component/discovery/relabel/relabel.go:30-41
	"discovery.relabel": {
		attrs:   []string{"targets"},
		blocks:  map[string]*alloySchema{"rule": relabelRule},
		exports: []string{"output", "rules"},
	},
	// internal/component/pyroscope/java/args.go:11-34
	"pyroscope.java": {
		attrs: []string{"targets", "forward_to", "tmp_dir", "dist"},
		blocks: map[string]*alloySchema{
			"profiling_config": {attrs: []string{"interval", "sample_rate", "alloc", "lock", "cpu", "event", "per_thread", "log_level", "quiet", "custom_arguments", "tlab"}},
		},
	},
	// internal/component/pyroscope/ebpf/args.go:12-71
	"pyroscope.ebpf": {
		attrs: []string{"forward_to", "targets", "collect_interval", "sample_rate", "python_enabled", "perl_enabled", "php_enabled", "hotspot_enabled",
			"ruby_enabled", "v8_enabled", "dotnet_enabled", "go_enabled", "demangle", "off_cpu_threshold", "bpf_fs_root", "obi_process_context_enabled",
			"load_probe", "probe_links", "verbose_mode", "lazy_mode", "no_kernel_version_check", "targets_only", "symb_cache_path", "symb_cache_size",
			"reporter_unsymbolized_stubs", "pid_label", "comm", "kernel_frames", "pid_cache_size", "build_id_cache_size", "same_file_cache_size",
			"cache_rounds", "go_table_fallback", "symbols_map_size", "pid_map_size", "collect_user_profile", "collect_kernel_profile",
			"container_id_cache_size", "u_probe_links"},
		blocks: map[string]*alloySchema{"debug_info": {}},
	},
}

// alloyFuncs are the standard-library calls config.alloy may use.
var alloyFuncs = []string{"coalesce", "sys.env", "env", "concat", "json_decode", "format", "join", "string.format", "string.join", "array.concat"}

// --- the parser -------------------------------------------------------------

type alloyTok struct {
	kind string // ident (dotted), string, number, punct, newline
	text string
	line int
}

func alloyLex(src string) ([]alloyTok, error) {
	var toks []alloyTok
	line := 1
	rs := []rune(src)
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case c == '\n':
			toks = append(toks, alloyTok{"newline", "\n", line})
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '/' && i+1 < len(rs) && rs[i+1] == '/':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(rs) && rs[i+1] == '*':
			rest := string(rs[i:])
			end := strings.Index(rest, "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			body := rest[:end+2]
			line += strings.Count(body, "\n")
			i += len([]rune(body))
		case c == '"' || c == '`':
			j := i + 1
			var sb strings.Builder
			for ; j < len(rs) && rs[j] != c; j++ {
				if rs[j] == '\n' && c == '"' {
					return nil, fmt.Errorf("line %d: newline in string", line)
				}
				if rs[j] == '\\' && c == '"' && j+1 < len(rs) {
					j++
				}
				sb.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("line %d: unterminated string", line)
			}
			toks = append(toks, alloyTok{"string", sb.String(), line})
			i = j + 1
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || rs[j] == '_' || rs[j] == '.') {
				j++
			}
			toks = append(toks, alloyTok{"ident", strings.TrimSuffix(string(rs[i:j]), "."), line})
			i = j
		case unicode.IsDigit(c) || (c == '-' && i+1 < len(rs) && unicode.IsDigit(rs[i+1])):
			j := i + 1
			for j < len(rs) && (unicode.IsDigit(rs[j]) || rs[j] == '.' || rs[j] == 'e' || rs[j] == 'E') {
				j++
			}
			toks = append(toks, alloyTok{"number", string(rs[i:j]), line})
			i = j
		case strings.ContainsRune("{}[]()=,:+-*/%!<>&|^", c):
			toks = append(toks, alloyTok{"punct", string(c), line})
			i++
		default:
			return nil, fmt.Errorf("line %d: unexpected %q", line, c)
		}
	}
	return toks, nil
}

// alloyValue is an attribute's value: the literal for strings, numbers and
// bools, its raw tokens, and the references it makes.
type alloyValue struct {
	str    *string
	num    *float64
	boolv  *bool
	refs   []string
	raw    []alloyTok
	object map[string]alloyValue
}

type alloyBlock struct {
	name, label string
	line        int
	attrs       map[string]alloyValue
	attrOrder   []string
	blocks      []*alloyBlock
}

type alloyParser struct {
	toks []alloyTok
	pos  int
}

func (p *alloyParser) peek() alloyTok {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return alloyTok{kind: "eof"}
}

func (p *alloyParser) skipNewlines() {
	for p.peek().kind == "newline" {
		p.pos++
	}
}

func (p *alloyParser) body(root bool) (*alloyBlock, error) {
	b := &alloyBlock{attrs: map[string]alloyValue{}}
	for {
		p.skipNewlines()
		t := p.peek()
		if t.kind == "eof" {
			if root {
				return b, nil
			}
			return nil, fmt.Errorf("unexpected end of file in block")
		}
		if t.kind == "punct" && t.text == "}" {
			if root {
				return nil, fmt.Errorf("line %d: unbalanced }", t.line)
			}
			p.pos++
			return b, nil
		}
		if t.kind != "ident" {
			return nil, fmt.Errorf("line %d: want a block or attribute name, got %q", t.line, t.text)
		}
		p.pos++
		n := p.peek()
		switch {
		case n.kind == "punct" && n.text == "=":
			if strings.Contains(t.text, ".") {
				return nil, fmt.Errorf("line %d: attribute name %q has a dot", t.line, t.text)
			}
			p.pos++
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			if _, dup := b.attrs[t.text]; dup {
				return nil, fmt.Errorf("line %d: attribute %s set twice", t.line, t.text)
			}
			b.attrs[t.text] = v
			b.attrOrder = append(b.attrOrder, t.text)
			if e := p.peek(); e.kind != "newline" && e.kind != "eof" && !(e.kind == "punct" && e.text == "}") {
				return nil, fmt.Errorf("line %d: junk after %s = ...: %q", e.line, t.text, e.text)
			}
		case n.kind == "string" || (n.kind == "punct" && n.text == "{"):
			child := &alloyBlock{name: t.text, line: t.line}
			if n.kind == "string" {
				child.label = n.text
				p.pos++
			}
			if o := p.peek(); o.kind != "punct" || o.text != "{" {
				return nil, fmt.Errorf("line %d: want { after block %s", o.line, t.text)
			}
			p.pos++
			inner, err := p.body(false)
			if err != nil {
				return nil, err
			}
			child.attrs, child.attrOrder, child.blocks = inner.attrs, inner.attrOrder, inner.blocks
			b.blocks = append(b.blocks, child)
		default:
			return nil, fmt.Errorf("line %d: want = or { after %q", n.line, t.text)
		}
	}
}

// value reads one expression up to the end of its line (newlines inside
// brackets belong to it).
func (p *alloyParser) value() (alloyValue, error) {
	start := p.pos
	depth := 0
	var v alloyValue
	operand := false // the last token ended an operand
	for {
		t := p.peek()
		if t.kind == "eof" {
			break
		}
		if depth == 0 && (t.kind == "newline" || (t.kind == "punct" && t.text == "}")) {
			break
		}
		isOperand := t.kind == "ident" || t.kind == "string" || t.kind == "number"
		if depth == 0 && operand && isOperand {
			break // a new statement on the same line: reported by the caller
		}
		operand = isOperand || (t.kind == "punct" && strings.Contains("])}", t.text))
		if t.kind == "punct" {
			switch t.text {
			case "[", "{", "(":
				depth++
			case "]", "}", ")":
				depth--
				if depth < 0 {
					return v, fmt.Errorf("line %d: unbalanced %s", t.line, t.text)
				}
			}
		}
		p.pos++
	}
	v.raw = p.toks[start:p.pos]
	if len(v.raw) == 0 {
		return v, fmt.Errorf("line %d: empty value", p.peek().line)
	}
	if depth != 0 {
		return v, fmt.Errorf("line %d: unbalanced brackets", v.raw[0].line)
	}
	var sig []alloyTok
	for _, t := range v.raw {
		if t.kind != "newline" {
			sig = append(sig, t)
		}
	}
	if len(sig) == 1 {
		switch t := sig[0]; t.kind {
		case "string":
			s := t.text
			v.str = &s
		case "number":
			f, err := strconv.ParseFloat(t.text, 64)
			if err != nil {
				return v, fmt.Errorf("line %d: %v", t.line, err)
			}
			v.num = &f
		case "ident":
			if t.text == "true" || t.text == "false" {
				b := t.text == "true"
				v.boolv = &b
			}
		}
	}
	if len(sig) > 0 && sig[0].kind == "punct" && sig[0].text == "{" {
		v.object = map[string]alloyValue{}
		for i := 1; i+2 < len(sig); i++ {
			if (sig[i].kind == "string" || sig[i].kind == "ident") && sig[i+1].text == "=" && (sig[i-1].text == "{" || sig[i-1].text == ",") {
				v.object[sig[i].text] = alloyValue{raw: sig[i+2 : i+3]}
			}
		}
	}
	for i, t := range sig {
		if t.kind != "ident" || t.text == "true" || t.text == "false" || t.text == "null" {
			continue
		}
		if i+1 < len(sig) && sig[i+1].kind == "punct" && sig[i+1].text == "(" {
			if !slices.Contains(alloyFuncs, t.text) {
				return v, fmt.Errorf("line %d: unknown function %s", t.line, t.text)
			}
			continue
		}
		if i+1 < len(sig) && sig[i+1].kind == "punct" && sig[i+1].text == "=" {
			continue // an object key
		}
		v.refs = append(v.refs, t.text)
	}
	return v, nil
}

func parseAlloy(src string) ([]*alloyBlock, error) {
	toks, err := alloyLex(src)
	if err != nil {
		return nil, err
	}
	p := &alloyParser{toks: toks}
	root, err := p.body(true)
	if err != nil {
		return nil, err
	}
	if len(root.attrs) > 0 {
		return nil, fmt.Errorf("top-level attributes %v: only component blocks belong there", root.attrOrder)
	}
	return root.blocks, nil
}

// optionalSources returns the commented block between the BEGIN/END markers
// with its `// ` prefixes removed, so the optional components are checked too.
func optionalSources(t *testing.T, src string) string {
	t.Helper()
	lines := strings.Split(src, "\n")
	var out []string
	in := false
	for _, l := range lines {
		trim := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trim, "// BEGIN optional sources"):
			in = true
			continue
		case strings.HasPrefix(trim, "// END optional sources"):
			in = false
			continue
		}
		if !in {
			continue
		}
		if trim != "//" && !strings.HasPrefix(trim, "// ") {
			t.Fatalf("optional sources: line %q is not commented out", l)
		}
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(trim, "//"), " "))
	}
	if len(out) == 0 {
		t.Fatal("config.alloy: no BEGIN/END optional sources section")
	}
	return strings.Join(out, "\n")
}

// --- checks ------------------------------------------------------------------

func loadAlloy(t *testing.T) (active, optional []*alloyBlock) {
	t.Helper()
	b, err := os.ReadFile(alloyConfig)
	if err != nil {
		t.Fatal(err)
	}
	active, err = parseAlloy(string(b))
	if err != nil {
		t.Fatalf("%s: %v", alloyConfig, err)
	}
	optional, err = parseAlloy(optionalSources(t, string(b)))
	if err != nil {
		t.Fatalf("%s, optional sources: %v", alloyConfig, err)
	}
	return active, optional
}

func checkSchema(t *testing.T, where string, b *alloyBlock, s *alloySchema) {
	t.Helper()
	for _, a := range b.attrOrder {
		if !slices.Contains(s.attrs, a) {
			t.Errorf("%s (line %d): unknown argument %q (Alloy accepts %v)", where, b.line, a, s.attrs)
		}
	}
	for _, c := range b.blocks {
		cs, ok := s.blocks[c.name]
		if !ok {
			t.Errorf("%s (line %d): unknown block %q", where, c.line, c.name)
			continue
		}
		if c.label != "" && c.name != "profile.custom" {
			t.Errorf("%s (line %d): block %s takes no label", where, c.line, c.name)
		}
		checkSchema(t, where+" > "+c.name, c, cs)
	}
}

func duration(t *testing.T, where string, v alloyValue) time.Duration {
	t.Helper()
	if v.str == nil {
		t.Fatalf("%s: want a duration string", where)
	}
	d, err := time.ParseDuration(*v.str)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return d
}

func TestAlloyConfigParses(t *testing.T) {
	active, optional := loadAlloy(t)
	for _, b := range slices.Concat(active, optional) {
		s, ok := alloyComponents[b.name]
		if !ok {
			t.Errorf("line %d: %s is not a component this test knows from Alloy's source", b.line, b.name)
			continue
		}
		if b.label == "" {
			t.Errorf("line %d: component %s needs a label", b.line, b.name)
		}
		checkSchema(t, b.name+" "+strconv.Quote(b.label), b, s)
	}
	if len(active) < 5 {
		t.Errorf("parsed only %d active components", len(active))
	}
}

// TestAlloyReferencesResolve: every component a value refers to exists in the
// file (the optional sources may refer to active components, not the other
// way round), with an export Alloy declares for it.
func TestAlloyReferencesResolve(t *testing.T) {
	active, optional := loadAlloy(t)
	check := func(blocks, scope []*alloyBlock, what string) {
		byID := map[string]*alloyBlock{}
		for _, b := range scope {
			id := b.name + "." + b.label
			if _, dup := byID[id]; dup {
				t.Errorf("%s: component %s defined twice", what, id)
			}
			byID[id] = b
		}
		var walk func(where string, b *alloyBlock)
		walk = func(where string, b *alloyBlock) {
			for _, a := range b.attrOrder {
				for _, ref := range b.attrs[a].refs {
					parts := strings.Split(ref, ".")
					if len(parts) < 3 {
						t.Errorf("%s: %s = %s: not a component reference", where, a, ref)
						continue
					}
					export := parts[len(parts)-1]
					id := strings.Join(parts[:len(parts)-1], ".")
					target, ok := byID[id]
					if !ok {
						t.Errorf("%s: %s refers to %s, which this file does not define", where, a, id)
						continue
					}
					if !slices.Contains(alloyComponents[target.name].exports, export) {
						t.Errorf("%s: %s refers to %s.%s; %s exports %v", where, a, id, export, target.name, alloyComponents[target.name].exports)
					}
				}
			}
			for _, c := range b.blocks {
				walk(where+" > "+c.name, c)
			}
		}
		for _, b := range blocks {
			walk(fmt.Sprintf("%s %s %q (line %d)", what, b.name, b.label, b.line), b)
		}
	}
	check(active, active, "active")
	check(optional, slices.Concat(active, optional), "optional")
	// Alloy's own example selects JVMs from discovery.process by executable.
	var relabel *alloyBlock
	for _, b := range optional {
		if b.name == "discovery.relabel" {
			relabel = b
		}
		if b.name == "pyroscope.java" && !slices.ContainsFunc(b.attrs["targets"].refs, func(r string) bool { return strings.HasPrefix(r, "discovery.") }) {
			t.Errorf("pyroscope.java %q: targets must come from a discovery component", b.label)
		}
	}
	if relabel == nil {
		t.Fatal("optional sources: no discovery.relabel selecting the JVMs")
	}
	found := false
	for _, r := range relabel.blocks {
		if r.name == "rule" && r.attrs["source_labels"].raw != nil && strings.Contains(fmt.Sprint(r.attrs["source_labels"].raw), "__meta_process_exe") {
			found = true
		}
	}
	if !found {
		t.Error("discovery.relabel: no rule on __meta_process_exe")
	}
}

// TestAlloyScrapeDeltas: Alloy subtracts successive memory, block and mutex
// scrapes itself (scrape_loop.go:172-174, delta_profiles.go:19-32); `delta =
// true` on them would ask Go for a delta too (?seconds=, target.go:361-366).
// CPU needs `delta = true` (a CPU profile over the interval).
func TestAlloyScrapeDeltas(t *testing.T) {
	active, _ := loadAlloy(t)
	n := 0
	for _, b := range active {
		if b.name != "pyroscope.scrape" {
			continue
		}
		n++
		for _, pc := range b.blocks {
			if pc.name != "profiling_config" {
				continue
			}
			for _, pt := range pc.blocks {
				d := pt.attrs["delta"].boolv
				switch pt.name {
				case "profile.memory", "profile.block", "profile.mutex":
					if d != nil && *d {
						t.Errorf("pyroscope.scrape %q > %s: delta = true makes a delta of deltas", b.label, pt.name)
					}
				case "profile.process_cpu":
					if d == nil || !*d {
						t.Errorf("pyroscope.scrape %q > %s: want delta = true (a CPU profile per scrape interval)", b.label, pt.name)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no pyroscope.scrape")
	}
}

// TestAlloyWriteBounded: pyroscope.write's fan-out waits for every endpoint
// (write.go:348-404) and the scrape loop waits for the push (scrape_loop.go:235),
// so the perfadvisor endpoint's worst case must fit the scrape interval.
// dskit backoff: max_backoff_retries N gives N attempts with N-1 waits of at
// most max_backoff_period each; 0 retries forever (write.go:80).
func TestAlloyWriteBounded(t *testing.T) {
	active, _ := loadAlloy(t)
	minInterval := time.Duration(0)
	for _, b := range active {
		if b.name == "pyroscope.scrape" {
			d := 15 * time.Second // scrape.go NewDefaultArguments
			if v, ok := b.attrs["scrape_interval"]; ok {
				d = duration(t, "scrape_interval", v)
			}
			if minInterval == 0 || d < minInterval {
				minInterval = d
			}
		}
	}
	envRe := regexp.MustCompile(`PERFADVISOR_PYROSCOPE_URL`)
	var tenants []bool
	found := false
	for _, b := range active {
		if b.name != "pyroscope.write" {
			continue
		}
		for _, ep := range b.blocks {
			if ep.name != "endpoint" {
				continue
			}
			_, hasTenant := ep.attrs["headers"].object["X-Scope-OrgID"]
			tenants = append(tenants, hasTenant)
			if !envRe.MatchString(fmt.Sprint(ep.attrs["url"].raw)) {
				continue
			}
			found = true
			where := fmt.Sprintf("pyroscope.write %q perfadvisor endpoint", b.label)
			rv, ok := ep.attrs["max_backoff_retries"]
			if !ok || rv.num == nil || *rv.num < 1 || *rv.num > 3 {
				t.Fatalf("%s: want max_backoff_retries between 1 and 3 (the default is 10, 0 is forever)", where)
			}
			for _, a := range []string{"remote_timeout", "max_backoff_period"} {
				if _, ok := ep.attrs[a]; !ok {
					t.Fatalf("%s: set %s (defaults 10s and 5m)", where, a)
				}
			}
			n := time.Duration(*rv.num)
			worst := n*duration(t, where+" remote_timeout", ep.attrs["remote_timeout"]) +
				(n-1)*duration(t, where+" max_backoff_period", ep.attrs["max_backoff_period"])
			if worst >= minInterval {
				t.Errorf("%s: worst case %v per push does not fit the %v scrape interval", where, worst, minInterval)
			}
		}
	}
	if !found {
		t.Fatal("no pyroscope.write endpoint for PERFADVISOR_PYROSCOPE_URL")
	}
	if slices.Contains(tenants, true) && slices.Contains(tenants, false) {
		t.Errorf("X-Scope-OrgID is set on some endpoints only (%v): Pyroscope and perfadvisor must see the same tenant", tenants)
	}
}

func TestAlloyParser(t *testing.T) {
	blocks, err := parseAlloy(`
// comment
a.b "x" {
  s = "v" // trailing
  n = 3
  l = [
    {"k" = "v", k2 = other.comp.lbl.out},
  ]
  f = coalesce(sys.env("X"), "d")
  inner.blk {
    ok = true
  }
}
/* block
comment */
c.d "y" { }
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 2 || blocks[0].name != "a.b" || blocks[0].label != "x" || blocks[1].name != "c.d" {
		t.Fatalf("blocks: %+v", blocks)
	}
	b := blocks[0]
	if *b.attrs["s"].str != "v" || *b.attrs["n"].num != 3 || !slices.Equal(b.attrs["l"].refs, []string{"other.comp.lbl.out"}) {
		t.Errorf("attrs: %+v", b.attrs)
	}
	if len(b.attrs["f"].refs) != 0 || len(b.blocks) != 1 || !*b.blocks[0].attrs["ok"].boolv {
		t.Errorf("call or nested block: %+v", b)
	}
	for _, bad := range []string{`a "x" { s = "v" `, `a "x" { s = }`, `x = 1`, `a "x" { f = nope(1) }`, `a "x" { s = "v" t = 1 }`} {
		if _, err := parseAlloy(bad); err == nil {
			t.Errorf("parseAlloy(%q): no error", bad)
		}
	}
}

// TestPyroscopeDocCollectorConfig: the collector snippet in docs/pyroscope.md
// declares every receiver, processor and exporter its pipelines name (the
// collector refuses a config that does not).
func TestPyroscopeDocCollectorConfig(t *testing.T) {
	b, err := os.ReadFile("../docs/pyroscope.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("docs/pyroscope.md: no yaml block")
	}
	var cfg struct {
		Receivers  map[string]any `yaml:"receivers"`
		Processors map[string]any `yaml:"processors"`
		Exporters  map[string]any `yaml:"exporters"`
		Service    struct {
			Pipelines map[string]struct {
				Receivers  []string `yaml:"receivers"`
				Processors []string `yaml:"processors"`
				Exporters  []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	if err := yaml.Unmarshal(m[1], &cfg); err != nil {
		t.Fatalf("docs/pyroscope.md collector config: %v", err)
	}
	if len(cfg.Service.Pipelines) == 0 {
		t.Fatal("no pipelines")
	}
	for name, p := range cfg.Service.Pipelines {
		for kind, ids := range map[string][]string{"receivers": p.Receivers, "processors": p.Processors, "exporters": p.Exporters} {
			declared := map[string]map[string]any{"receivers": cfg.Receivers, "processors": cfg.Processors, "exporters": cfg.Exporters}[kind]
			for _, id := range ids {
				if _, ok := declared[id]; !ok {
					t.Errorf("pipeline %s: %s %q is not declared under %s", name, kind, id, kind)
				}
			}
		}
		if len(p.Receivers) == 0 || len(p.Exporters) == 0 {
			t.Errorf("pipeline %s needs receivers and exporters", name)
		}
	}
}
