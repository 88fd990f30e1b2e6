// Command workload is a Go service with one of the guide's problems, for the eBPF end-to-end
// test: -mode regex compiles a pattern per request, -mode tls opens a new TLS connection
// (full handshake) per request to a server in the same process on 127.0.0.1.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"regexp"
)

var sink byte

// otherWork is the request's own CPU, so the problem is a share, not everything.
func otherWork(n int) {
	buf := make([]byte, 4096)
	for i := 0; i < n; i++ {
		h := sha256.Sum256(buf)
		buf[i%len(buf)] = h[0]
		sink ^= h[1]
	}
}

func regexRequest(i int) {
	re := regexp.MustCompile(fmt.Sprintf(`^user-(\d+)-%d-[a-z]+@(example|test)\.(com|org)$`, i))
	if re.MatchString(fmt.Sprintf("user-42-%d-abc@example.com", i)) {
		sink++
	}
	otherWork(6)
}

func tlsRequest(addr string, cfg *tls.Config) {
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		log.Fatal(err)
	}
	c.Write([]byte("ping"))
	b := make([]byte, 4)
	io.ReadFull(c, b)
	c.Close()
	otherWork(60)
}

func main() {
	mode := flag.String("mode", "regex", "regex or tls")
	certFile := flag.String("cert", "", "PEM certificate (tls)")
	keyFile := flag.String("key", "", "PEM key (tls)")
	flag.Parse()
	switch *mode {
	case "regex":
		for i := 0; ; i++ {
			regexRequest(i)
		}
	case "tls":
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatal(err)
		}
		l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, SessionTicketsDisabled: true})
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					log.Fatal(err)
				}
				go func() {
					b := make([]byte, 4)
					io.ReadFull(c, b)
					c.Write(b)
					c.Close()
				}()
			}
		}()
		cfg := &tls.Config{InsecureSkipVerify: true}
		for {
			tlsRequest(l.Addr().String(), cfg)
		}
	}
}
