// Package deploy checks the shipped Prometheus rules, Alertmanager example and
// Grafana dashboard with the real tools (promtool, amtool from Debian's
// prometheus and prometheus-alertmanager, installed by `make deps`) and
// against the metric contract of docs/design.md §5.
package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// ruleIDs are the rule ids of docs/design.md §2: each needs an alert and a runbook.
var ruleIDs = []string{
	"profiler_overhead",
	"regex_compile_hot_path",
	"tls_handshake_overhead",
	"kafka_poll_inefficiency",
	"alloc_gc_pressure",
	"db_connection_churn",
	"dns_resolution_overhead",
	"service_cpu_outlier",
	"service_elevated_baseline",
	"service_cpu_spikes",
	"goroutine_growth",
	"deploy_cpu_regression",
}

// emittedMetrics are the Prometheus names the collector writes (docs/design.md §5).
var emittedMetrics = []string{
	"perfadvisor_finding_active",
	"perfadvisor_finding_cpu_ratio",
	"perfadvisor_finding_expected_cpu_reduction_ratio",
	"perfadvisor_service_cpu_usage",
	"perfadvisor_service_cpu_fleet_median_ratio",
	"perfadvisor_rule_cpu_time_seconds_total",
	"perfadvisor_service_profiled_cpu_time_seconds_total",
	"perfadvisor_service_expected_cpu_reduction_ratio",
	"perfadvisor_service_expected_cores_saved",
	"perfadvisor_service_savings_rank",
	"perfadvisor_validation_realized_cpu_reduction_ratio",
	"perfadvisor_validation_expected_cpu_reduction_ratio",
	"perfadvisor_validation_service_cpu_change_ratio",
}

const (
	rulesFile     = "prometheus/perfadvisor-rules.yaml"
	promConfig    = "prometheus/prometheus.yml"
	amConfig      = "alertmanager/alertmanager.yml"
	dashboardFile = "grafana/perfadvisor-dashboard.json"
	runbookDir    = "../docs/runbooks"
	runbookPrefix = "https://github.com/perfadvisor/perfadvisor/blob/main/docs/runbooks/"
)

// tool finds a binary that `make deps` installs; a missing one fails the test
// (never skips: CI must run these checks).
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := "/usr/bin/" + name; isExecutable(p) {
		return p
	}
	t.Fatalf("%s not found in PATH or /usr/bin: run `make deps` (scripts/install-deps.sh installs Debian's prometheus and prometheus-alertmanager)", name)
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func run(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// --- the rules file ---------------------------------------------------------

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var rs []rule
	for _, g := range f.Groups {
		rs = append(rs, g.Rules...)
	}
	if len(rs) == 0 {
		t.Fatalf("%s: no rules", rulesFile)
	}
	return rs
}

func TestPromtoolCheckRules(t *testing.T) {
	out := run(t, "prometheus", tool(t, "promtool"), "check", "rules", filepath.Base(rulesFile))
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules:\n%s", out)
	}
}

func TestPromtoolUnitTests(t *testing.T) {
	files, err := filepath.Glob("prometheus/tests/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool unit tests in prometheus/tests (%v)", err)
	}
	args := []string{"test", "rules"}
	for _, f := range files {
		args = append(args, strings.TrimPrefix(f, "prometheus/"))
	}
	out := run(t, "prometheus", tool(t, "promtool"), args...)
	if strings.Contains(out, "FAILED") {
		t.Fatalf("promtool test rules:\n%s", out)
	}
}

