//go:build e2e

package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ianlancetaylor/demangle"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/collector/pdata/pprofile/pprofileotlp"
)

// The OTel eBPF profiler release the test builds and runs.
const (
	ebpfProfilerModule  = "go.opentelemetry.io/ebpf-profiler"
	ebpfProfilerVersion = "v0.0.202633"
)

// How long the workloads run under the profiler (20 Hz): nine busy processes share 2 cores,
// so each gets 2-5 samples a second; a 60 s window then holds more than the engine's floor
// of 50 samples for every service, and 90 s holds one such window whatever the alignment.
const (
	ebpfRun      = 90 * time.Second
	ebpfWindow   = 60 * time.Second
	ebpfLateness = 15 * time.Second
)

// ebpfConfig: profiles from the eBPF profiler through perfadvisor (native symbolization on,
// the collector runs beside the processes) and on to the sink, which keeps what the
// profiler sent for the independent measurement; advice to Prometheus and the sink.
const ebpfConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 127.0.0.1:%[1]d}
processors:
  perfadvisor:
    window: %[4]s
    allowed_lateness: %[5]s
    emit_interval: 1s
    for: 0s
    keep_firing_for: 10m
    symbolization: {enabled: true}
exporters:
  prometheus:
    endpoint: 127.0.0.1:%[2]d
  otlphttp/sink:
    endpoint: %[3]s
    compression: none
    sending_queue: {enabled: false}
    retry_on_failure: {enabled: false}
service:
  telemetry:
    metrics: {level: none}
  pipelines:
    profiles:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [otlphttp/sink]
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus]
    logs:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [otlphttp/sink]
