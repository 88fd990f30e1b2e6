package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/catalog"
	"github.com/perfadvisor/perfadvisor/internal/plan"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// reportJSON is report's JSON document: the plan, the findings behind it,
// the services not judged and, with a price, the money.
type reportJSON struct {
	plan.Plan
	Findings  []report.Finding  `json:"findings"`
	NotJudged []report.Coverage `json:"not_judged"`
	// PricePerCoreHour and the monthly figure, when --price-per-core-hour is given.
	PricePerCoreHour *float64 `json:"price_per_core_hour,omitempty"`
	MonthlySaving    *float64 `json:"expected_monthly_saving,omitempty"`
}

// hoursPerMonth is 365.25 × 24 / 12.
const hoursPerMonth = 730.5

func cmdReport(args []string, stdout io.Writer) error {
	a, err := parseArgs(args, inputFlags("format", "service", "config", "price-per-core-hour"), nil)
	if err != nil {
		return err
	}
	format, err := a.format("markdown", "json")
	if err != nil {
		return err
	}
	if len(a.files) == 0 {
		return usagef("report: no input files")
	}
	var price *float64
	if v, ok := a.flags["price-per-core-hour"]; ok {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || !(p > 0) {
			return usagef("--price-per-core-hour %q: want a positive number", v)
		}
		price = &p
	}
	s, err := newSession(a)
	if err != nil {
		return err
	}
	res, err := s.analyze(a.files)
	if err != nil {
		return err
	}
	cat, err := s.cfg.Catalog()
	if err != nil {
		return err
	}
	doc := reportJSON{Plan: res.Plan, Findings: res.Findings, NotJudged: []report.Coverage{}, PricePerCoreHour: price}
	if doc.Findings == nil {
		doc.Findings = []report.Finding{}
	}
	for _, c := range res.Services {
		if !c.Judged {
			doc.NotJudged = append(doc.NotJudged, c)
		}
	}
	if price != nil {
		m := round2(doc.TotalExpectedCoresSaved * *price * hoursPerMonth)
		doc.MonthlySaving = &m
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	writeReport(stdout, doc, cat)
	return nil
}

// writeReport renders the plan as the guide reads: summary, findings,
// phases, services, validation.
func writeReport(w io.Writer, doc reportJSON, cat *catalog.Catalog) {
	p := doc.Plan
	fmt.Fprintln(w, "# Performance plan")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Executive summary")
	fmt.Fprintln(w)
	known := 0
	for _, s := range p.Services {
		if s.CPUCores != nil {
			known++
		}
	}
	fmt.Fprintf(w, "- **Fleet:** %d services, %s cores in use (%d with known usage).\n", len(p.Services), coresText(p.FleetCores), known)
	line := fmt.Sprintf("- **Expected saving:** %s cores", coresText(p.TotalExpectedCoresSaved))
	if p.FleetCores > 0 {
		line += fmt.Sprintf(" (%s of the fleet's CPU)", pct(p.TotalExpectedCoresSaved/p.FleetCores))
	}
	if doc.MonthlySaving != nil {
		line += fmt.Sprintf(", about %.2f per month at %.4g per core-hour", *doc.MonthlySaving, *doc.PricePerCoreHour)
	}
	fmt.Fprintln(w, line+", from "+strconv.Itoa(len(doc.Findings))+" findings; each CPU sample is counted once, however many findings it belongs to.")
	for _, ph := range p.Phases {
		if len(ph.Items) > 0 {
			fmt.Fprintf(w, "- **%s:** %d fixes, %s cores.\n", ph.Name, len(ph.Items), coresText(ph.ExpectedCoresSaved))
		}
	}
	if len(doc.NotJudged) > 0 {
		fmt.Fprintf(w, "- **Not judged:** %d services (see the end): their silence is not health.\n", len(doc.NotJudged))
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Findings")
	// The profile findings, largest saving first; fleet symptoms are in the
	// services' sections, with what their profiles explain.
	var fs []report.Finding
	for _, f := range doc.Findings {
		if r, ok := cat.Rule(f.Rule); ok && r.Kind == catalog.KindMetric && f.Rule != advisor.RuleDeployRegression {
			continue
		}
		fs = append(fs, f)
	}
	sort.SliceStable(fs, func(i, j int) bool { return savedCores(p, fs[i]) > savedCores(p, fs[j]) })
	for _, f := range fs {
		writeFindingSection(w, p, f, cat)
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Implementation plan")
	for _, ph := range p.Phases {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "### %s — %s cores\n\n", ph.Name, coresText(ph.ExpectedCoresSaved))
		if len(ph.Items) == 0 {
			fmt.Fprintln(w, "Nothing in this phase.")
			continue
		}
		fmt.Fprintln(w, "| fix | service | effort | expected saving | cores |")
		fmt.Fprintln(w, "|---|---|---|---:|---:|")
		for _, it := range ph.Items {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", title(cat, it.Rule), md(it.Service), strings.ReplaceAll(it.Effort, "_", " "),
				savingCell(it), coresOrDash(it.ExpectedCoresSaved))
		}
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Services")
	for _, s := range p.Services {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "### %s\n\n", md(s.Service))
		fmt.Fprintf(w, "- CPU: %s cores\n", coresOrUnknown(s.CPUCores))
		for _, f := range doc.Findings {
			if f.Service != s.Service || f.Value == nil {
				continue
			}
			fmt.Fprintf(w, "- Fleet symptom: %s — value %.3g. %s\n", title(cat, f.Rule), *f.Value, md(strings.Join(strings.Fields(f.Recommendation), " ")))
		}
		if len(s.Findings) > 0 {
			fmt.Fprintf(w, "- Findings: %s\n", strings.Join(s.Findings, ", "))
		}
		if s.ExpectedCPUReduction != nil {
			fmt.Fprintf(w, "- Expected saving, combined: %s (95%% interval %s to %s)", pct(*s.ExpectedCPUReduction),
				pct(s.ExpectedCPUReductionInterval[0]), pct(s.ExpectedCPUReductionInterval[1]))
			if s.ExpectedCoresSaved != nil {
				fmt.Fprintf(w, ", %s cores", coresText(*s.ExpectedCoresSaved))
			}
			fmt.Fprintln(w)
		} else {
			fmt.Fprintf(w, "- Expected saving: unknown — %s\n", s.Note)
		}
	}

	if len(doc.NotJudged) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## Not judged")
		fmt.Fprintln(w)
		for _, c := range doc.NotJudged {
			reason := ""
			if c.Reason != nil {
				reason = *c.Reason
			}
			fmt.Fprintf(w, "- %s: %s\n", md(c.Service), md(reason))
		}
	}
	writeChecklist(w, doc, cat)
}

