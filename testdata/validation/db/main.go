// Command db records an order-lookup handler before and after pooling its
// database connections.
//
//	go run ./testdata/validation/db -mode before -out testdata/validation/db/before.pb.gz
//	go run ./testdata/validation/db -mode after  -out testdata/validation/db/after.pb.gz
//
// before calls sql.Open per request (connect, authenticate, query, close),
// after shares one *sql.DB pool. The database is a fake server in the same
// process on 127.0.0.1 speaking a small line protocol with a SCRAM-SHA-256
// style login (PBKDF2, 4096 iterations, as PostgreSQL's default), so the
// client pays what a real driver pays to authenticate; the server keeps
// only the stored key and does the cheap side of the exchange.
package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/perfadvisor/perfadvisor/testdata/validation/loadgen"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

const (
	user, password = "orders", "s3cret-orders"
	iterations     = 4096
)

var salt = []byte("perfadvisor-salt")

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// ---- server: greeting, challenge, proof check, queries ----

func serve(ln net.Listener, storedKey []byte) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go session(c, storedKey)
	}
}

func session(c net.Conn, storedKey []byte) {
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	line := func() (string, error) {
		s, err := r.ReadString('\n')
		return strings.TrimSuffix(s, "\n"), err
	}
	reply := func(s string) error {
		w.WriteString(s + "\n")
		return w.Flush()
	}
	hello, err := line()
	if err != nil || hello != "HELLO "+user {
		reply("ERR unknown user")
		return
	}
	nonce := make([]byte, 18)
	rand.Read(nonce)
	n64 := base64.StdEncoding.EncodeToString(nonce)
	if reply(fmt.Sprintf("CHALLENGE %s %d %s", base64.StdEncoding.EncodeToString(salt), iterations, n64)) != nil {
		return
	}
	auth, err := line()
	if err != nil {
		return
	}
	proof, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "AUTH "))
	sig := hmacSHA256(storedKey, user+","+n64)
	if err != nil || len(proof) != len(sig) {
		reply("ERR bad proof")
		return
	}
	for i := range proof {
		proof[i] ^= sig[i]
	}
	if k := sha256.Sum256(proof); !hmac.Equal(k[:], storedKey) {
		reply("ERR authentication failed")
		return
	}
	if reply("READY") != nil {
		return
	}
	for {
		q, err := line()
		if err != nil || q == "TERMINATE" {
			return
		}
		id, _ := strconv.Atoi(strings.TrimPrefix(q, "QUERY SELECT status, total FROM orders WHERE id = "))
		if reply(fmt.Sprintf("ROW shipped\t%d.%02d", id%500, id%100)) != nil {
			return
		}
	}
}

// ---- driver: database/sql opens connections through Driver.Open ----

type fakeDriver struct{}

func (fakeDriver) Open(addr string) (driver.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	cn := &conn{c: c, r: bufio.NewReader(c)}
	if err := cn.login(); err != nil {
		c.Close()
		return nil, err
	}
	return cn, nil
}

type conn struct {
	c net.Conn
	r *bufio.Reader
}

func (c *conn) roundTrip(msg string) (string, error) {
	if _, err := io.WriteString(c.c, msg+"\n"); err != nil {
		return "", err
	}
	s, err := c.r.ReadString('\n')
	s = strings.TrimSuffix(s, "\n")
	if err == nil && strings.HasPrefix(s, "ERR ") {
		err = errors.New(s)
	}
	return s, err
}

func (c *conn) login() error {
	ch, err := c.roundTrip("HELLO " + user)
	if err != nil {
		return err
	}
	f := strings.Fields(ch)
	if len(f) != 4 || f[0] != "CHALLENGE" {
		return fmt.Errorf("bad challenge %q", ch)
	}
	s, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return err
	}
	iter, err := strconv.Atoi(f[2])
	if err != nil {
		return err
	}
	salted, err := pbkdf2.Key(sha256.New, password, s, iter, 32)
	if err != nil {
		return err
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	sig := hmacSHA256(stored[:], user+","+f[3])
	for i := range clientKey {
		clientKey[i] ^= sig[i]
	}
	ok, err := c.roundTrip("AUTH " + base64.StdEncoding.EncodeToString(clientKey))
	if err == nil && ok != "READY" {
		err = fmt.Errorf("login: %q", ok)
	}
	return err
}

func (c *conn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *conn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }
func (c *conn) Close() error {
	io.WriteString(c.c, "TERMINATE\n")
	return c.c.Close()
}

func (c *conn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) != 1 {
		return nil, errors.New("want one argument")
	}
	row, err := c.roundTrip(fmt.Sprintf("QUERY %s", strings.Replace(query, "$1", fmt.Sprint(args[0].Value), 1)))
	if err != nil {
		return nil, err
	}
	return &rows{cols: strings.Split(strings.TrimPrefix(row, "ROW "), "\t")}, nil
}

type rows struct {
	cols []string
	done bool
}

func (r *rows) Columns() []string { return []string{"status", "total"} }
func (r *rows) Close() error      { return nil }
func (r *rows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done = true
	for i := range dest {
		dest[i] = r.cols[i]
	}
	return nil
}

func main() {
	mode := flag.String("mode", "before", "before or after")
	out := flag.String("out", "cpu.pb.gz", "CPU profile to write")
	dur := flag.Duration("duration", 20*time.Second, "profiled load duration")
	rate := flag.Int("rate", 100, "requests per second (open loop)")
	flag.Parse()
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		log.Fatal(err)
	}
	storedKey := sha256.Sum256(hmacSHA256(salted, "Client Key"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go serve(ln, storedKey[:])
	sql.Register("fakepg", fakeDriver{})
	dsn := ln.Addr().String()

	var getDB func() (*sql.DB, func(), error)
	switch *mode {
	case "before":
		getDB = func() (*sql.DB, func(), error) {
			db, err := sql.Open("fakepg", dsn)
			if err != nil {
				return nil, nil, err
			}
			return db, func() { db.Close() }, nil
		}
	case "after":
		pool, err := sql.Open("fakepg", dsn)
		if err != nil {
			log.Fatal(err)
		}
		pool.SetMaxOpenConns(64)
		pool.SetMaxIdleConns(64)
		pool.SetConnMaxLifetime(time.Hour)
		getDB = func() (*sql.DB, func(), error) { return pool, func() {}, nil }
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		db, done, err := getDB()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer done()
		var status, total string
		if err := db.QueryRowContext(r.Context(), "SELECT status, total FROM orders WHERE id = $1", id).Scan(&status, &total); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "status": status, "total": total})
	})
	do := func(i int) error {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/orders/%d", i), nil))
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
