// Command regex records a sign-up validation handler before and after
// moving its regular expressions out of the request path.
//
//	go run ./testdata/validation/regex -mode before -out testdata/validation/regex/before.pb.gz
//	go run ./testdata/validation/regex -mode after  -out testdata/validation/regex/after.pb.gz
//	go run ./testdata/validation/regex -mode worse  -out testdata/validation/regex/worse.pb.gz
//
// before compiles each pattern per request, after uses package-level
// patterns compiled once at start-up, worse is before with every pattern
// compiled twice (a second helper that validates with regexp.MatchString).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/perfadvisor/perfadvisor/testdata/validation/loadgen"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime/debug"
	"strings"
	"time"
)

const (
	emailPattern = `^[a-zA-Z0-9._%+\-]+@[a-zA-Z0-9.\-]+\.[a-zA-Z]{2,}$`
	phonePattern = `^\+?[0-9]{1,3}[ \-]?\(?[0-9]{2,4}\)?[ \-]?[0-9]{3,4}[ \-]?[0-9]{3,4}$`
	orderPattern = `^ORD-[0-9]{4}-[A-Z]{3}-[0-9a-f]{8}$`
)

// Compiled once, in package initialisation: the fix.
var (
	emailRE = regexp.MustCompile(emailPattern)
	phoneRE = regexp.MustCompile(phonePattern)
	orderRE = regexp.MustCompile(orderPattern)
)

type signup struct {
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	OrderID string `json:"order_id"`
	Name    string `json:"name"`
}

type validator func(s *signup) []string

func validateBefore(s *signup) []string {
	var bad []string
	if !regexp.MustCompile(emailPattern).MatchString(s.Email) {
		bad = append(bad, "email")
	}
	if !regexp.MustCompile(phonePattern).MatchString(s.Phone) {
		bad = append(bad, "phone")
	}
	if !regexp.MustCompile(orderPattern).MatchString(s.OrderID) {
		bad = append(bad, "order_id")
	}
	return bad
}

func validateAfter(s *signup) []string {
	var bad []string
	if !emailRE.MatchString(s.Email) {
		bad = append(bad, "email")
	}
	if !phoneRE.MatchString(s.Phone) {
		bad = append(bad, "phone")
	}
	if !orderRE.MatchString(s.OrderID) {
		bad = append(bad, "order_id")
	}
	return bad
}

// validateWorse adds a sanitising pass that recompiles every pattern.
func validateWorse(s *signup) []string {
	bad := validateBefore(s)
	for _, p := range []struct{ pat, v string }{{emailPattern, s.Email}, {phonePattern, s.Phone}, {orderPattern, s.OrderID}} {
		if ok, _ := regexp.MatchString(p.pat, strings.TrimSpace(p.v)); !ok {
			bad = append(bad, "trimmed")
		}
	}
	return bad
}

func handler(validate validator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /signup", func(w http.ResponseWriter, r *http.Request) {
		var s signup
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp := map[string]any{"ok": true, "name": strings.ToUpper(s.Name)}
		if bad := validate(&s); len(bad) > 0 {
			resp = map[string]any{"ok": false, "invalid": bad}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
	return mux
}

func main() {
	mode := flag.String("mode", "before", "before, after or worse")
	out := flag.String("out", "cpu.pb.gz", "CPU profile to write")
	dur := flag.Duration("duration", 20*time.Second, "profiled load duration")
	rate := flag.Int("rate", 2500, "requests per second (open loop)")
	gogc := flag.Int("gogc", 400, "GC percent")
	flag.Parse()
	// The service already follows the allocation advice (GOGC=400), so the
	// compiles' own CPU, not the GC they cause, dominates the profile.
	debug.SetGCPercent(*gogc)
	validate := map[string]validator{"before": validateBefore, "after": validateAfter, "worse": validateWorse}[*mode]
	if validate == nil {
		log.Fatalf("unknown -mode %q", *mode)
	}
	h := handler(validate)
	do := func(i int) error {
		body := fmt.Sprintf(`{"email":"user%d@example.com","phone":"+49 30 %04d 5678","order_id":"ORD-2026-ABC-%08x","name":"user %d"}`, i, i%10000, i, i)
		req := httptest.NewRequest(http.MethodPost, "/signup", bytes.NewBufferString(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"ok":true`)) {
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
