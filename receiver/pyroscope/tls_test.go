package pyroscope

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
)

// selfSigned makes a throwaway certificate for 127.0.0.1.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "pyroscope-receiver-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), pool
}

// TestTLS: with confighttp's tls set, Connect over HTTP/1.1 and gRPC over
// HTTP/2 (ALPN) both work on the one port.
func TestTLS(t *testing.T) {
	certPEM, keyPEM, pool := selfSigned(t)
	sink := new(consumertest.ProfilesSink)
	_, base := startReceiver(t, sink, receiver.Settings{}, func(c *Config) {
		c.TLS = configoptional.Some(configtls.ServerConfig{Config: configtls.Config{
			CertPem: configopaque.String(certPEM), KeyPem: configopaque.String(keyPEM)}})
	})
	httpsBase := "https" + base[len("http"):]
	cpu := fixture(t, "regex-a/cpu.pb.gz")

	tests := []struct {
		name      string
		transport *http.Transport
		opts      []connect.ClientOption
		wantProto int
	}{
		{name: "connect over HTTP/1.1", transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, wantProto: 1},
		{name: "gRPC over HTTP/2", transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true},
			opts: []connect.ClientOption{connect.WithGRPC()}, wantProto: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink.Reset()
			var proto int
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := tt.transport.RoundTrip(r)
				if err == nil {
					proto = resp.ProtoMajor
				}
				return resp, err
			})}
			cl := pushv1connect.NewPusherServiceClient(hc, httpsBase, tt.opts...)
			_, err := cl.Push(context.Background(), connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{
				series(cpu, "__name__", "process_cpu", "service_name", "tls-svc")}}))
			require.NoError(t, err)
			assert.Equal(t, tt.wantProto, proto, "HTTP major version")
			require.Len(t, sink.AllProfiles(), 1)
			got := summarize(t, sink.AllProfiles()[0])
			require.NotEmpty(t, got)
			assert.Equal(t, "tls-svc", got[0].Resource["service.name"])
		})
	}

	// Plain HTTP to the TLS port is refused, not half-served.
	_, err := pushv1connect.NewPusherServiceClient(http.DefaultClient, base).Push(context.Background(),
		connect.NewRequest(&pushv1.PushRequest{}))
	assert.Error(t, err)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