`

// ebpfCase is one service with one problem, and the test's own definition of that
// problem's frames: a sample counts when any frame matches.
type ebpfCase struct {
	service, rule string
	runtime       frameMatcher           // the runtime's own frames (Go, Python, JVM)
	native        frameMatcher           // native frames, named by the test's own ELF reading
	stack         func([]ebpfFrame) bool // the runtime's frames where position matters
}

type frameMatcher func(f ebpfFrame) bool

// ebpfFrame is one frame as the test reads it from the OTLP.
type ebpfFrame struct {
	name, file, kind string // kind: the profiler's profile.frame.type
	symbolized       bool   // named here from the ELF file, not by the profiler
}

func nameRE(kind, re string) frameMatcher {
	r := regexp.MustCompile(re)
	return func(f ebpfFrame) bool { return (kind == "" || f.kind == kind) && r.MatchString(f.name) }
}

func pyRE(name, file string) frameMatcher {
	n, fl := regexp.MustCompile(name), regexp.MustCompile(file)
	return func(f ebpfFrame) bool { return f.kind == "cpython" && n.MatchString(f.name) && fl.MatchString(f.file) }
}

var ebpfCases = []ebpfCase{
	{service: "ebpf-go-regex", rule: "regex_compile_hot_path",
		runtime: nameRE("go", `^regexp\.(MustCompile|Compile|compile)$`)},
	{service: "ebpf-go-tls", rule: "tls_handshake_overhead",
		runtime: nameRE("go", `^crypto/tls\.\(\*Conn\)\.(clientHandshake|serverHandshake|handshakeContext|HandshakeContext|Handshake)$`)},
	{service: "ebpf-python-regex", rule: "regex_compile_hot_path",
		runtime: pyRE(`(^|\.)compile$`, `re/_compiler\.py$`)},
	{service: "ebpf-python-tls", rule: "tls_handshake_overhead",
		runtime: pyRE(`(^|\.)do_handshake$`, `/ssl\.py$`),
		native:  nameRE("native", `^(SSL_do_handshake|SSL_connect|SSL_accept)$`)},
	{service: "ebpf-python-dns", rule: "dns_resolution_overhead",
		runtime: pyRE(`(^|\.)getaddrinfo$`, `/socket\.py$`),
		native:  nameRE("native", `^getaddrinfo$`)},
	{service: "ebpf-java-regex", rule: "regex_compile_hot_path",
		runtime: nameRE("", `java[./]util[./]regex[./]Pattern[./](compile|<init>)\b`)},
	{service: "ebpf-node-regex", rule: "regex_compile_hot_path",
		native: nameRE("native", `^v8::internal::(RegExpImpl::Compile|RegExpCompiler::|RegExpParser|JSRegExp::Initialize|RegExp::Compile)`)},
	{service: "ebpf-node-dns", rule: "dns_resolution_overhead",
		native: nameRE("native", `^(getaddrinfo|uv__getaddrinfo_work)$`),
		stack:  nodeDNSLookup},
}

// nodeDNSLookup: node's dns.lookup and its completion callbacks (lib/dns.js), up to where
// they call the application's callback (a JavaScript frame outside node's own modules).
func nodeDNSLookup(frames []ebpfFrame) bool {
	for i, f := range frames { // leaf first
		if f.kind != "v8js" || f.file != "node:dns" || (f.name != "lookup" && f.name != "onlookup" && f.name != "onlookupall") {
			continue
		}
		for _, below := range frames[:i] {
			if below.kind == "v8js" && below.file != "" && !strings.HasPrefix(below.file, "node:") {
				return false
			}
		}
		return true
	}
	return false
}

// TestEBPFRealProfiler runs the real OTel eBPF profiler against Go, Python, Java and Node
// processes that each have one problem, through the collector, and compares each service's
// rule share with the share the test measures itself on the OTLP the profiler sent.
func TestEBPFRealProfiler(t *testing.T) {
	began := time.Now()
	if os.Geteuid() != 0 {
		t.Skip("the eBPF profiler needs root")
	}
	if err := ensureTracefs(); err != nil {
		t.Skipf("tracefs not available: %v", err)
	}
	for _, tool := range []string{"python3", "node", "javac", "java", "unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	profiler := buildEBPFProfiler(t)
	built := time.Now()
	work := prepareWorkloads(t)
	t.Logf("profiler ready in %s, workloads built in %s", built.Sub(began).Round(time.Second), time.Since(built).Round(time.Second))

	grpcPort, promPort := FreePort(t), FreePort(t)
	sink := newOTLPSink(t)
	StartCollector(t, fmt.Sprintf(ebpfConfig, grpcPort, promPort, sink.URL(), ebpfWindow, ebpfLateness))

	prof := startGroup(t, "ebpf-profiler", exec.Command(profiler,
		"-collection-agent", fmt.Sprintf("127.0.0.1:%d", grpcPort), "-disable-tls",
		"-env-vars", "OTEL_SERVICE_NAME", "-reporter-interval", "5s"))
	deadline := time.Now().Add(90 * time.Second)
	for len(sink.profiles()) == 0 {
		if prof.exited() {
			skipOrFail(t, "the eBPF profiler exited", prof.logs.String())
		}
		if time.Now().After(deadline) {
			skipOrFail(t, "no profiles from the eBPF profiler after 90s", prof.logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("profiler sending after %s", time.Since(built).Round(time.Second))

	procs := work.start(t)
	// The profiler names a mapped file by its base name; which file that is, the test
	// reads from the workloads' own maps while they run.
	time.Sleep(ebpfRun / 3)
	mapped := snapshotMaps(procs)
	time.Sleep(ebpfRun - ebpfRun/3)
	for _, p := range procs {
		if p.exited() {
			t.Errorf("%s exited early:\n%s", p.name, tail(p.logs.String(), 2000))
		}
		p.stop(t)
	}
	stopped := time.Now()

	// The profiler keeps reporting the host's other processes, so event time moves on and
	// the workloads' last window closes; then the cumulative sums hold every window.
	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	var samples []PromSample
	var prev string
	time.Sleep(ebpfWindow + ebpfLateness)
	Eventually(t, 60*time.Second, func() (bool, string) {
		samples = ScrapeProm(t, promURL)
		now := promTotals(samples)
		for _, c := range ebpfCases {
			if now[c.service] == 0 {
				return false, "no profiled CPU for " + c.service
			}
		}
		same := prev == fmt.Sprint(now)
		prev = fmt.Sprint(now)
		return same && time.Since(stopped) > ebpfWindow+ebpfLateness+10*time.Second, "totals still moving: " + prev
	})
	prof.stop(t)

	captured := sink.profiles()
	if dir := os.Getenv("PERFADVISOR_EBPF_KEEP"); dir != "" {
		keepOTLP(t, dir, captured) // what the profiler sent, to read again without root
	}
	indep := measureIndependently(t, captured, mapped)
	t.Logf("%-18s %-24s %11s %11s %11s %7s %s", "service", "rule", "perfadvisor", "independent", "w/o symbols", "samples", "frames")
	for _, c := range ebpfCases {
		got := promShare(samples, c.service, c.rule)
		m := indep[c.service]
		if m == nil {
			t.Errorf("%s: no CPU samples in the captured OTLP", c.service)
			continue
		}
		share, frames, bare := m.share(c)
		_, raised := sink.findEvent(c.service, c.rule, "perfadvisor.finding.raised")
		t.Logf("%-18s %-24s %11.3f %11.3f %11.3f %7.0f %s, raised=%v", c.service, c.rule, got, share, bare, m.samples, frames, raised)
		if m.samples < 50 { // the engine's floor: below it a share is noise
			t.Errorf("%s: only %.0f CPU samples", c.service, m.samples)
			continue
		}
		if share < 0.05 {
			t.Errorf("%s/%s: the workload's problem is only %.3f of its CPU", c.service, c.rule, share)
		}
		// Both read the same samples: only a batch later than allowed_lateness could differ.
		if d := got - share; d > 0.02 || d < -0.02 {
			t.Errorf("%s/%s: perfadvisor %.3f, independent %.3f", c.service, c.rule, got, share)
		}
		if !raised {
			t.Errorf("%s/%s: no perfadvisor.finding.raised event", c.service, c.rule)
		}
	}
	t.Logf("TestEBPFRealProfiler took %s (profiler build/cache %s)", time.Since(began).Round(time.Second), built.Sub(began).Round(time.Second))
}

// keepOTLP writes each captured message as OTLP protobuf (an ExportProfilesServiceRequest).
func keepOTLP(t *testing.T, dir string, batches []pprofile.Profiles) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	for i, pd := range batches {
		cp := pprofile.NewProfiles() // the marshaler interns attributes into its input
		pd.CopyTo(cp)
		b, err := pprofileotlp.NewExportRequestFromProfiles(cp).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("ebpf-%03d.pb", i)), b, 0o644)
	}
	t.Logf("kept %d OTLP messages in %s", len(batches), dir)
}

// skipOrFail skips when the kernel refused BPF or tracefs (a sandbox), and fails otherwise.
func skipOrFail(t *testing.T, what, logs string) {
	t.Helper()
	for _, refused := range []string{"operation not permitted", "permission denied", "tracefs", "failed to load", "memlock"} {
		if strings.Contains(strings.ToLower(logs), refused) {
			t.Skipf("%s; BPF not permitted here (%q in its log):\n%s", what, refused, tail(logs, 3000))
		}
	}
	t.Fatalf("%s:\n%s", what, tail(logs, 5000))
}

// ensureTracefs mounts tracefs where the profiler looks for it, if it is not there.
func ensureTracefs() error {
	if _, err := os.Stat("/sys/kernel/tracing/events"); err == nil {
		return nil
	}
	if out, err := exec.Command("mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing").CombinedOutput(); err != nil {
		return fmt.Errorf("mount -t tracefs: %v: %s", err, out)
	}
	return nil
}

// buildEBPFProfiler builds the profiler once per Go build cache: its module source copied
// from the module cache, rlimit.MaximizeMemlock made to tolerate EPERM (without
// CAP_SYS_RESOURCE the memlock hard limit cannot be raised; kernels since 5.11 account
// BPF memory to the cgroup instead), and a wrapper module that replaces the module with
// the patched copy.
func buildEBPFProfiler(t *testing.T) string {
	t.Helper()
	cache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(cache)), "perfadvisor-e2e", "ebpf-profiler-"+ebpfProfilerVersion)
	bin := filepath.Join(dir, "ebpf-profiler")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() {
		return bin
	}
	tmp := t.TempDir()
	dl := exec.Command("go", "mod", "download", "-json", ebpfProfilerModule+"@"+ebpfProfilerVersion)
	dl.Dir = tmp
	dl.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := dl.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v\n%s", ebpfProfilerModule, err, out)
	}
	var mod struct{ Dir, GoMod string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %v: %s", err, out)
	}
	src := filepath.Join(tmp, "src")
	if err := os.CopyFS(src, os.DirFS(mod.Dir)); err != nil {
		t.Fatalf("copy %s: %v", mod.Dir, err)
	}
	rl := filepath.Join(src, "rlimit", "rlimit.go")
	code, err := os.ReadFile(rl)
	if err != nil {
		t.Fatal(err)
	}
	const before = "&tmpLimit, &oldLimit); err != nil {"
	const after = "&tmpLimit, &oldLimit); err != nil && err != unix.EPERM {"
	if bytes.Count(code, []byte(before)) != 1 {
		t.Fatalf("%s: the MaximizeMemlock line to patch is not there once", rl)
	}
	os.WriteFile(rl, bytes.Replace(code, []byte(before), []byte(after), 1), 0o644)

	goLine := regexp.MustCompile(`(?m)^go \S+$`).Find(mustRead(t, filepath.Join(src, "go.mod")))
	agent := filepath.Join(tmp, "agent")
	os.MkdirAll(agent, 0o755)
	os.WriteFile(filepath.Join(agent, "go.mod"), fmt.Appendf(nil, "module perfadvisor.test/ebpfagent\n\n%s\n\nrequire %s %s\n\nreplace %s => ../src\n",
		goLine, ebpfProfilerModule, ebpfProfilerVersion, ebpfProfilerModule), 0o644)
	os.WriteFile(filepath.Join(agent, "go.sum"), mustRead(t, filepath.Join(src, "go.sum")), 0o644)
	os.MkdirAll(dir, 0o755)
	build := exec.Command("go", "build", "-o", bin+".tmp", ebpfProfilerModule)
	build.Dir = agent
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the eBPF profiler: %v\n%s", err, out)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// proc is one process group the test started; it is stopped by its PID (the group's id).
type proc struct {
	name string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
}

func startGroup(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{name: name, cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group led by the PID, then SIGKILL after 10 s.
func (p *proc) stop(t *testing.T) {
	pid := p.cmd.Process.Pid
	if !p.exited() {
		syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Logf("%s (pid %d) ignored SIGTERM; killing it", p.name, pid)
			syscall.Kill(-pid, syscall.SIGKILL)
			<-p.done
		}
	}
	// Children of a shell (the DNS namespace) may outlive it; the group goes too.
	syscall.Kill(-pid, syscall.SIGKILL)
}

// workloads holds the built helper programs.
type workloads struct {
	dir, goBin, javaDir, cert, key string
}

func prepareWorkloads(t *testing.T) *workloads {
	t.Helper()
	src := RepoPath(t, "test", "e2e", "testdata", "ebpf")
	w := &workloads{dir: src, goBin: filepath.Join(t.TempDir(), "workload"), javaDir: t.TempDir()}
	for _, c := range [][]string{
		{"go", "build", "-o", w.goBin, filepath.Join(src, "workload.go")},
		{"javac", "-d", w.javaDir, filepath.Join(src, "Workload.java")},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	w.cert, w.key = writeTestCert(t)
	return w
}

// start runs every workload with its service name in OTEL_SERVICE_NAME, which the profiler
// reports (-env-vars) and perfadvisor names the service by. The DNS workloads run in their
// own network and mount namespaces: a resolver on their own 127.0.0.1:53, and a
// resolv.conf that points at it bind-mounted over theirs only.
func (w *workloads) start(t *testing.T) []*proc {
	t.Helper()
	env := func(svc string, cmd *exec.Cmd) *exec.Cmd {
		cmd.Env = append(os.Environ(), "OTEL_SERVICE_NAME="+svc)
		return cmd
	}
	py := filepath.Join(w.dir, "workload.py")
	js := filepath.Join(w.dir, "workload.js")
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(resolv, []byte("nameserver 127.0.0.1\noptions attempts:1 timeout:1\n"), 0o644)
	dnsScript := fmt.Sprintf(`set -e
