package inputfile

import (
	"bytes"
	"encoding/binary"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func legacyText(t *testing.T, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, pprof.Lookup(name).WriteTo(&b, 1))
	return b.Bytes()
}

func legacyCPU() []byte {
	var b bytes.Buffer
	for _, w := range []uint64{0, 3, 0, 10000, 0, 1, 2, 0x401000, 0x402000, 0, 1, 0} {
		_ = binary.Write(&b, binary.LittleEndian, w)
	}
	return b.Bytes()
}

func TestLegacyPprofError(t *testing.T) {
	const want = "legacy pprof format: convert it with `go tool pprof -proto`"
	tests := []struct {
		name  string
		data  []byte
		force Format
	}{
		{"heap text", legacyText(t, "heap"), Auto},
		{"heap text forced as pprof", legacyText(t, "heap"), Pprof},
		{"gzipped heap text", gz(t, legacyText(t, "heap")), Auto},
		{"goroutine counts", legacyText(t, "goroutine"), Auto},
		{"mutex contention", legacyText(t, "mutex"), Auto},
		{"contention text", []byte("--- contention ---\ncycles/second=3000000000\n10 20 @ 0x401000 0x402000\n"), Auto},
		{"binary legacy CPU", legacyCPU(), Auto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, "legacy.prof", tt.data)
			_, err := Read(path, tt.force, Limits{})
			require.Error(t, err)
			assert.Equal(t, path+": "+want, err.Error())
		})
	}
}

func TestJSONTypeErrorIsOneCleanLine(t *testing.T) {
	const gauge = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"x","gauge":{"dataPoints":[%s]}}]}]}]}`
	point := func(p string) []byte { return []byte(strings.Replace(gauge, "%s", p, 1)) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"timestamp is an object", point(`{"timeUnixNano": {}, "asDouble": 1}`),
			"OTLP metrics JSON: field resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano (byte 101): want an unsigned integer (a number or a decimal string)"},
		{"double is not a number", point(`{"asDouble": "abc"}`),
			"OTLP metrics JSON: field resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].asDouble"},
		{"int attribute is an array", []byte(`{"resourceMetrics":[{"resource":{"attributes":[{"key":"a","value":{"intValue":[]}}]}}]}`),
			"OTLP metrics JSON: field resourceMetrics[0].resource.attributes[0].value.intValue"},
		{"second JSON line", append([]byte("{\"resourceMetrics\":[]}\n"), point(`{"timeUnixNano": {}}`)...),
			"JSON value 2: OTLP metrics JSON: field resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano (byte 124)"},
		{"profile time is an object", []byte(`{"resourceProfiles":[{"scopeProfiles":[{"profiles":[{"timeUnixNano": {}}]}]}]}`),
			"OTLP profiles JSON: field resourceProfiles[0].scopeProfiles[0].profiles[0].timeUnixNano (byte 69): want an unsigned integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, "in.json", tt.data)
			_, err := Read(path, Auto, Limits{})
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, tt.want)
			assert.NotContains(t, msg, "bigger context")
			assert.NotContains(t, msg, "error found in")
			assert.NotContains(t, msg, "\n")
		})
	}
}
