//go:build e2e

// Package e2e drives the ocb-built collector (PERFADVISOR_COLLECTOR) over real
// sockets on 127.0.0.1. `make e2e` builds the collector and sets the variable.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// collectorEnv names the collector binary under test; `make e2e` sets it.
const collectorEnv = "PERFADVISOR_COLLECTOR"

// readyLine is what the collector logs once every pipeline has started.
const readyLine = "Everything is ready"

var cliDir string // holds the CLI binary built once by RunCLI; removed by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "perfadvisor-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	cliDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Collector is one running collector process started by StartCollector.
type Collector struct {
	PID        int
	ConfigPath string

	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // exit status, valid after done
}

// syncBuffer collects stdout and stderr, which exec writes from two goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// collectorBinary finds the collector under test, falling back to the
// repository's _build output so `go test -tags e2e` works after `make build`.
func collectorBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(collectorEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", collectorEnv, p, err)
		}
		return p
	}
	p := RepoPath(t, "_build", "otelcol-perfadvisor")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no collector: set %s or run `make build` first (%v)", collectorEnv, err)
	}
	return p
}

// StartCollector writes configYAML to a temporary file, starts the collector
// on it with profiles enabled and waits until it reports ready. The collector
// is stopped by PID when the test ends.
func StartCollector(t *testing.T, configYAML string) *Collector {
	t.Helper()
	bin := collectorBinary(t)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(configYAML), 0o600); err != nil {
		t.Fatalf("write config: %v", err)
	}
	c := &Collector{ConfigPath: cfgPath, logs: &syncBuffer{}, done: make(chan struct{})}
	c.cmd = exec.Command(bin, "--config="+cfgPath, "--feature-gates=service.profilesSupport")
	c.cmd.Stdout = c.logs
	c.cmd.Stderr = c.logs
	// If the test binary dies (a -timeout panic), the kernel kills the collector too.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start collector: %v", err)
	}
	c.PID = c.cmd.Process.Pid
	go func() {
		c.err = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			t.Logf("collector (pid %d) logs:\n%s", c.PID, tail(c.Logs(), 20000))
		}
	})

	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(c.Logs(), readyLine) {
		select {
		case <-c.done:
			t.Fatalf("collector exited before it was ready (%v):\n%s", c.err, tail(c.Logs(), 20000))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector not ready after 60s:\n%s", tail(c.Logs(), 20000))
		}
	}
	return c
}

// stop sends SIGTERM to the collector's PID and SIGKILL if it has not exited after 10 s.
func (c *Collector) stop(t *testing.T) {
	select {
	case <-c.done:
		return
	default:
	}
	if err := syscall.Kill(c.PID, syscall.SIGTERM); err != nil {
		t.Logf("SIGTERM %d: %v", c.PID, err)
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Errorf("collector pid %d ignored SIGTERM for 10s; killing it", c.PID)
		_ = syscall.Kill(c.PID, syscall.SIGKILL)
		<-c.done
	}
}

