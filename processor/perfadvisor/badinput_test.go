package perfadvisor

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pprofile"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// droppedByReason reads the advice_dropped counter per reason.
func droppedByReason(t *testing.T, tel *componenttest.Telemetry) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := tel.GetMetric("otelcol_processor_perfadvisor_advice_dropped")
	if err != nil {
		return out // nothing recorded yet
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	for _, dp := range sum.DataPoints {
		r, _ := dp.Attributes.Value(attribute.Key("reason"))
		out[r.AsString()] += dp.Value
	}
	return out
}

func counter(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

// skipAnalysis: only pass-through and no panic are asserted.
const skipAnalysis = "skip"

// Bad input gets a counted drop of the advice; the data itself is handed on
// exactly as it came, and nothing panics.
func TestBadInputPassesThroughWithCountedDrop(t *testing.T) {
	good := func() pprofile.Profiles {
		return buildProfiles(profileSpec{service: "search", at: t0, regex: 30, work: 70})
	}
	firstProfile := func(pd pprofile.Profiles) pprofile.Profile {
		return pd.ResourceProfiles().At(0).ScopeProfiles().At(0).Profiles().At(0)
	}
	tests := []struct {
		name       string
		build      func() pprofile.Profiles
		wantReason string // "" when the input is valid and must simply be analysed
	}{
		{"stack index past the stack table", func() pprofile.Profiles {
			pd := good()
			firstProfile(pd).Samples().At(0).SetStackIndex(9999)
			return pd
		}, reasonInvalidProfile},
		{"negative stack index", func() pprofile.Profiles {
			pd := good()
			firstProfile(pd).Samples().At(0).SetStackIndex(-3)
			return pd
		}, reasonInvalidProfile},
		{"location index past the location table", func() pprofile.Profiles {
			pd := good()
			pd.Dictionary().StackTable().At(1).LocationIndices().SetAt(0, 1<<30)
			return pd
		}, reasonInvalidProfile},
		{"function index past the function table", func() pprofile.Profiles {
			pd := good()
			pd.Dictionary().LocationTable().At(1).Lines().At(0).SetFunctionIndex(77777)
			return pd
		}, reasonInvalidProfile},
		{"function name past the string table", func() pprofile.Profiles {
			pd := good()
			pd.Dictionary().FunctionTable().At(1).SetNameStrindex(1 << 20)
			return pd
		}, reasonInvalidProfile},
		{"sample type past the string table", func() pprofile.Profiles {
			pd := good()
			firstProfile(pd).SampleType().SetTypeStrindex(-1)
			return pd
		}, skipAnalysis}, // the engine reads an unknown type as not CPU
		{"huge stack (20000 frames)", func() pprofile.Profiles {
			pd := good()
			st := pd.Dictionary().StackTable().At(1).LocationIndices()
			for range 20000 {
				st.Append(1)
			}
			return pd
		}, ""},
		{"label flood (5000 distinct attributes on one sample)", func() pprofile.Profiles {
			pd := good()
			d := pd.Dictionary()
			s := firstProfile(pd).Samples().At(0)
			for i := range 5000 {
				a := d.AttributeTable().AppendEmpty()
				a.SetKeyStrindex(0)
				a.Value().SetStr(fmt.Sprintf("v%d", i))
				s.AttributeIndices().Append(int32(d.AttributeTable().Len() - 1))
			}
			return pd
		}, ""},
		{"more services than limits.max_services", func() pprofile.Profiles {
			var specs []profileSpec
			for i := range 50 {
				specs = append(specs, profileSpec{service: fmt.Sprintf("svc-%02d", i), at: t0, work: 2})
			}
			return buildProfiles(specs...)
		}, reasonMaxServices},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
			set := nopSettings()
			set.TelemetrySettings = tel.NewTelemetrySettings()
			cfg := testConfig()
			cfg.Limits.MaxServices = 10
			h := newHarness(t, cfg, set)

			in := tt.build()
			want := pprofile.NewProfiles()
			in.CopyTo(want)
			require.NotPanics(t, func() {
				require.NoError(t, h.profiles.ConsumeProfiles(context.Background(), in))
			})
			require.Len(t, h.pSink.AllProfiles(), 1)
			// pprofiletest cannot read invalid indices; compare the wire bytes of copies.
			assert.Equal(t, wireBytes(t, want), wireBytes(t, h.pSink.AllProfiles()[0]), "data must leave as it came")

			drops := droppedByReason(t, tel)
			if tt.wantReason == skipAnalysis {
				return
			}
			if tt.wantReason == "" {
				assert.Empty(t, drops)
				assert.Equal(t, int64(1), counter(t, tel, "otelcol_processor_perfadvisor_profiles_analyzed"))
				return
			}
			assert.Positive(t, drops[tt.wantReason], "advice_dropped{reason=%s}", tt.wantReason)
		})
	}
}

// wireBytes marshals a copy: the marshaler interns attributes into its input.
func wireBytes(t *testing.T, pd pprofile.Profiles) []byte {
	t.Helper()
	c := pprofile.NewProfiles()
	pd.CopyTo(c)
	b, err := (&pprofile.ProtoMarshaler{}).MarshalProfiles(c)
	require.NoError(t, err)
	return b
}
