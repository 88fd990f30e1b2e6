package pyroscope

import (
	"context"
	"errors"
	"net/http"
	"time"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Push implements push.v1.PusherService/Push, what Alloy's pyroscope.write
// and Pyroscope SDKs with a push client send: series of labels, each with
// raw (usually gzipped) pprof profiles.
func (r *pyroscopeReceiver) Push(ctx context.Context, req *connect.Request[pushv1.PushRequest]) (*connect.Response[pushv1.PushResponse], error) {
	conv, err := newConverter(r.cfg, time.Now())
	if err != nil {
		return nil, r.pushError(ctx, err)
	}
	for _, series := range req.Msg.GetSeries() {
		labels := make(map[string]string, len(series.GetLabels()))
		for _, lp := range series.GetLabels() {
			if _, dup := labels[lp.GetName()]; dup {
				return nil, r.pushError(ctx, badInput(reasonLabels, "duplicate label %.64q", lp.GetName()))
			}
			labels[lp.GetName()] = lp.GetValue()
		}
		if err := conv.checkLabels(labels, len(series.GetLabels())); err != nil {
			return nil, r.pushError(ctx, err)
		}
		for _, s := range series.GetSamples() {
			data, err := conv.decode(s.GetRawProfile())
			if err != nil {
				return nil, r.pushError(ctx, err)
			}
			a, err := conv.add(data, labels, labels[labelServiceName], timing{})
			if err != nil {
				return nil, r.pushError(ctx, err)
			}
			if err := conv.setName(a, labels[labelName]); err != nil {
				return nil, r.pushError(ctx, err)
			}
		}
	}
	if err := r.consume(ctx, endpointPush, conv); err != nil {
		return nil, r.pushError(ctx, err)
	}
	markCounted(ctx)
	r.tel.request(ctx, endpointPush, true)
	return connect.NewResponse(&pushv1.PushResponse{}), nil
}

// consume hands a request's profiles to the next consumer, all or nothing.
func (r *pyroscopeReceiver) consume(ctx context.Context, endpoint string, conv *converter) error {
	if conv.profiles == 0 {
		return nil // an empty push is valid and carries nothing
	}
	samples := conv.pd.SampleCount()
	ctx = r.obs.StartProfilesOp(ctx)
	err := r.next.ConsumeProfiles(ctx, conv.pd)
	r.obs.EndProfilesOp(ctx, "pyroscope", samples, err)
	if err != nil {
		return &consumeError{err: err}
	}
	r.tel.accepted(ctx, endpoint, conv.profiles, conv.rawBytes)
	return nil
}

// consumeError is a refusal by the next consumer.
type consumeError struct{ err error }

func (e *consumeError) Error() string { return e.err.Error() }
func (e *consumeError) Unwrap() error { return e.err }

// classify maps an error to a telemetry reason, an HTTP status and a Connect
// code: bad input is a 4xx; backpressure is retryable (503, or 429 when the
// consumer said the resource is exhausted); a permanent consumer error is 400.
func classify(err error) (reason string, httpStatus int, code connect.Code) {
	var in *inputError
	if errors.As(err, &in) {
		switch in.reason {
		case reasonTooLarge:
			return in.reason, http.StatusRequestEntityTooLarge, connect.CodeInvalidArgument
		case reasonUnsupported:
			return in.reason, http.StatusUnsupportedMediaType, connect.CodeInvalidArgument
		case reasonMethod:
			return in.reason, http.StatusMethodNotAllowed, connect.CodeUnimplemented
		}
		return in.reason, http.StatusBadRequest, connect.CodeInvalidArgument
	}
	var ce *consumeError
	if errors.As(err, &ce) {
		if consumererror.IsPermanent(err) {
			return reasonConsumerError, http.StatusBadRequest, connect.CodeInvalidArgument
		}
		if st, ok := status.FromError(ce.err); ok && st.Code() == codes.ResourceExhausted {
			return reasonConsumerError, http.StatusTooManyRequests, connect.CodeResourceExhausted
		}
		return reasonConsumerError, http.StatusServiceUnavailable, connect.CodeUnavailable
	}
	return "internal", http.StatusInternalServerError, connect.CodeInternal
}

func (r *pyroscopeReceiver) pushError(ctx context.Context, err error) error {
	reason, _, code := classify(err)
	markCounted(ctx)
	r.tel.reject(ctx, endpointPush, reason)
	r.tel.request(ctx, endpointPush, false)
	return connect.NewError(code, err)
}
