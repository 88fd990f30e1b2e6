//go:build e2e

package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"
	"github.com/stretchr/testify/require"
)

// securityConfig: the Pyroscope receiver behind TLS and the contrib
// bearer-token auth extension, as a collector exposed beyond localhost runs it.
const securityConfig = `
extensions:
  bearertokenauth:
    token: %[1]q
receivers:
  pyroscope:
    endpoint: 127.0.0.1:%[2]d
    tls:
      cert_file: %[3]s
      key_file: %[4]s
    auth:
      authenticator: bearertokenauth
  otlp:
    protocols:
      http: {endpoint: 127.0.0.1:%[5]d}
processors:
  perfadvisor:
    window: 60s
    allowed_lateness: 1s
    emit_interval: 1s
    for: 0s
exporters:
  prometheus:
    endpoint: 127.0.0.1:%[6]d
  debug:
    verbosity: basic
service:
  extensions: [bearertokenauth]
  telemetry:
    metrics: {level: none}
  pipelines:
    profiles:
      receivers: [pyroscope]
      processors: [perfadvisor]
      exporters: [debug]
    metrics:
      receivers: [otlp]
      processors: [perfadvisor]
      exporters: [prometheus]
`

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "perfadvisor-e2e"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// Pushes reach perfadvisor only over TLS and with the token: without it the
// receiver answers unauthenticated, and nothing of that push is analysed.
func TestPyroscopeTLSAndAuthEndToEnd(t *testing.T) {
	const token = "e2e-token-8d1f"
	certFile, keyFile, pool := selfSigned(t)
	pyroPort, otlpPort, promPort := FreePort(t), FreePort(t), FreePort(t)
	StartCollector(t, fmt.Sprintf(securityConfig, token, pyroPort, certFile, keyFile, otlpPort, promPort))

	raw, err := os.ReadFile(RepoPath(t, "testdata", "fixtures", "regex-a", "cpu.pb.gz"))
	require.NoError(t, err)
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Minute)
	push := func(client *http.Client, url, service, bearer string, k int) error {
		req := connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{{
			Labels:  []*typesv1.LabelPair{{Name: "__name__", Value: "process_cpu"}, {Name: "service_name", Value: service}},
			Samples: []*pushv1.RawSample{{RawProfile: restampPprof(t, raw, base.Add(time.Duration(k)*time.Minute+5*time.Second))}},
		}}})
		if bearer != "" {
			req.Header().Set("Authorization", "Bearer "+bearer)
		}
		_, err := pushv1connect.NewPusherServiceClient(client, url).Push(context.Background(), req)
		return err
	}
	tlsClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	url := fmt.Sprintf("https://127.0.0.1:%d", pyroPort)

	Eventually(t, 30*time.Second, func() (bool, string) {
		err := push(tlsClient, url, "intruder", "", 0)
		return connect.CodeOf(err) == connect.CodeUnauthenticated, fmt.Sprintf("push without a token: %v", err)
	})
	require.Equal(t, connect.CodeUnauthenticated, connect.CodeOf(push(tlsClient, url, "intruder", "wrong-token", 0)))
	require.Error(t, push(http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d", pyroPort), "plain", token, 0), "plain HTTP is refused")
	for k := range 3 {
		require.NoError(t, push(tlsClient, url, "trusted", token, k), "push %d with the token over TLS", k)
	}

	promURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	Eventually(t, 60*time.Second, func() (bool, string) {
		_, ok := findSample(ScrapeProm(t, promURL), "perfadvisor_finding_active", "trusted", "regex_compile_hot_path")
		return ok, "no regex finding for the authenticated service yet"
	})
	for _, s := range ScrapeProm(t, promURL) {
		require.NotEqual(t, "intruder", s.Labels["job"], "a refused push must not be analysed: %v", s)
	}
}
