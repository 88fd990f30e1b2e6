// Command tls records a quote handler that calls a pricing API over TLS,
// before and after reusing connections.
//
//	go run ./testdata/validation/tls -mode before -out testdata/validation/tls/before.pb.gz
//	go run ./testdata/validation/tls -mode after  -out testdata/validation/tls/after.pb.gz
//
// before opens a new TLS connection per request (a fresh client without
// keep-alive or session cache, as code that builds an http.Client per call
// does); after shares one keep-alive transport with a client session cache.
// The pricing API is an HTTPS server in the same process on 127.0.0.1.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/perfadvisor/perfadvisor/testdata/validation/loadgen"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"time"
)

type price struct {
	SKU      string  `json:"sku"`
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
}

// pricingServer starts the downstream HTTPS API with a fresh ECDSA P-256
// certificate and returns its URL and a pool that trusts it.
func pricingServer() (string, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "pricing.internal"},
		DNSNames:     []string{"pricing.internal"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /prices/{sku}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(price{SKU: r.PathValue("sku"), Amount: 19.99, Currency: "EUR"})
	})
	srv := &http.Server{Handler: mux, ErrorLog: log.New(io.Discard, "", 0)}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	go srv.Serve(tls.NewListener(ln, tlsCfg))
	return "https://" + ln.Addr().String(), pool, nil
}

func main() {
	mode := flag.String("mode", "before", "before or after")
	out := flag.String("out", "cpu.pb.gz", "CPU profile to write")
	dur := flag.Duration("duration", 20*time.Second, "profiled load duration")
	rate := flag.Int("rate", 100, "requests per second (open loop)")
	flag.Parse()
	base, pool, err := pricingServer()
	if err != nil {
		log.Fatal(err)
	}
	var client func() *http.Client
	switch *mode {
	case "before":
		client = func() *http.Client {
			return &http.Client{Transport: &http.Transport{
				TLSClientConfig:   &tls.Config{RootCAs: pool},
				DisableKeepAlives: true,
			}}
		}
	case "after":
		shared := &http.Client{Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, ClientSessionCache: tls.NewLRUClientSessionCache(64)},
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		}}
		client = func() *http.Client { return shared }
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
	quote := http.NewServeMux()
	quote.HandleFunc("GET /quote/{sku}", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client().Get(base + "/prices/" + r.PathValue("sku"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var p price
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"sku": p.SKU, "total": p.Amount * 1.19, "currency": p.Currency})
	})
	do := func(i int) error {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/quote/SKU-%05d", i%50000), nil)
		rec := httptest.NewRecorder()
		quote.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("request %d: %d %s", i, rec.Code, rec.Body.String())
		}
		return nil
	}
	n, err := loadgen.Record(*out, *rate, *dur, do)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%s: %d of %d requests in %s", *mode, n, int(*rate)*int(dur.Seconds()), *dur)
}
