package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// collectorSpec is one collector of a run. The with- and without-perfadvisor
// collectors differ only in the processors of their pipelines (and ports).
type collectorSpec struct {
	name        string // "with" or "without"
	withAdvisor bool
	httpPort    int // OTLP/HTTP receiver
	telPort     int // the collector's own Prometheus metrics (service::telemetry)
	maxServices int // limits.max_services of the processor; 0 keeps its default
	pprofPort   int // the pprof extension's endpoint; 0: no pprof extension
}

// configYAML is the collector configuration of spec. Exporters discard: the
// debug exporter at basic verbosity, its log sampled down to one line in 10,000.
func configYAML(s collectorSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# perfadvisor-load: collector %q (perfadvisor in pipelines: %t)
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
`, s.name, s.withAdvisor, s.httpPort)
	procs := "[]"
	if s.withAdvisor {
		procs = "[perfadvisor]"
		b.WriteString("processors:\n  perfadvisor:\n")
		if s.maxServices > 0 {
			fmt.Fprintf(&b, "    limits:\n      max_services: %d\n", s.maxServices)
		}
	}
	if s.pprofPort > 0 {
		fmt.Fprintf(&b, "extensions:\n  pprof:\n    endpoint: 127.0.0.1:%d\n", s.pprofPort)
	}
	fmt.Fprintf(&b, `exporters:
  debug:
    verbosity: basic
    sampling_initial: 1
    sampling_thereafter: 10000
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
`, s.telPort)
	if s.pprofPort > 0 {
		b.WriteString("  extensions: [pprof]\n")
	}
	b.WriteString("  pipelines:\n")
	for _, p := range []string{"profiles", "metrics", "logs"} {
		fmt.Fprintf(&b, "    %s:\n      receivers: [otlp]\n      processors: %s\n      exporters: [debug]\n", p, procs)
	}
	return b.String()
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1 (released before
// return; the collector binds them a moment later).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// collector is one running collector process.
type collector struct {
	spec    collectorSpec
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

// startCollector writes spec's config into dir and starts bin on it.
func startCollector(bin, dir string, s collectorSpec) (*collector, error) {
	cfg := filepath.Join(dir, s.name+".yaml")
	if err := os.WriteFile(cfg, []byte(configYAML(s)), 0o644); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, s.name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config="+cfg, "--feature-gates=service.profilesSupport")
	cmd.Stdout = logf
	cmd.Stderr = logf
	// Its own process group: a Ctrl-C on the terminal reaches the runner,
	// which stops the collector itself, by its pid.
	// Pdeathsig: should the runner itself be killed, the kernel sends the
	// collector SIGTERM, so no collector outlives its runner.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &collector{spec: s, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *collector) pid() int { return c.cmd.Process.Pid }

func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitReady waits until the OTLP/HTTP receiver and the telemetry endpoint answer.
func (c *collector) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if c.exited() {
			return fmt.Errorf("collector %s exited: %v; log %s:\n%s", c.spec.name, c.waitErr, c.logPath, tail(c.logPath, 20))
		}
		if _, err := c.telemetry(ctx); err == nil && dialOK(c.spec.httpPort) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("collector %s not ready after %s; log %s:\n%s", c.spec.name, timeout, c.logPath, tail(c.logPath, 20))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func dialOK(port int) bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// telemetry fetches the collector's own Prometheus metrics page.
func (c *collector) telemetry(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", c.spec.telPort), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("telemetry: %s", resp.Status)
	}
	return string(body), nil
}

// stop ends the collector by its pid: SIGTERM, then SIGKILL after grace.
func (c *collector) stop(grace time.Duration) error {
	if c.exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(grace):
	}
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-c.done
	return fmt.Errorf("collector %s (pid %d) did not stop within %s; killed", c.spec.name, c.pid(), grace)
}

// tail is the last n lines of a file, for error messages.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// promValue sums the values of the samples of metric name (a prefix match on
// the series name, so _total suffixes count) whose labels include every
// label="value" in want. found is false when no such series exists.
func promValue(page, name string, want ...string) (sum float64, found bool) {
	for _, line := range strings.Split(page, "\n") {
		if line == "" || line[0] == '#' || !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		// Only name, name_total, name{...} or name_total{...}.
		rest = strings.TrimPrefix(rest, "_total")
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		labels := ""
		if rest[0] == '{' {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			labels, rest = rest[1:end], rest[end+1:]
		}
		ok := true
		for _, w := range want {
			if !strings.Contains(","+labels+",", ","+w+",") {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}
