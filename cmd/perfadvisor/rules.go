package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

func cmdRules(args []string, stdout io.Writer) error {
	a, err := parseArgs(args, []string{"format", "config"}, nil)
	if err != nil {
		return err
	}
	format, err := a.format("text", "json")
	if err != nil {
		return err
	}
	if len(a.files) > 0 {
		return usagef("rules takes no files (got %q)", a.files[0])
	}
	cfg, err := loadConfig(a.flags["config"])
	if err != nil {
		return err
	}
	cat, err := cfg.Catalog()
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	// Each rule as its catalog schema, with the effective enabled/threshold.
	rules := make([]map[string]any, 0, len(cat.Rules))
	for _, r := range cat.Rules {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("rule %s: %w", r.ID, err)
		}
		m := map[string]any{}
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("rule %s: %w", r.ID, err)
		}
		th, on := cat.Threshold(r.ID)
		m["threshold"], m["enabled"] = th, on
		rules = append(rules, m)
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"rules": rules})
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tKIND\tENABLED\tTHRESHOLD\tTITLE")
	for _, m := range rules {
		kind, _ := m["kind"].(string)
		if kind == "" {
			kind = "profile"
		}
		title, _ := m["title"].(string)
		fmt.Fprintf(tw, "%v\t%s\t%v\t%v\t%s\n", m["id"], kind, m["enabled"], m["threshold"], title)
	}
	return tw.Flush()
}
