package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// activeFinding is one raised finding as the Prometheus endpoint shows it.
type activeFinding struct {
	Service, Rule string
	CPURatio      float64 // -1 when the rule's figure is not a CPU share
}

// fetchAdvice reads the raised findings from the collector's Prometheus
// endpoint, so a newcomer sees the advice without knowing where to look.
func fetchAdvice(ctx context.Context, url string) ([]activeFinding, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return parseAdvice(resp.Body)
}

// parseAdvice picks perfadvisor_finding_active and _cpu_ratio samples out of
// the Prometheus text format; labels are read loosely (values without commas).
func parseAdvice(r io.Reader) ([]activeFinding, error) {
	type key struct{ svc, rule string }
	active := map[key]bool{}
	ratio := map[key]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok || (name != "perfadvisor_finding_active" && name != "perfadvisor_finding_cpu_ratio") {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			continue
		}
		k := key{svc: labelValue(labels, "job"), rule: labelValue(labels, "perfadvisor_rule")}
		if name == "perfadvisor_finding_active" {
			active[k] = v > 0
		} else {
			ratio[k] = v
		}
	}
	var out []activeFinding
	for k, on := range active {
		if !on {
			continue
		}
		f := activeFinding{Service: k.svc, Rule: k.rule, CPURatio: -1}
		if v, ok := ratio[k]; ok {
			f.CPURatio = v
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Rule < out[j].Rule
	})
	return out, sc.Err()
}

func labelValue(labels, name string) string {
	for _, kv := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.TrimSpace(k) == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func formatAdvice(fs []activeFinding) string {
	if len(fs) == 0 {
		return "no finding raised yet (windows of event time must close first)"
	}
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		if f.CPURatio >= 0 {
			parts = append(parts, fmt.Sprintf("%s/%s %.1f%% CPU", f.Service, f.Rule, 100*f.CPURatio))
		} else {
			parts = append(parts, fmt.Sprintf("%s/%s", f.Service, f.Rule))
		}
	}
	return fmt.Sprintf("%d findings raised: %s", len(fs), strings.Join(parts, "; "))
}
