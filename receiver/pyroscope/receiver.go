package pyroscope

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"

	"connectrpc.com/connect"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer/xconsumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
)

const (
	ingestPath = "/ingest"
	transport  = "http"
)

// pyroscopeReceiver serves the Pyroscope push API (Connect, gRPC, gRPC-Web) and
// the legacy /ingest endpoint on one confighttp server.
type pyroscopeReceiver struct {
	pushv1connect.UnimplementedPusherServiceHandler

	cfg    *Config
	set    receiver.Settings
	next   xconsumer.Profiles
	obs    *receiverhelper.ObsReport
	tel    *telemetry
	logger *zap.Logger

	server *http.Server
	addr   string // the bound address, known after Start (tests listen on port 0)
	wg     sync.WaitGroup
}

func newReceiver(cfg *Config, set receiver.Settings, next xconsumer.Profiles) (*pyroscopeReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              transport,
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	tel, err := newTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &pyroscopeReceiver{cfg: cfg, set: set, next: next, obs: obs, tel: tel, logger: set.Logger}, nil
}

// handler routes the push service and /ingest; everything else is a 404.
func (r *pyroscopeReceiver) handler() http.Handler {
	mux := http.NewServeMux()
	path, push := pushv1connect.NewPusherServiceHandler(r,
		// connect enforces this on the decompressed message too (grpc-encoding, Connect-Content-Encoding).
		connect.WithReadMaxBytes(int(r.cfg.maxBody())),
	)
	mux.Handle(path, r.countConnectRejects(push))
	mux.HandleFunc(ingestPath, r.handleIngest)
	return mux
}

func (r *pyroscopeReceiver) Start(ctx context.Context, host component.Host) error {
	ln, err := r.cfg.ToListener(ctx)
	if err != nil {
		return err
	}
	srv, err := r.cfg.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings, r.handler(),
		confighttp.WithErrorHandler(r.httpError))
	if err != nil {
		_ = ln.Close()
		return err
	}
	// gRPC clients speak HTTP/2 with prior knowledge on the plain port (h2c);
	// HTTP/1.1 stays for the Connect protocol and /ingest.
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	protocols.SetUnencryptedHTTP2(true)
	srv.Protocols = &protocols
	r.server = srv
	r.addr = ln.Addr().String()
	r.logger.Info("Pyroscope receiver listening", zap.String("endpoint", ln.Addr().String()))
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
		}
	}()
	return nil
}

func (r *pyroscopeReceiver) Shutdown(ctx context.Context) error {
	if r.server == nil {
		return nil
	}
	err := r.server.Shutdown(ctx)
	r.wg.Wait()
	return err
}

// httpError answers errors raised by confighttp itself (decompression, auth).
func (r *pyroscopeReceiver) httpError(w http.ResponseWriter, req *http.Request, msg string, status int) {
	reason := reasonBadRequest
	switch status {
	case http.StatusRequestEntityTooLarge:
		reason = reasonTooLarge
	case http.StatusUnauthorized:
		reason = reasonUnauthorized
	}
	ep := endpointIngest
	if req.URL.Path != ingestPath {
		ep = endpointPush
	}
	r.tel.reject(req.Context(), ep, reason)
	r.tel.request(req.Context(), ep, false)
	http.Error(w, msg, status)
}
