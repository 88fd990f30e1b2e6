package pyroscope

import (
	"context"
	"net/http"
	"time"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/ingest"
)

// handleIngest serves the legacy `POST /ingest` of pyroscope-go,
// pyroscope-java and older agents: one pprof, JFR recording or folded-stack
// body per request, named by the `name` query.
func (r *pyroscopeReceiver) handleIngest(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		r.ingestError(ctx, w, badInput(reasonMethod, "method %s not allowed, use POST", req.Method))
		return
	}
	in, err := ingest.Decode(req.URL.Query(), req.Header.Get("Content-Type"), req.Body, ingest.Limits{
		MaxLabels:      r.cfg.MaxLabels,
		MaxLabelLength: r.cfg.MaxLabelLength,
		MaxBodyBytes:   r.cfg.maxBody(),
	})
	if err != nil {
		r.ingestError(ctx, w, fromIngest(err))
		return
	}
	conv, err := newConverter(r.cfg, time.Now())
	if err != nil {
		r.ingestError(ctx, w, err)
		return
	}
	switch in.Format {
	case ingest.FormatJFR:
		err = conv.addJFR(in)
	case ingest.FormatFolded, ingest.FormatLines:
		err = conv.addFolded(in)
	default:
		err = conv.addPprof(in)
	}
	if err != nil {
		r.ingestError(ctx, w, err)
		return
	}
	if err := r.consume(ctx, endpointIngest, conv); err != nil {
		r.ingestError(ctx, w, err)
		return
	}
	r.tel.request(ctx, endpointIngest, true)
	w.WriteHeader(http.StatusOK)
}

// fromIngest maps a decoding error to the receiver's input error.
func fromIngest(err error) error {
	reason := reasonBadRequest
	switch ingest.KindOf(err) {
	case ingest.KindLabels:
		reason = reasonLabels
	case ingest.KindTooLarge:
		reason = reasonTooLarge
	case ingest.KindUnsupported:
		reason = reasonUnsupported
	}
	return &inputError{reason: reason, err: err}
}

func (r *pyroscopeReceiver) ingestError(ctx context.Context, w http.ResponseWriter, err error) {
	reason, status, _ := classify(err)
	r.tel.reject(ctx, endpointIngest, reason)
	r.tel.request(ctx, endpointIngest, false)
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	http.Error(w, err.Error(), status)
}
