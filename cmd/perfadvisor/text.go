package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
	"github.com/perfadvisor/perfadvisor/internal/report"
)

// maxTextStacks and maxTextFrames keep the text report readable; the JSON
// report carries all the evidence the engine kept.
const (
	maxTextStacks = 3
	maxTextFrames = 12
)

// writeText prints the report for a terminal. Every string from the input
// (service and frame names, series) goes through safe: a frame name with
// escape sequences must not drive the reader's terminal.
func writeText(w io.Writer, res *advisor.Result, files int) {
	rep := report.Report{Findings: res.Findings, Services: res.Services}
	defer writeNotJudged(w, rep.Services)
	if len(rep.Findings) == 0 {
		fmt.Fprintf(w, "No findings in %d file(s) (%d service(s) with profiles).\n", files, len(res.Window.Services))
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSERVICE\tCPU SHARE (95% CI)\tEXPECTED SAVING\tVALUE\tSEVERITY")
	for _, f := range rep.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", safe(f.Rule), safe(f.Service), shareText(f), expectedText(f), num(f.Value), f.Severity)
	}
	tw.Flush()
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "\n== %s · %s (%s)\n", safe(f.Rule), safe(f.Service), f.Severity)
		var facts []string
		if f.CPURatio != nil {
			facts = append(facts, "CPU share "+shareText(f))
		}
		if f.Value != nil {
			facts = append(facts, "value "+num(f.Value))
		}
		if f.ExpectedCPUReduction != nil {
			facts = append(facts, "expected saving "+pct(*f.ExpectedCPUReduction)+" of CPU")
		} else {
			facts = append(facts, "expected saving unknown (profile the service)")
		}
		if f.Samples > 0 {
			facts = append(facts, fmt.Sprintf("%d samples", f.Samples))
		}
		if f.Runtime != "" {
			facts = append(facts, "runtime "+safe(f.Runtime))
		}
		fmt.Fprintf(w, "   %s\n", strings.Join(facts, ", "))
		stacks := 0
		for _, e := range f.Evidence {
			switch e.Kind {
			case "stack":
				if stacks == maxTextStacks {
					continue
				}
				stacks++
				fmt.Fprintf(w, "   %6s  %s\n", pctPtr(e.Share), framesText(e.Frames))
			case "series":
				line := "   series  " + safe(e.Series)
				if e.Value != nil {
					line += " = " + num(e.Value)
				}
				fmt.Fprintln(w, strings.TrimRight(line+"  "+safe(e.Description), " "))
			default:
				fmt.Fprintf(w, "   note    %s\n", safe(e.Description))
			}
		}
		if f.Recommendation != "" {
			fmt.Fprintf(w, "   Fix: %s\n", indent(safe(f.Recommendation), "        "))
		}
	}
}

// writeNotJudged ends the report with the services that could not be
// judged: without it, their silence would read as health.
func writeNotJudged(w io.Writer, services []report.Coverage) {
	first := true
	for _, s := range services {
		if s.Judged {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nNot judged (no advice for these services, which is not the same as healthy):")
			first = false
		}
		reason := ""
		if s.Reason != nil {
			reason = *s.Reason
		}
		fmt.Fprintf(w, "  %s: %s\n", safe(s.Service), safe(reason))
	}
	first = true
	for _, s := range services {
		if !s.Judged || s.Note == "" {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nJudged with a caveat:")
			first = false
		}
		fmt.Fprintf(w, "  %s: %s\n", safe(s.Service), safe(s.Note))
	}
}

func shareText(f report.Finding) string {
	if f.CPURatio == nil {
		return "-"
	}
	s := pct(*f.CPURatio)
	if len(f.CPURatioInterval) == 2 {
		s += fmt.Sprintf(" (%s-%s)", pct(f.CPURatioInterval[0]), pct(f.CPURatioInterval[1]))
	}
	return s
}

// expectedText is a finding's expected saving, "unknown" where no profile says.
func expectedText(f report.Finding) string {
	if f.ExpectedCPUReduction == nil {
		return "unknown"
	}
	return pct(*f.ExpectedCPUReduction)
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

func pctPtr(v *float64) string {
	if v == nil {
		return ""
	}
	return pct(*v)
}

func num(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.3g", *v)
}

// framesText shows a stack root→leaf, eliding the middle of deep stacks.
func framesText(frames []string) string {
	if len(frames) > maxTextFrames {
		head, tail := frames[:2], frames[len(frames)-(maxTextFrames-3):]
		frames = append(append(append([]string{}, head...), "…"), tail...)
	}
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = safe(f)
	}
	return strings.Join(out, " > ")
}

// safe escapes control characters (ESC, BEL, CR, ...) and invalid UTF-8 as
// Go escapes; newlines in advice text are kept, they are ours.
func safe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r != '\n' && unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r != '\n' && unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n"+prefix)
}
