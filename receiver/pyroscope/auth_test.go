package pyroscope

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/metadata"
)

// tokenAuth is a stand-in auth extension: a bearer token, nothing else.
type tokenAuth struct{ token string }

func (tokenAuth) Start(context.Context, component.Host) error { return nil }
func (tokenAuth) Shutdown(context.Context) error              { return nil }
func (a tokenAuth) Authenticate(ctx context.Context, headers map[string][]string) (context.Context, error) {
	for _, v := range headers["Authorization"] {
		if v == "Bearer "+a.token {
			return ctx, nil
		}
	}
	return ctx, errors.New("missing or wrong bearer token")
}

type extensionsHost struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h extensionsHost) GetExtensions() map[component.ID]component.Component { return h.ext }

// TestAuthExtension: confighttp's auth setting guards both endpoints, as it
// does in every collector receiver; what pyroscope.write's bearer_token sends passes.
func TestAuthExtension(t *testing.T) {
	authID := component.MustNewID("tokenauth")
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	sink := new(consumertest.ProfilesSink)
	r, err := newReceiver(cfg, receivertest.NewNopSettings(metadata.Type), sink)
	require.NoError(t, err)
	host := extensionsHost{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{authID: tokenAuth{token: "s3cret"}}}
	require.NoError(t, r.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	base := "http://" + r.addr
	cpu := fixture(t, "regex-a/cpu.pb.gz")

	tests := []struct {
		name  string
		token string
		code  connect.Code // 0: success
	}{
		{name: "no token", code: connect.CodeUnauthenticated},
		{name: "wrong token", token: "guess", code: connect.CodeUnauthenticated},
		{name: "right token", token: "s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := connect.NewRequest(&pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{series(cpu, "service_name", "a")}})
			if tt.token != "" {
				req.Header().Set("Authorization", "Bearer "+tt.token)
			}
			_, err := pushv1connect.NewPusherServiceClient(http.DefaultClient, base).Push(context.Background(), req)
			if tt.code == 0 {
				require.NoError(t, err)
				return
			}
			assert.Equal(t, tt.code, connect.CodeOf(err), "error: %v", err)
		})
	}
	assert.Len(t, sink.AllProfiles(), 1, "only the authenticated push arrives")

	resp, err := http.Post(ingestURL(base, "a"), "application/octet-stream", nil)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "/ingest is guarded too")
}
