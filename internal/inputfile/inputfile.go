// Package inputfile reads the files the CLI analyses and tells their format
// from their content: pprof (gzipped or not), OTLP profiles (protobuf or
// JSON) and OTLP metrics (JSON object, JSON lines, or protobuf).
package inputfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

// Format names a kind of input; Auto detects it from the content.
type Format string

const (
	Auto         Format = ""
	Pprof        Format = "pprof"
	OTLPProfiles Format = "otlp-profiles"
	OTLPMetrics  Format = "otlp-metrics"
)

// Formats lists the values a user may force.
var Formats = []Format{Pprof, OTLPProfiles, OTLPMetrics}

// ParseFormat accepts "", "auto" or one of Formats.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Auto, "auto":
		return Auto, nil
	case Pprof, OTLPProfiles, OTLPMetrics:
		return f, nil
	}
	return "", fmt.Errorf("unknown input format %q (want pprof, otlp-profiles or otlp-metrics)", s)
}

// Limits bound what one file may cost. Zero fields take the defaults.
type Limits struct {
	MaxFileBytes         int64 // size on disk
	MaxDecompressedBytes int64 // after gunzip
}

const (
	DefaultMaxFileBytes         = 256 << 20
	DefaultMaxDecompressedBytes = 512 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxDecompressedBytes <= 0 {
		l.MaxDecompressedBytes = DefaultMaxDecompressedBytes
	}
	return l
}

// File is one decoded input. Exactly one of Profiles and Metrics is set.
type File struct {
	Path   string
	Format Format
	// Profiles holds one message per file, or one per JSON line. pprof files
	// carry no service.name: the engine's DefaultService names them.
	Profiles []pprofile.Profiles
	Metrics  *pmetric.Metrics
}

// Error says which file failed and why, in one line.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string {
	return e.Path + ": " + oneLine(e.Err.Error())
}

func (e *Error) Unwrap() error { return e.Err }

// ErrUnknownFormat is wrapped when auto-detection recognises nothing.
var ErrUnknownFormat = errors.New("not a pprof, OTLP profiles or OTLP metrics file")

// Read reads path (capped) and decodes it as force, or as detected.
func Read(path string, force Format, lim Limits) (*File, error) {
	return ReadKeeping(path, force, lim, nil)
}

// ReadKeeping is Read writing a pprof file's samples only into the
// profiles keep selects (nil keeps all), for a reader that ignores the
// others; other formats are read whole.
func ReadKeeping(path string, force Format, lim Limits, keep pprofconv.KeepSamples) (*File, error) {
	lim = lim.withDefaults()
	data, err := readCapped(path, lim.MaxFileBytes)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	f, err := decode(data, force, lim, keep)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	f.Path = path
	return f, nil
}

func readCapped(path string, max int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if st.IsDir() {
		return nil, errors.New("is a directory")
	}
	if st.Size() > max {
		return nil, fmt.Errorf("file is %d bytes, over the %d-byte limit", st.Size(), max)
	}
	// The size can change under us (a pipe, a growing file): cap the read
	// too. Reading into a buffer of the stated size spares ReadAll's
	// doublings (22 MB allocated for a 9 MB file).
	data, err := readAll(io.LimitReader(fh, max+1), st.Size()+1)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("file is over the %d-byte limit", max)
	}
	return data, nil
}

// readAll is io.ReadAll starting from a buffer of capacity size.
func readAll(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // longer than stated: let append grow it
		}
	}
}

// Decode detects (or forces) the format of data and decodes it.
func Decode(data []byte, force Format, lim Limits) (*File, error) {
	return decode(data, force, lim, nil)
}

func decode(data []byte, force Format, lim Limits, keep pprofconv.KeepSamples) (*File, error) {
	lim = lim.withDefaults()
	if len(data) == 0 {
		return nil, errors.New("empty file")
	}
	raw, err := pprofconv.Decompress(data, lim.MaxDecompressedBytes)
	if err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, errors.New("empty after decompression")
	}
	switch force {
	case Pprof:
		return decodePprof(raw, keep)
	case OTLPProfiles:
		return decodeProfiles(raw)
	case OTLPMetrics:
		return decodeMetrics(raw)
	case Auto:
	default:
		return nil, fmt.Errorf("unknown input format %q", force)
	}
	if looksJSON(raw) {
		kind, err := jsonKind(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, err)
		}
		switch kind {
		case OTLPProfiles:
			return decodeProfiles(raw)
		case OTLPMetrics:
			return decodeMetrics(raw)
		}
		return nil, fmt.Errorf("%w: JSON without resourceProfiles or resourceMetrics", ErrUnknownFormat)
	}
	// Binary: pprof's decoder is the strictest, so it goes first; OTLP
	// protobuf decoders skip unknown fields and must prove they found data.
	f, perr := decodePprof(raw, keep)
	if perr == nil {
		return f, nil
	}
	if errors.Is(perr, pprofconv.ErrLegacyFormat) {
		return nil, perr
	}
	if f, err := decodeProfilesProto(raw); err == nil && profileCount(f.Profiles) > 0 {
		return f, nil
	}
	if f, err := decodeMetricsProto(raw); err == nil && f.Metrics.DataPointCount() > 0 {
		return f, nil
	}
	return nil, fmt.Errorf("%w: %v", ErrUnknownFormat, perr)
}