func TestPrometheusExampleConfig(t *testing.T) {
	run(t, "prometheus", tool(t, "promtool"), "check", "config", filepath.Base(promConfig))
	b, err := os.ReadFile(promConfig)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName     string `yaml:"job_name"`
			HonorLabels bool   `yaml:"honor_labels"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.RuleFiles, filepath.Base(rulesFile)) {
		t.Errorf("rule_files %v does not load %s", cfg.RuleFiles, filepath.Base(rulesFile))
	}
	if len(cfg.ScrapeConfigs) == 0 {
		t.Fatal("no scrape config")
	}
	for _, sc := range cfg.ScrapeConfigs {
		// Without honor_labels the exporter's job becomes exported_job.
		if !sc.HonorLabels {
			t.Errorf("scrape job %s: honor_labels must be true", sc.JobName)
		}
	}
}

// TestOneAlertPerRule checks the alert contract: one alert per rule id on
// perfadvisor_finding_active, labels severity and service, humanised
// annotations and a runbook that exists.
func TestOneAlertPerRule(t *testing.T) {
	byRule := map[string][]rule{}
	matcher := regexp.MustCompile(`perfadvisor_finding_active\{[^}]*perfadvisor_rule="([a-z_]+)"`)
	for _, r := range loadRules(t) {
		if r.Alert == "" {
			continue
		}
		m := matcher.FindStringSubmatch(r.Expr)
		if m == nil {
			t.Errorf("%s: expr does not select perfadvisor_finding_active by perfadvisor_rule: %s", r.Alert, r.Expr)
			continue
		}
		byRule[m[1]] = append(byRule[m[1]], r)
	}
	for id := range byRule {
		if !slices.Contains(ruleIDs, id) {
			t.Errorf("alert for unknown rule id %q", id)
		}
	}
	for _, id := range ruleIDs {
		t.Run(id, func(t *testing.T) {
			rs := byRule[id]
			if len(rs) != 1 {
				t.Fatalf("%d alerts for rule %s, want 1", len(rs), id)
			}
			r := rs[0]
			if r.For == "" || r.KeepFiringFor == "" {
				t.Errorf("%s: want a short for and a keep_firing_for, got for=%q keep_firing_for=%q", r.Alert, r.For, r.KeepFiringFor)
			}
			if got := r.Labels["severity"]; got != "{{ $labels.perfadvisor_severity }}" {
				t.Errorf("%s: label severity = %q, want it from perfadvisor_severity", r.Alert, got)
			}
			if got := r.Labels["service"]; got != "{{ $labels.job }}" {
				t.Errorf("%s: label service = %q, want it from job", r.Alert, got)
			}
			for _, k := range []string{"summary", "description"} {
				if !strings.Contains(r.Annotations[k], "$labels.job") {
					t.Errorf("%s: annotation %s does not name the service", r.Alert, k)
				}
			}
			if !strings.Contains(r.Annotations["description"], "perfadvisor_finding_expected_cpu_reduction_ratio") ||
				!strings.Contains(r.Annotations["description"], "humanizePercentage") {
				t.Errorf("%s: description does not humanise the expected saving", r.Alert)
			}
			if strings.Contains(r.Annotations["description"], "perfadvisor_finding_cpu_ratio") &&
				!strings.Contains(r.Annotations["summary"], "perfadvisor_finding_cpu_ratio") {
				t.Errorf("%s: summary does not show the CPU share", r.Alert)
			}
			url := r.Annotations["runbook_url"]
			if url != runbookPrefix+id+".md" {
				t.Errorf("%s: runbook_url = %q, want %s%s.md", r.Alert, url, runbookPrefix, id)
			}
			if _, err := os.Stat(filepath.Join(runbookDir, id+".md")); err != nil {
				t.Errorf("%s: runbook missing: %v", r.Alert, err)
			}
		})
	}
}

// TestEveryRuleHasUnitTests: each alert is exercised by alert_rule_test and
// each recording rule by promql_expr_test.
func TestEveryRuleHasUnitTests(t *testing.T) {
	files, _ := filepath.Glob("prometheus/tests/*.yaml")
	alerts := map[string]bool{}
	var exprs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tf struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string `yaml:"alertname"`
					ExpAlerts []any  `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
				PromqlExprTest []struct {
					Expr string `yaml:"expr"`
				} `yaml:"promql_expr_test"`
			} `yaml:"tests"`
		}
		if err := yaml.Unmarshal(b, &tf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range tf.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					alerts[a.Alertname] = true // tested firing, not only silent
				}
			}
			for _, e := range tc.PromqlExprTest {
				exprs = append(exprs, e.Expr)
			}
		}
	}
	for _, r := range loadRules(t) {
		switch {
		case r.Alert != "" && !alerts[r.Alert]:
			t.Errorf("alert %s: no promtool test expects it to fire", r.Alert)
		case r.Record != "" && !slices.ContainsFunc(exprs, func(e string) bool { return slices.Contains(metricNames(e), r.Record) }):
			t.Errorf("recording rule %s: no promql_expr_test queries it", r.Record)
		}
	}
}

// --- metric names in every query --------------------------------------------

var (
	stringLit   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	braces      = regexp.MustCompile(`\{[^}]*\}`)
	brackets    = regexp.MustCompile(`\[[^\]]*\]`)
	labelLists  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	identifier  = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	printfQuery = regexp.MustCompile(`printf\s+("(?:[^"\\]|\\.)*")[^|}]*\|\s*query\b`)
	promqlWords = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
		"group_left", "group_right", "inf", "nan", "Inf", "NaN", "start", "end"}
)