ip link set lo up
mount --bind %[1]q /etc/resolv.conf
OTEL_SERVICE_NAME=ebpf-dns-server python3 %[2]q &
sleep 1
OTEL_SERVICE_NAME=ebpf-python-dns python3 %[3]q dns &
OTEL_SERVICE_NAME=ebpf-node-dns node %[4]q dns &
wait`, resolv, filepath.Join(w.dir, "dnsserver.py"), py, js)
	return []*proc{
		startGroup(t, "go-regex", env("ebpf-go-regex", exec.Command(w.goBin, "-mode", "regex"))),
		startGroup(t, "go-tls", env("ebpf-go-tls", exec.Command(w.goBin, "-mode", "tls", "-cert", w.cert, "-key", w.key))),
		startGroup(t, "python-regex", env("ebpf-python-regex", exec.Command("python3", py, "regex"))),
		startGroup(t, "python-tls", env("ebpf-python-tls", exec.Command("python3", py, "tls", w.cert, w.key))),
		startGroup(t, "java-regex", env("ebpf-java-regex", exec.Command("java", "-Xmx256m", "-cp", w.javaDir, "Workload"))),
		startGroup(t, "node-regex", env("ebpf-node-regex", exec.Command("node", js, "regex"))),
		startGroup(t, "dns-namespace", exec.Command("unshare", "--mount", "--net", "sh", "-c", dnsScript)),
	}
}

// writeTestCert writes a self-signed P-256 certificate for localhost and its key.
func writeTestCert(t *testing.T) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certPath, keyPath
}

// snapshotMaps reads the maps of every process in the workloads' process groups: the
// files they mapped, by base name.
func snapshotMaps(procs []*proc) map[string][]string {
	groups := map[string]bool{}
	for _, p := range procs {
		groups[fmt.Sprint(p.cmd.Process.Pid)] = true
	}
	out := map[string][]string{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		i := bytes.LastIndexByte(b, ')')
		if err != nil || i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:])) // state ppid pgrp ...
		if len(f) < 3 || !groups[f[2]] {
			continue
		}
		maps, err := os.ReadFile(filepath.Join(filepath.Dir(st), "maps"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(maps), "\n") {
			fs := strings.Fields(line)
			if len(fs) < 6 || !strings.HasPrefix(fs[5], "/") {
				continue
			}
			base := filepath.Base(fs[5])
			if !slices.Contains(out[base], fs[5]) {
				out[base] = append(out[base], fs[5])
			}
		}
	}
	return out
}

// promTotals summarises the profiled-CPU sums per service, to see when they stop moving.
func promTotals(samples []PromSample) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if s.Name == "perfadvisor_service_profiled_cpu_time_seconds_total" {
			out[s.Labels["job"]] += s.Value
		}
	}
	return out
}

// promShare is perfadvisor's share over every closed window: the rule's cumulative CPU over
// the service's cumulative profiled CPU.
func promShare(samples []PromSample, service, rule string) float64 {
	rs, ok := findSample(samples, "perfadvisor_rule_cpu_time_seconds_total", service, rule)
	ss, ok2 := findSample(samples, "perfadvisor_service_profiled_cpu_time_seconds_total", service, "")
	if !ok || !ok2 || ss.Value == 0 {
		return 0
	}
	return rs.Value / ss.Value
}

// serviceStacks is one service's CPU samples as the test reads them: weight per stack.
type serviceStacks struct {
	samples float64
	stacks  []weightedStack
}

type weightedStack struct {
	weight float64
	frames []ebpfFrame
}

// share is the weight of the stacks with a frame matching the case, and which kind of
// frame decided it: the runtime's own frames, native frames the test symbolized, or both;
// bare is the share the runtime's frames alone give (what an engine without symbols sees).
func (s *serviceStacks) share(c ebpfCase) (share float64, frames string, bare float64) {
	var hit, byNative, byRuntime float64
	for _, st := range s.stacks {
		rt, nat := false, false
		for _, f := range st.frames {
			rt = rt || (c.runtime != nil && c.runtime(f))
			nat = nat || (c.native != nil && c.native(f) && f.symbolized)
		}
		rt = rt || (c.stack != nil && c.stack(st.frames))
		if rt || nat {
			hit += st.weight
		}
		if nat && !rt {
			byNative += st.weight
		}
		if rt {
			byRuntime += st.weight
		}
	}
	if s.samples == 0 {
		return 0, "none", 0
	}
	switch {
	case byNative > 0 && byRuntime > 0:
		frames = "runtime + symbolized native"
	case byNative > 0:
		frames = "symbolized native"
	default:
		frames = "runtime (no symbols needed)"
	}
	return hit / s.samples, frames, byRuntime / s.samples
}

// measureIndependently reads the OTLP the profiler sent: CPU samples (samples/count, one
// event per timestamp) of the resources named by OTEL_SERVICE_NAME, their frames' names from
// the profile's functions or, for native frames sent as bare addresses, from the mapped ELF
// file's symbols (the profiler's addresses are ELF virtual addresses).
func measureIndependently(t *testing.T, batches []pprofile.Profiles, mapped map[string][]string) map[string]*serviceStacks {
	t.Helper()
	syms := &testSymbols{files: map[string]*testELF{}, mapped: mapped}
	out := map[string]*serviceStacks{}
	for _, pd := range batches {
		dict := pd.Dictionary()
		str := dict.StringTable()
		at := func(i int32) string {
			if i < 0 || int(i) >= str.Len() {
				return ""
			}
			return str.At(int(i))
		}
		attr := func(idx []int32, key string) string {
			for _, i := range idx {
				kv := dict.AttributeTable().At(int(i))
				if at(kv.KeyStrindex()) == key {
					return kv.Value().AsString()
				}
			}
			return ""
		}
		locCache := map[int32][]ebpfFrame{}
		frames := func(li int32) []ebpfFrame {
			if fs, ok := locCache[li]; ok {
				return fs
			}
			loc := dict.LocationTable().At(int(li))
			kind := attr(loc.AttributeIndices().AsRaw(), "profile.frame.type")
			var fs []ebpfFrame
			for _, ln := range loc.Lines().All() {
				fn := dict.FunctionTable().At(int(ln.FunctionIndex()))
				fs = append(fs, ebpfFrame{name: at(fn.NameStrindex()), file: at(fn.FilenameStrindex()), kind: kind})
			}
			if len(fs) == 0 && loc.MappingIndex() > 0 {
				m := dict.MappingTable().At(int(loc.MappingIndex()))
				id := attr(m.AttributeIndices().AsRaw(), "process.executable.build_id.gnu")
				name, ok := syms.lookup(at(m.FilenameStrindex()), id, loc.Address())
				fs = append(fs, ebpfFrame{name: name, file: at(m.FilenameStrindex()), kind: kind, symbolized: ok})
			}
			locCache[li] = fs
			return fs
		}
		for _, rp := range pd.ResourceProfiles().All() {
			svc := attrStr(rp.Resource().Attributes(), "process.environment_variable.OTEL_SERVICE_NAME")
			if !strings.HasPrefix(svc, "ebpf-") {
				continue
			}
			ss := out[svc]
			if ss == nil {
				ss = &serviceStacks{}
				out[svc] = ss
			}
			for _, sp := range rp.ScopeProfiles().All() {
				for _, p := range sp.Profiles().All() {
					if at(p.SampleType().TypeStrindex()) != "samples" {
						continue // off-CPU profiles are not CPU
					}
					for _, s := range p.Samples().All() {
						w := float64(s.TimestampsUnixNano().Len())
						if s.Values().Len() > 0 {
							w = 0
							for _, v := range s.Values().All() {
								w += float64(v)
							}
						}
						st := weightedStack{weight: w}
						for _, li := range dict.StackTable().At(int(s.StackIndex())).LocationIndices().All() {
							st.frames = append(st.frames, frames(li)...)
						}
						ss.samples += w
						ss.stacks = append(ss.stacks, st)
					}
				}
			}
		}
	}
	return out
}

// testSymbols names native addresses straight from the ELF files with debug/elf: the test's
// own reading, not perfadvisor's symbolizer.
type testSymbols struct {
	files  map[string]*testELF
	mapped map[string][]string // base name → the paths the workloads mapped
}

type testELF struct {
	syms []elf.Symbol // functions, by address
}

func (s *testSymbols) lookup(path, buildID string, addr uint64) (string, bool) {
	key := path + "\x00" + buildID
	f, ok := s.files[key]
	if !ok {
		for _, p := range append([]string{path}, s.mapped[path]...) {
			if f = loadTestELF(p, buildID); f != nil {
				break
			}
		}
		s.files[key] = f
	}
	if f == nil {
		return "", false
	}
	i := sort.Search(len(f.syms), func(i int) bool { return f.syms[i].Value > addr }) - 1
	if i < 0 || addr >= f.syms[i].Value+f.syms[i].Size {
		return "", false
	}
	return demangle.Filter(f.syms[i].Name, demangle.NoParams, demangle.NoClones, demangle.NoTemplateParams), true
}

func loadTestELF(path, buildID string) *testELF {
	f, err := elf.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	note := f.Section(".note.gnu.build-id")
	if note == nil || buildID == "" {
		return nil
	}
	data, err := note.Data()
	if err != nil || len(data) < 16 || hex.EncodeToString(data[16:]) != strings.ToLower(buildID) {
		return nil
	}
	syms, err := f.Symbols()
	if errors.Is(err, elf.ErrNoSymbols) || len(syms) == 0 {
		syms, err = f.DynamicSymbols()
	}
	if err != nil {
		return nil
	}
	out := &testELF{}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 && s.Size > 0 {
			out.syms = append(out.syms, s)
		}
	}
	sort.Slice(out.syms, func(i, j int) bool { return out.syms[i].Value < out.syms[j].Value })
	return out
}