// Logs returns the collector's combined stdout and stderr so far.
func (c *Collector) Logs() string { return c.logs.String() }

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// Eventually polls cond every 200 ms until it holds, and fails the test with
// cond's last explanation when timeout passes first.
func Eventually(t *testing.T, timeout time.Duration, cond func() (ok bool, why string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %s", timeout, why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// PromSample is one sample of the Prometheus text exposition format.
type PromSample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// ScrapeProm GETs url and parses the Prometheus text format. A failed request
// is logged and gives no samples, so it can sit inside Eventually; a body that
// does not parse fails the test.
func ScrapeProm(t *testing.T, url string) []PromSample {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Logf("scrape %s: %v", url, err)
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		t.Logf("scrape %s: %s: %s", url, resp.Status, b)
		return nil
	}
	samples, err := parsePromText(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	return samples
}

// parsePromText reads `name{l="v",...} value [timestamp]` lines; comments and
// blank lines are skipped.
func parsePromText(r io.Reader) ([]PromSample, error) {
	var out []PromSample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parsePromLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n, line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func parsePromLine(line string) (PromSample, error) {
	s := PromSample{Labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value")
	}
	s.Name = line[:i]
	rest := line[i:]
	if rest[0] == '{' {
		end, err := parseLabels(rest, &s)
		if err != nil {
			return s, err
		}
		rest = rest[end:]
	}
	fields := strings.Fields(rest)
	if len(fields) < 1 {
		return s, fmt.Errorf("no value")
	}
	v, err := parsePromFloat(fields[0])
	if err != nil {
		return s, err
	}
	s.Value = v
	if s.Name == "" {
		return s, fmt.Errorf("no metric name")
	}
	return s, nil
}

// parseLabels parses `{...}` at the start of s and returns the index after '}'.
// A bare quoted string inside the braces is a UTF-8 metric name.
func parseLabels(s string, out *PromSample) (int, error) {
	i := 1
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return 0, fmt.Errorf("unterminated labels")
		}
		if s[i] == '}' {
			return i + 1, nil
		}
		var name string
		if s[i] == '"' {
			str, n, err := unquote(s[i:])
			if err != nil {
				return 0, err
			}
			name, i = str, i+n
		} else {
			j := i
			for j < len(s) && s[j] != '=' && s[j] != ',' && s[j] != '}' {
				j++
			}
			name, i = strings.TrimSpace(s[i:j]), j
		}
		if i < len(s) && s[i] != '=' {
			out.Name = name // quoted metric name form: {"my.metric", l="v"}
			continue
		}
		i++ // '='
		if i >= len(s) || s[i] != '"' {
			return 0, fmt.Errorf("label %s: value not quoted", name)
		}
		val, n, err := unquote(s[i:])
		if err != nil {
			return 0, err
		}
		out.Labels[name] = val
		i += n
	}
}

// unquote reads a double-quoted string with \\, \" and \n escapes and returns
// it and the number of bytes consumed.
func unquote(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("dangling escape")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

func parsePromFloat(s string) (float64, error) {
	switch s {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// RepoPath returns an absolute path under the repository root (the directory
// holding this module's go.mod).
func RepoPath(t *testing.T, elems ...string) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return filepath.Join(append([]string{root}, elems...)...)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(b), "module github.com/perfadvisor/perfadvisor\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of github.com/perfadvisor/perfadvisor above the working directory")
		}
		dir = parent
	}
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// RunCLI builds ./cmd/perfadvisor once per test binary, runs it with args in
// the repository root and returns its stdout. A non-zero exit fails the test.
func RunCLI(t *testing.T, args ...string) string {
	t.Helper()
	root := RepoPath(t)
	cliOnce.Do(func() {
		cliPath = filepath.Join(cliDir, "perfadvisor")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/perfadvisor")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cmd/perfadvisor: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(cliPath, args...)
	cmd.Dir = root
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("perfadvisor %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func TestParsePromText(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []PromSample
	}{
		{
			name: "comments and blank lines are skipped",
			text: "# HELP up x\n# TYPE up gauge\n\nup 1\n",
			want: []PromSample{{Name: "up", Labels: map[string]string{}, Value: 1}},
		},
		{
			name: "labels, escapes and a timestamp",
			text: `perfadvisor_finding_cpu_ratio{job="checkout",perfadvisor_rule="regex_compile_hot_path",note="a \"b\"\\c\nd"} 0.358 1700000000000` + "\n",
			want: []PromSample{{Name: "perfadvisor_finding_cpu_ratio", Labels: map[string]string{
				"job": "checkout", "perfadvisor_rule": "regex_compile_hot_path", "note": "a \"b\"\\c\nd",
			}, Value: 0.358}},
		},
		{
			name: "a comma inside a label value and a trailing comma",
			text: `m{a="x,y",} 2e-3` + "\n",
			want: []PromSample{{Name: "m", Labels: map[string]string{"a": "x,y"}, Value: 0.002}},
		},
		{
			name: "a quoted UTF-8 metric name",
			text: `{"perfadvisor.finding.active",job="a"} 1` + "\n",
			want: []PromSample{{Name: "perfadvisor.finding.active", Labels: map[string]string{"job": "a"}, Value: 1}},
		},
		{
			name: "infinities",
			text: "le_inf +Inf\nneg -Inf\n",
			want: []PromSample{
				{Name: "le_inf", Labels: map[string]string{}, Value: math.Inf(1)},
				{Name: "neg", Labels: map[string]string{}, Value: math.Inf(-1)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePromText(strings.NewReader(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`m{a="x} 1`, `m{a=x} 1`, "m", "m notanumber"} {
		if _, err := parsePromText(strings.NewReader(bad + "\n")); err == nil {
			t.Errorf("%q parsed without error", bad)
		}
	}
}