// metricNames returns the metric names a PromQL expression selects: what is
// left after removing strings, label matchers, ranges, label lists,
// functions and keywords.
func metricNames(expr string) []string {
	s := stringLit.ReplaceAllString(expr, `""`)
	s = braces.ReplaceAllString(s, " ")
	s = brackets.ReplaceAllString(s, " ")
	s = labelLists.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range identifier.FindAllStringIndex(s, -1) {
		if loc[0] > 0 && (isDigit(s[loc[0]-1]) || s[loc[0]-1] == '.') {
			continue // the exponent or tail of a number such as 1e3
		}
		tok := s[loc[0]:loc[1]]
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || slices.Contains(promqlWords, tok) {
			continue // a function, an aggregation or a keyword
		}
		names = append(names, tok)
	}
	return names
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// templateQueries returns the PromQL of `printf "..." ... | query` calls in an
// alert template, with %q arguments filled in.
func templateQueries(t *testing.T, tmpl string) []string {
	var qs []string
	for _, m := range printfQuery.FindAllStringSubmatch(tmpl, -1) {
		f, err := strconv.Unquote(m[1])
		if err != nil {
			t.Fatalf("template printf %s: %v", m[1], err)
		}
		qs = append(qs, strings.ReplaceAll(f, "%q", `"x"`))
	}
	return qs
}

func recordedNames(rs []rule) []string {
	var out []string
	for _, r := range rs {
		if r.Record != "" {
			out = append(out, r.Record)
		}
	}
	return out
}

func checkNames(t *testing.T, where, expr string, known []string) {
	t.Helper()
	names := metricNames(expr)
	if len(names) == 0 {
		t.Errorf("%s: no metric in %q", where, expr)
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			t.Errorf("%s: %q is neither emitted by the collector (docs/design.md §5) nor recorded in %s (query %q)", where, n, rulesFile, expr)
		}
	}
}

func TestRulesNameOnlyEmittedOrRecordedMetrics(t *testing.T) {
	rs := loadRules(t)
	known := append(slices.Clone(emittedMetrics), recordedNames(rs)...)
	for _, r := range rs {
		name := r.Alert + r.Record
		checkNames(t, name, r.Expr, known)
		for k, v := range r.Annotations {
			for _, q := range templateQueries(t, v) {
				checkNames(t, name+" annotation "+k, q, known)
			}
		}
	}
}

func TestMetricNamesExtraction(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`sum by (job) (rate(a_total{job=~"x|y"}[5m])) / on (job) group_left b`, []string{"a_total", "b"}},
		{`quantile(0.5, rec:metric:sum) > 1e3`, []string{"rec:metric:sum"}},
		{`max without (instance) (c{l="sum(d)"}) and ignoring(x) e offset 5m`, []string{"c", "e"}},
		{`count(f > 0) or vector(0)`, []string{"f"}},
	} {
		if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// --- the Grafana dashboard --------------------------------------------------

type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
}

type dashboard struct {
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

func loadDashboard(t *testing.T) (dashboard, []panel) {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var flat []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			flat = append(flat, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return d, flat
}

// grafanaVars replaces dashboard variables with values PromQL accepts.
var grafanaVars = strings.NewReplacer(
	"${service}", ".*", "$service", ".*",
	"${rule}", ".*", "$rule", ".*",
	"$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h",
)

type query struct{ where, expr string }

func dashboardQueries(t *testing.T) []query {
	d, panels := loadDashboard(t)
	var qs []query
	for _, p := range panels {
		for _, tg := range p.Targets {
			qs = append(qs, query{fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID), grafanaVars.Replace(tg.Expr)})
		}
	}
	// label_values(metric, label), or label_values({__name__=~"a|b"}, label)
	// for the union of several metrics (Grafana hands the selector to
	// Prometheus as match[]); checked below as `a or b`.
	labelValues := regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*|\{__name__=~"[a-zA-Z0-9_:|]+"\})\s*,\s*[a-zA-Z_]+\s*\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			var s string
			if json.Unmarshal(v.Query, &s) != nil {
				t.Fatalf("variable %s: query is neither an object nor a string", v.Name)
			}
			q.Query = s
		}
		m := labelValues.FindStringSubmatch(strings.TrimSpace(q.Query))
		if m == nil {
			t.Errorf("variable %s: want label_values(metric, label), got %q", v.Name, q.Query)
			continue
		}
		expr := m[1]
		if strings.HasPrefix(expr, "{") {
			expr = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(expr, `{__name__=~"`), `"}`), "|", " or ")
		}
		qs = append(qs, query{"variable " + v.Name, expr})
	}
	return qs
}

