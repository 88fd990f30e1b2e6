// Command dns records an inventory handler that resolves its backend's
// host name, before and after caching the answer.
//
//	go run ./testdata/validation/dns -mode before -out testdata/validation/dns/before.pb.gz
//	go run ./testdata/validation/dns -mode after  -out testdata/validation/dns/after.pb.gz
//
// before looks the name up per request with Go's resolver (which has no
// cache); after keeps answers in a small cache for their TTL. The DNS
// server is in the same process on 127.0.0.1 (UDP), reached through
// net.Resolver's Dial hook, so no system resolver is involved.
package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/perfadvisor/perfadvisor/testdata/validation/loadgen"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"time"
)

const (
	backend = "inventory-db.prod.internal."
	ttl     = 30 // seconds
)

// serveDNS answers A queries for any name with 10.0.0.7 and AAAA queries
// with no records (NOERROR), as an authoritative server would.
func serveDNS(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := answer(buf[:n]); resp != nil {
			pc.WriteTo(resp, addr)
		}
	}
}

func answer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// Walk the question's labels to find QTYPE.
	i := 12
	for i < len(q) && q[i] != 0 {
		i += int(q[i]) + 1
	}
	if i+5 > len(q) {
		return nil
	}
	qend := i + 5
	qtype := binary.BigEndian.Uint16(q[i+1:])
	resp := make([]byte, 0, qend+16)
	resp = append(resp, q[0], q[1], 0x85, 0x80, 0, 1) // id, QR AA RD RA, QDCOUNT 1
	an := uint16(0)
	if qtype == 1 {
		an = 1
	}
	resp = binary.BigEndian.AppendUint16(resp, an)
	resp = append(resp, 0, 0, 0, 0) // NSCOUNT, ARCOUNT
	resp = append(resp, q[12:qend]...)
	if an == 1 {
		resp = append(resp, 0xc0, 12, 0, 1, 0, 1) // name pointer, A, IN
		resp = binary.BigEndian.AppendUint32(resp, ttl)
		resp = append(resp, 0, 4, 10, 0, 0, 7)
	}
	return resp
}

type cache struct {
	mu      sync.Mutex
	entries map[string]cached
}

type cached struct {
	addrs   []netip.Addr
	expires time.Time
}

func (c *cache) lookup(ctx context.Context, r *net.Resolver, host string) ([]netip.Addr, error) {
	c.mu.Lock()
	e, ok := c.entries[host]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.addrs, nil
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.entries[host] = cached{addrs, time.Now().Add(ttl * time.Second)}
	c.mu.Unlock()
	return addrs, nil
}

func main() {
	mode := flag.String("mode", "before", "before or after")
	out := flag.String("out", "cpu.pb.gz", "CPU profile to write")
	dur := flag.Duration("duration", 20*time.Second, "profiled load duration")
	rate := flag.Int("rate", 2000, "requests per second (open loop)")
	flag.Parse()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go serveDNS(pc)
	server := pc.LocalAddr().String()
	resolver := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
	var resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	switch *mode {
	case "before":
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return resolver.LookupNetIP(ctx, "ip", host)
		}
	case "after":
		c := &cache{entries: map[string]cached{}}
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) { return c.lookup(ctx, resolver, host) }
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stock/{sku}", func(w http.ResponseWriter, r *http.Request) {
		addrs, err := resolve(r.Context(), backend)
		if err != nil || len(addrs) == 0 {
			http.Error(w, fmt.Sprint("resolve: ", err), http.StatusBadGateway)
			return
		}
		target := netip.AddrPortFrom(addrs[0], 5432)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"sku": r.PathValue("sku"), "in_stock": 42, "shard": target.String()})
	})
	do := func(i int) error {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/stock/SKU-%d", i), nil))
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
