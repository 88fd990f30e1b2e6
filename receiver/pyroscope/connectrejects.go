package pyroscope

import (
	"context"
	"net/http"
	"strings"
)

// connect rejects some requests before Push runs (undecodable protobuf, a
// message over the size cap, a bad content type); this wrapper counts those.

type pushCountedKey struct{}

// markCounted tells the wrapper that Push recorded this request's outcome.
func markCounted(ctx context.Context) {
	if p, ok := ctx.Value(pushCountedKey{}).(*bool); ok {
		*p = true
	}
}

func (r *pyroscopeReceiver) countConnectRejects(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		counted := new(bool)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, req.WithContext(context.WithValue(req.Context(), pushCountedKey{}, counted)))
		if *counted {
			return
		}
		reason := reasonFromHTTP(rec.status)
		if reason == "" {
			reason = reasonFromGRPC(w.Header())
		}
		if reason != "" {
			r.tel.reject(req.Context(), endpointPush, reason)
			r.tel.request(req.Context(), endpointPush, false)
		}
	})
}

func reasonFromHTTP(status int) string {
	switch {
	case status < 400:
		return ""
	case status == http.StatusUnsupportedMediaType:
		return reasonUnsupported
	case status == http.StatusTooManyRequests, status == http.StatusRequestEntityTooLarge:
		return reasonTooLarge // connect's resource_exhausted: a message over the cap
	case status == http.StatusUnauthorized:
		return reasonUnauthorized
	case status == http.StatusMethodNotAllowed, status == http.StatusNotFound, status == http.StatusNotImplemented:
		return reasonMethod
	}
	return reasonBadRequest
}

// reasonFromGRPC reads the grpc-status trailer connect set (gRPC answers 200 with the code in a trailer).
func reasonFromGRPC(h http.Header) string {
	for k, v := range h {
		if !strings.HasSuffix(strings.ToLower(k), "grpc-status") || len(v) == 0 {
			continue
		}
		switch v[0] {
		case "0":
			return ""
		case "8":
			return reasonTooLarge
		case "12":
			return reasonMethod
		case "16":
			return reasonUnauthorized
		}
		return reasonBadRequest
	}
	return ""
}

// statusRecorder remembers the status code; Unwrap keeps http.ResponseController
// (flushing, deadlines) working for connect underneath.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		s.wrote = true
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