func TestDashboardNamesOnlyEmittedOrRecordedMetrics(t *testing.T) {
	known := append(slices.Clone(emittedMetrics), recordedNames(loadRules(t))...)
	qs := dashboardQueries(t)
	if len(qs) == 0 {
		t.Fatal("dashboard has no queries")
	}
	for _, q := range qs {
		if strings.Contains(q.expr, "$") {
			t.Errorf("%s: unknown dashboard variable in %q", q.where, q.expr)
		}
		checkNames(t, q.where, q.expr, known)
	}
}

// TestDashboardQueriesParse hands every dashboard query to promtool as a
// recording rule, so a query Prometheus would reject fails here.
func TestDashboardQueriesParse(t *testing.T) {
	qs := dashboardQueries(t)
	type rec struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var recs []rec
	for i, q := range qs {
		recs = append(recs, rec{fmt.Sprintf("dashboard_query_%d", i), q.expr})
	}
	doc := map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": recs}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard-rules.yaml"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, dir, tool(t, "promtool"), "check", "rules", "dashboard-rules.yaml")
}

func TestDashboardShowsTheAdvice(t *testing.T) {
	d, panels := loadDashboard(t)
	if d.UID == "" {
		t.Error("dashboard has no uid")
	}
	ids := map[int]bool{}
	// What a reader must find on the dashboard, by the series behind it.
	want := map[string]string{
		"active findings table":          "perfadvisor_finding_active",
		"CPU share per rule and service": "job_perfadvisor_rule:perfadvisor_cpu:ratio_rate5m",
		"fleet-median ratio":             "job:perfadvisor_service_cpu_usage:fleet_median_ratio",
		"expected savings":               "job_perfadvisor_rule:perfadvisor_expected_cpu_reduction:cores",
	}
	found := map[string]bool{}
	for _, p := range panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource must be the ${datasource} variable", p.Title)
		}
		for _, tg := range p.Targets {
			for what, metric := range want {
				if slices.Contains(metricNames(grafanaVars.Replace(tg.Expr)), metric) &&
					(what != "active findings table" || p.Type == "table") {
					found[what] = true
				}
			}
		}
	}
	var missing []string
	for what := range want {
		if !found[what] {
			missing = append(missing, what)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("dashboard lacks: %s", strings.Join(missing, ", "))
	}
}

