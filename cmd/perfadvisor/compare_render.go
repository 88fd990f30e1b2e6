package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/perfadvisor/perfadvisor/internal/catalog"
)

func writeCompareText(w io.Writer, doc comparisonDoc) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(doc.Rules) == 0 {
		fmt.Fprintln(tw, "No rule has attributed CPU before or after.")
	} else {
		fmt.Fprintln(tw, "RULE\tSERVICE\tBEFORE\tAFTER\tREALIZED (95% CI)\tEXPECTED\tVERDICT")
		for _, r := range doc.Rules {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Rule, r.Service, pct(r.Before), pct(r.After),
				realizedCell(r), pct(r.ExpectedReduction), r.Verdict)
		}
	}
	if len(doc.Services) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "SERVICE\tCPU BEFORE\tCPU AFTER\tCHANGE (95% CI)\tVERDICT")
		for _, s := range doc.Services {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Service, coresCell(s.BeforeCores, s.BeforeCPUSeconds),
				coresCell(s.AfterCores, s.AfterCPUSeconds), changeCell(s), serviceVerdict(s))
		}
	}
	return tw.Flush()
}

// writeCompareMarkdown prints the validation table a change review needs:
// each problem, what its fix was expected to save and what it saved.
func writeCompareMarkdown(w io.Writer, doc comparisonDoc, cat *catalog.Catalog) {
	fmt.Fprintln(w, "| Problem | Service | Share before → after | Expected | Actual (95% CI) | Verdict |")
	fmt.Fprintln(w, "|---|---|---|---:|---:|---|")
	for _, r := range doc.Rules {
		fmt.Fprintf(w, "| %s (`%s`) | %s | %s → %s | %s | %s | %s |\n", mdEscape(ruleTitle(cat, r.Rule)), r.Rule,
			mdEscape(r.Service), pct(r.Before), pct(r.After), pct(r.ExpectedReduction), realizedCell(r), r.Verdict)
	}
	if len(doc.Rules) == 0 {
		fmt.Fprintln(w, "| no rule has attributed CPU before or after | | | | | |")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Service | CPU before | CPU after | Change (95% CI) | Verdict |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	for _, s := range doc.Services {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdEscape(s.Service), coresCell(s.BeforeCores, s.BeforeCPUSeconds),
			coresCell(s.AfterCores, s.AfterCPUSeconds), changeCell(s), serviceVerdict(s))
	}
}

// realizedCell is the realized reduction in points of the service's CPU
// with its interval, e.g. "35.8% (33.9% to 37.6%)".
func realizedCell(r comparison) string {
	return fmt.Sprintf("%s (%s to %s)", signedPct(r.RealizedReduction),
		signedPct(r.RealizedReductionInterval[0]), signedPct(r.RealizedReductionInterval[1]))
}

func coresCell(cores, seconds *float64) string {
	switch {
	case cores != nil:
		return fmt.Sprintf("%.3f cores", *cores)
	case seconds != nil:
		return fmt.Sprintf("%.2f s", *seconds)
	}
	return "-"
}

func changeCell(s serviceComparison) string {
	if s.CPUChange == nil {
		return "-"
	}
	return fmt.Sprintf("%s (%s to %s)", plusPct(*s.CPUChange), plusPct(s.CPUChangeInterval[0]), plusPct(s.CPUChangeInterval[1]))
}

func serviceVerdict(s serviceComparison) string {
	if s.Note != "" {
		return s.Verdict + ": " + s.Note
	}
	return s.Verdict
}

// signedPct prints a share with a minus sign only when negative, and never
// "-0.0%".
func signedPct(v float64) string {
	s := fmt.Sprintf("%.1f%%", v*100)
	if s == "-0.0%" {
		return "0.0%"
	}
	return s
}

// plusPct prints a relative change with its sign.
func plusPct(v float64) string {
	s := fmt.Sprintf("%+.1f%%", v*100)
	if s == "-0.0%" {
		return "+0.0%"
	}
	return s
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
