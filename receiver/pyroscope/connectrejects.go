package pyroscope

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"connectrpc.com/connect"
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
	errs := connect.NewErrorWriter()
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// An oversized body is bad input, not backpressure: Alloy's
		// pyroscope.write retries resource_exhausted (connect's answer to a
		// message over WithReadMaxBytes) and any code it derives from a bare
		// HTTP status, but not invalid_argument.
		if max := r.cfg.maxBody(); req.ContentLength > max && errs.IsSupported(req) {
			r.tel.reject(req.Context(), endpointPush, reasonTooLarge)
			r.tel.request(req.Context(), endpointPush, false)
			_ = errs.Write(w, req, connect.NewError(connect.CodeInvalidArgument,
				fmt.Errorf("request body of %d bytes is over max_request_body_size (%d bytes)", req.ContentLength, max)))
			return
		}
		counted := new(bool)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, counted: counted, req: req, errs: errs}
		next.ServeHTTP(rec, req.WithContext(context.WithValue(req.Context(), pushCountedKey{}, counted)))
		if *counted {
			return
		}
		reason := reasonFromHTTP(rec.status)
		if rec.rewritten {
			reason = reasonTooLarge
		}
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
	// A 429 that Push did not write is connect refusing a message over the
	// cap (a body without Content-Length): it is answered as invalid_argument
	// instead, and connect's own body is dropped.
	counted   *bool
	req       *http.Request
	errs      *connect.ErrorWriter
	rewritten bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.rewritten {
		return
	}
	if !s.wrote && code == http.StatusTooManyRequests && s.counted != nil && !*s.counted && s.errs.IsSupported(s.req) {
		s.status, s.wrote, s.rewritten = http.StatusBadRequest, true, true
		for k := range s.ResponseWriter.Header() {
			delete(s.ResponseWriter.Header(), k)
		}
		_ = s.errs.Write(s.ResponseWriter, s.req, connect.NewError(connect.CodeInvalidArgument,
			errors.New("message over max_request_body_size")))
		return
	}
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.rewritten {
		return len(b), nil
	}
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