// TestDashboardVariablesAndInputs: the service and rule pickers list metric
// rules and metric-only services too (perfadvisor_finding_active carries
// every raised rule, perfadvisor_service_cpu_usage every service of the
// fleet rules), and importing the JSON asks for the Prometheus data source.
func TestDashboardVariablesAndInputs(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Inputs []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			PluginID string `json:"pluginId"`
		} `json:"__inputs"`
		Templating struct {
			List []struct {
				Name    string          `json:"name"`
				Type    string          `json:"type"`
				Query   json.RawMessage `json:"query"`
				Current struct {
					Value any `json:"value"`
				} `json:"current"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	input := ""
	for _, in := range d.Inputs {
		if in.Type == "datasource" && in.PluginID == "prometheus" {
			input = in.Name
		}
	}
	if input == "" {
		t.Fatal("no __inputs entry for a Prometheus data source: Grafana's import shows no data-source picker")
	}
	want := map[string][]string{
		"service": {"perfadvisor_service_profiled_cpu_time_seconds_total", "perfadvisor_service_cpu_usage", "perfadvisor_finding_active"},
		"rule":    {"perfadvisor_rule_cpu_time_seconds_total", "perfadvisor_finding_active"},
	}
	seenDS := false
	for _, v := range d.Templating.List {
		if v.Type == "datasource" {
			seenDS = true
			if v.Current.Value != "${"+input+"}" {
				t.Errorf("datasource variable: current %v, want ${%s} so the import's choice becomes the default", v.Current.Value, input)
			}
			continue
		}
		names, ok := want[v.Name]
		if !ok {
			continue
		}
		delete(want, v.Name)
		for _, n := range names {
			if !strings.Contains(string(v.Query), n) {
				t.Errorf("variable %s: its query %s does not list %s", v.Name, v.Query, n)
			}
		}
	}
	if !seenDS {
		t.Error("no datasource variable")
	}
	for name := range want {
		t.Errorf("no %s variable", name)
	}
}

// --- Alertmanager -----------------------------------------------------------

func TestAlertmanagerExample(t *testing.T) {
	amtool := tool(t, "amtool")
	run(t, "alertmanager", amtool, "check-config", filepath.Base(amConfig))
	b, err := os.ReadFile(amConfig)
	if err != nil {
		t.Fatal(err)
	}
	type amRoute struct {
		Receiver       string   `yaml:"receiver"`
		GroupBy        []string `yaml:"group_by"`
		GroupInterval  string   `yaml:"group_interval"`
		RepeatInterval string   `yaml:"repeat_interval"`
	}
	var cfg struct {
		Route struct {
			amRoute `yaml:",inline"`
			Routes  []amRoute `yaml:"routes"`
		} `yaml:"route"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	// One notification per problem, listing every service that has it.
	if !slices.Contains(cfg.Route.GroupBy, "alertname") || !slices.Contains(cfg.Route.GroupBy, "perfadvisor_rule") {
		t.Errorf("route.group_by %v: want alertname and perfadvisor_rule", cfg.Route.GroupBy)
	}
	if cfg.Route.Receiver == "" {
		t.Error("route has no default receiver")
	}
	// The digest is daily: a still-firing group repeats after repeat_interval,
	// a changed one is sent after group_interval (inherited when unset).
	for _, r := range cfg.Route.Routes {
		if r.Receiver != "perf-digest" {
			continue
		}
		for name, v := range map[string]string{"group_interval": firstSet(r.GroupInterval, cfg.Route.GroupInterval), "repeat_interval": firstSet(r.RepeatInterval, cfg.Route.RepeatInterval)} {
			d, err := amDuration(v)
			if err != nil || d < 24*time.Hour {
				t.Errorf("perf-digest route: %s %q, want at least 24h for a daily digest", name, v)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   string
	}{
		{"critical pages and reaches the owning team", []string{"alertname=PerfadvisorServiceCPUOutlier", "perfadvisor_rule=service_cpu_outlier", "severity=critical", "service=checkout"}, "perf-oncall,team-commerce"},
		{"warning goes to the owning team", []string{"alertname=PerfadvisorRegexCompileHotPath", "perfadvisor_rule=regex_compile_hot_path", "severity=warning", "service=checkout"}, "team-commerce"},
		{"unowned service goes to the default receiver", []string{"alertname=PerfadvisorDNSResolutionOverhead", "perfadvisor_rule=dns_resolution_overhead", "severity=warning", "service=billing"}, "perf-advice"},
		{"info goes to the digest", []string{"alertname=PerfadvisorGoroutineGrowth", "perfadvisor_rule=goroutine_growth", "severity=info", "service=billing"}, "perf-digest"},
		{"info of a team's service goes to the digest too", []string{"alertname=PerfadvisorProfilerOverhead", "perfadvisor_rule=profiler_overhead", "severity=info", "service=checkout"}, "perf-digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"config", "routes", "test", "--config.file=" + filepath.Base(amConfig)}, tc.labels...)
			out := run(t, "alertmanager", amtool, args...)
			var got string
			for _, line := range strings.Split(out, "\n") {
				if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "Warning:") {
					got = l
				}
			}
			if got != tc.want {
				t.Errorf("routes test %v = %q, want %q", tc.labels, got, tc.want)
			}
		})
	}
}

// --- runbooks ---------------------------------------------------------------

func TestRunbooks(t *testing.T) {
	for _, id := range ruleIDs {
		t.Run(id, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(runbookDir, id+".md"))
			if err != nil {
				t.Fatal(err)
			}
			s := string(b)
			for _, heading := range []string{"## What it means", "## Confirm", "## Fix", "## Expected gain", "## Validate the fix"} {
				if !strings.Contains(s, heading) {
					t.Errorf("runbook %s.md lacks section %q", id, heading)
				}
			}
			if !strings.Contains(s, "`"+id+"`") {
				t.Errorf("runbook %s.md does not name its rule id", id)
			}
			if !strings.Contains(s, "perfadvisor compare") && !strings.Contains(s, "job_perfadvisor_rule:perfadvisor_cpu:ratio_rate5m") &&
				!strings.Contains(s, "fleet_median_ratio") {
				t.Errorf("runbook %s.md does not say how to validate the fix", id)
			}
		})
	}
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// amDuration parses Alertmanager's durations (Go units plus d, w, y).
func amDuration(v string) (time.Duration, error) {
	re := regexp.MustCompile(`^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$`)
	m := re.FindStringSubmatch(v)
	if v == "" || m == nil {
		return 0, fmt.Errorf("bad duration %q", v)
	}
	units := []time.Duration{365 * 24 * time.Hour, 7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second, time.Millisecond}
	var d time.Duration
	for i, u := range units {
		if m[i+1] != "" {
			n, _ := strconv.Atoi(m[i+1])
			d += time.Duration(n) * u
		}
	}
	return d, nil
}