func writeFindingSection(w io.Writer, p plan.Plan, f report.Finding, cat *catalog.Catalog) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "### %s — %s (%s)\n\n", title(cat, f.Rule), md(f.Service), f.Severity)
	if f.CPURatio != nil {
		share := "- CPU share: " + pct(*f.CPURatio)
		if len(f.CPURatioInterval) == 2 {
			share += fmt.Sprintf(" (95%% interval %s to %s)", pct(f.CPURatioInterval[0]), pct(f.CPURatioInterval[1]))
		}
		if c := serviceCores(p, f.Service); c != nil {
			share += fmt.Sprintf(", %s cores", coresText(*c**f.CPURatio))
		}
		fmt.Fprintln(w, share)
	}
	if f.Value != nil {
		fmt.Fprintf(w, "- Value: %.3g\n", *f.Value)
	}
	if f.ExpectedCPUReduction != nil {
		line := "- Expected saving: " + pct(*f.ExpectedCPUReduction)
		if c := serviceCores(p, f.Service); c != nil {
			line += fmt.Sprintf(" (%s cores)", coresText(*c**f.ExpectedCPUReduction))
		}
		fmt.Fprintln(w, line)
	} else {
		fmt.Fprintln(w, "- Expected saving: unknown — profile this service to know what its fixes would save")
	}
	if f.Recommendation != "" {
		fmt.Fprintf(w, "- Fix: %s\n", md(strings.Join(strings.Fields(f.Recommendation), " ")))
	}
	if r, ok := cat.Rule(f.Rule); ok {
		if ex, ok := r.ExampleFor(f.Runtime); ok {
			lang := codeLang(f.Runtime)
			fmt.Fprintf(w, "\nBefore:\n\n```%s\n%s\n```\n\nAfter:\n\n```%s\n%s\n```\n", lang, ex.Before, lang, ex.After)
		}
	}
}