// decodePprof uses pprofconv's direct decoder, which also names legacy
// (pre-protobuf) pprof as such.
func decodePprof(raw []byte, keep pprofconv.KeepSamples) (*File, error) {
	pd, err := pprofconv.FromPprofBytesKeeping(raw, int64(len(raw)), nil, keep)
	if err != nil {
		return nil, err
	}
	return &File{Format: Pprof, Profiles: []pprofile.Profiles{pd}}, nil
}

func decodeProfiles(raw []byte) (*File, error) {
	if looksJSON(raw) {
		return decodeJSONValues(raw, func(b []byte, base int64, f *File) error {
			pd, err := (&pprofile.JSONUnmarshaler{}).UnmarshalProfiles(b)
			if err != nil {
				return fmt.Errorf("OTLP profiles JSON: %w", cleanJSONError(err, b, base))
			}
			f.Profiles = append(f.Profiles, pd)
			return nil
		}, OTLPProfiles)
	}
	return decodeProfilesProto(raw)
}

func decodeProfilesProto(raw []byte) (f *File, err error) {
	defer recoverTo(&err)
	pd, err := (&pprofile.ProtoUnmarshaler{}).UnmarshalProfiles(raw)
	if err != nil {
		return nil, fmt.Errorf("OTLP profiles protobuf: %w", err)
	}
	return &File{Format: OTLPProfiles, Profiles: []pprofile.Profiles{pd}}, nil
}

func decodeMetrics(raw []byte) (*File, error) {
	if looksJSON(raw) {
		all := pmetric.NewMetrics()
		f, err := decodeJSONValues(raw, func(b []byte, base int64, _ *File) error {
			md, err := (&pmetric.JSONUnmarshaler{}).UnmarshalMetrics(b)
			if err != nil {
				return fmt.Errorf("OTLP metrics JSON: %w", cleanJSONError(err, b, base))
			}
			md.ResourceMetrics().MoveAndAppendTo(all.ResourceMetrics())
			return nil
		}, OTLPMetrics)
		if err != nil {
			return nil, err
		}
		f.Metrics = &all
		return f, nil
	}
	return decodeMetricsProto(raw)
}

func decodeMetricsProto(raw []byte) (f *File, err error) {
	defer recoverTo(&err)
	md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(raw)
	if err != nil {
		return nil, fmt.Errorf("OTLP metrics protobuf: %w", err)
	}
	return &File{Format: OTLPMetrics, Metrics: &md}, nil
}

// decodeJSONValues splits a stream of JSON values (one object, a
// pretty-printed object, or JSON lines as the file exporter writes) and
// hands each to add with its offset in raw.
func decodeJSONValues(raw []byte, add func(value []byte, base int64, f *File) error, format Format) (*File, error) {
	f := &File{Format: format}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for n := 1; ; n++ {
		var v json.RawMessage
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("JSON value %d: %w", n, err)
		}
		// RawMessage keeps the value's bytes as they are, so it ends here.
		base := dec.InputOffset() - int64(len(v))
		if err := add(v, base, f); err != nil {
			if n > 1 {
				return nil, fmt.Errorf("JSON value %d: %w", n, err)
			}
			return nil, err
		}
	}
	return f, nil
}

// jsonKind reads the top-level keys of the first JSON value.
func jsonKind(raw []byte) (Format, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return "", fmt.Errorf("JSON: %v", err)
	}
	for k := range top {
		switch k {
		case "resourceProfiles", "resource_profiles", "dictionary":
			return OTLPProfiles, nil
		case "resourceMetrics", "resource_metrics":
			return OTLPMetrics, nil
		}
	}
	return Auto, nil
}

func looksJSON(raw []byte) bool {
	t := bytes.TrimLeft(raw, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{'
}

func profileCount(pds []pprofile.Profiles) int {
	n := 0
	for _, pd := range pds {
		n += pd.ProfileCount()
	}
	return n
}

// recoverTo turns a decoder panic on hostile bytes into an error.
func recoverTo(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("malformed protobuf: %v", r)
	}
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}
