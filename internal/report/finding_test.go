package report

import (
	"encoding/json"
	"testing"
)

func TestReportJSONHasListsNotNull(t *testing.T) {
	heapOnly := "heap only"
	tests := []struct {
		name string
		r    Report
		want string
	}{
		{"no findings", Report{}, `{"findings":[],"services":[]}`},
		{"a finding without evidence", Report{Findings: []Finding{{Rule: "regex_compile_hot_path", Service: "s", CPURatio: Float(0.25), Severity: SeverityWarning}}},
			`{"findings":[{"rule":"regex_compile_hot_path","service":"s","cpu_ratio":0.25,"value":null,"severity":"warning","expected_cpu_reduction":null,"recommendation":"","evidence":[]}],"services":[]}`},
		{"a service not judged", Report{Services: []Coverage{{Service: "s", Reason: &heapOnly}}},
			`{"findings":[],"services":[{"service":"s","judged":false,"reason":"heap only","cpu_samples":0,"cpu_seconds":0,"runtimes":[]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

func TestSortByServiceThenRule(t *testing.T) {
	fs := []Finding{{Rule: "b", Service: "y"}, {Rule: "a", Service: "y"}, {Rule: "z", Service: "x"}}
	Sort(fs)
	got := fs[0].Service + "/" + fs[0].Rule + " " + fs[1].Service + "/" + fs[1].Rule + " " + fs[2].Service + "/" + fs[2].Rule
	if got != "x/z y/a y/b" {
		t.Fatalf("order %s", got)
	}
}