// writeChecklist is the guide's validation checklist with PromQL against
// perfadvisor's own metrics.
func writeChecklist(w io.Writer, doc reportJSON, cat *catalog.Catalog) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Validation checklist")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "1. Before each fix, keep a baseline profile: `perfadvisor compare --before base.pb.gz --after new.pb.gz --fail-on regression` in CI.")
	fmt.Fprintln(w, "2. After each deploy, the fixed rule's share falls and its finding resolves:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "```promql")
	seen := map[string]bool{}
	for _, f := range doc.Findings {
		if f.CPURatio == nil {
			continue
		}
		k := f.Service + "\x00" + f.Rule
		if seen[k] {
			continue
		}
		seen[k] = true
		fmt.Fprintf(w, "job_perfadvisor_rule:perfadvisor_cpu:ratio_rate5m{job=%q,perfadvisor_rule=%q}  # now %s\n", f.Service, f.Rule, pct(*f.CPURatio))
	}
	fmt.Fprintln(w, "perfadvisor_finding_active == 1  # the findings still raised")
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "3. What each deploy realized against what was expected, and regressions:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "```promql")
	fmt.Fprintln(w, "perfadvisor_validation_realized_cpu_reduction_ratio - on(job, perfadvisor_rule, perfadvisor_version_before, perfadvisor_version_after, perfadvisor_validation_mode) perfadvisor_validation_expected_cpu_reduction_ratio")
	fmt.Fprintln(w, "perfadvisor_validation_service_cpu_change_ratio")
	fmt.Fprintln(w, `ALERTS{alertname="PerfadvisorDeployCPURegression"}`)
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "4. The fleet's remaining saving falls as fixes land:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "```promql")
	fmt.Fprintln(w, "perfadvisor:perfadvisor_service_expected_cores_saved:sum")
	fmt.Fprintln(w, "topk(5, job:perfadvisor_service_expected_cores_saved:max)")
	fmt.Fprintln(w, "```")
}

func serviceCores(p plan.Plan, service string) *float64 {
	for _, s := range p.Services {
		if s.Service == service {
			return s.CPUCores
		}
	}
	return nil
}

// savedCores orders findings: cores where known, then shares.
func savedCores(p plan.Plan, f report.Finding) float64 {
	e := f.Expected()
	if c := serviceCores(p, f.Service); c != nil {
		return e * *c
	}
	return e * 1e-6
}

func title(cat *catalog.Catalog, id string) string {
	if r, ok := cat.Rule(id); ok && r.Title != "" {
		return r.Title + " (`" + id + "`)"
	}
	return "`" + id + "`"
}

func codeLang(runtime string) string {
	switch runtime {
	case "jvm":
		return "java"
	case "dotnet":
		return "csharp"
	case "node":
		return "js"
	case "go", "python":
		return runtime
	}
	return ""
}

// md makes input text safe in markdown: control characters escaped, table
// pipes and HTML angle brackets neutralised.
func md(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;").Replace(safe(s))
}

func coresText(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

func coresOrUnknown(v *float64) string {
	if v == nil {
		return "unknown"
	}
	return coresText(*v)
}

func coresOrDash(v *float64) string {
	if v == nil {
		return "–"
	}
	return coresText(*v)
}

func savingCell(it plan.Item) string {
	if it.ExpectedCPUReduction == nil {
		return it.Note
	}
	return pct(*it.ExpectedCPUReduction)
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
