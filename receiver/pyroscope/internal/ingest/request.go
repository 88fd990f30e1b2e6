package ingest

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	fieldProfile          = "profile"
	fieldSampleTypeConfig = "sample_type_config"
	// pyroscope-java's multipart upload: the recording and its label
	// contexts (io/pyroscope/javaagent/impl/PyroscopeExporter.java in
	// grafana/pyroscope-java; read the same way by Pyroscope's
	// pkg/og/convert/jfr/profile.go).
	fieldJFR    = "jfr"
	fieldLabels = "labels"

	maxSampleTypeConfig = 64 << 10 // a few sample types of JSON
	maxParts            = 16       // the SDK sends at most three
)

// SampleType is one entry of `sample_type_config` (the SDK's JSON spelling).
type SampleType struct {
	Units       string `json:"units,omitempty"`
	Aggregation string `json:"aggregation,omitempty"`
	DisplayName string `json:"display-name,omitempty"`
	Sampled     bool   `json:"sampled,omitempty"`
	Cumulative  bool   `json:"cumulative,omitempty"`
}

// Body formats (the `format` query).
const (
	FormatPprof  = "pprof"
	FormatJFR    = "jfr"
	FormatFolded = "folded" // `stack count` lines; Pyroscope calls it "groups"
	FormatLines  = "lines"  // one stack per line
)

// Request is a decoded /ingest call.
type Request struct {
	Name        Name
	Format      string    // one of the Format constants
	From, Until time.Time // zero when absent
	SpyName     string
	SampleRate  int64 // 0 when absent
	Units       string
	Aggregation string
	Profile     []byte // the profile as sent: pprof, JFR or text, gzipped or plain
	Labels      []byte // JFR label contexts (LabelsSnapshot protobuf), gzipped or plain
	SampleTypes map[string]SampleType
}

// Decode reads an /ingest request: query and body. contentType is the
// request's Content-Type header; body is read at most lim.MaxBodyBytes.
func Decode(query url.Values, contentType string, body io.Reader, lim Limits) (*Request, error) {
	name, err := ParseName(query.Get("name"), lim)
	if err != nil {
		return nil, err
	}
	req := &Request{Name: name, SpyName: query.Get("spyName"), Units: query.Get("units"),
		Aggregation: query.Get("aggregationType")}
	switch f := query.Get("format"); f {
	case "", FormatPprof:
		req.Format = FormatPprof
	case FormatJFR, FormatLines:
		req.Format = f
	case FormatFolded, "groups":
		req.Format = FormatFolded
	default:
		return nil, errorf(KindUnsupported, "format %.32q is not supported (pprof, jfr, folded, lines)", f)
	}
	if req.From, err = ParseTime(query.Get("from")); err != nil {
		return nil, errorf(KindBadRequest, "from: %v", err)
	}
	if req.Until, err = ParseTime(query.Get("until")); err != nil {
		return nil, errorf(KindBadRequest, "until: %v", err)
	}
	if !req.From.IsZero() && !req.Until.IsZero() && req.Until.Before(req.From) {
		return nil, errorf(KindBadRequest, "until is before from")
	}
	if v := query.Get("sampleRate"); v != "" {
		if req.SampleRate, err = strconv.ParseInt(v, 10, 64); err != nil || req.SampleRate < 0 {
			return nil, errorf(KindBadRequest, "sampleRate %.32q is not a non-negative integer", v)
		}
	}

	mediaType, params, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mediaType, err = "application/octet-stream", nil
	}
	if err != nil {
		return nil, errorf(KindUnsupported, "content type %.64q: %v", contentType, err)
	}
	switch {
	case req.Format == FormatFolded || req.Format == FormatLines,
		req.Format == FormatJFR && mediaType != "multipart/form-data":
		// Pyroscope reads these bodies whatever their content type says.
		if req.Profile, err = readCapped(body, lim.MaxBodyBytes); err != nil {
			return nil, err
		}
	case mediaType == "multipart/form-data":
		if err := req.readMultipart(body, params["boundary"], lim); err != nil {
			return nil, err
		}
	case mediaType == "application/octet-stream", mediaType == "binary/octet-stream+pprof",
		mediaType == "application/x-protobuf", mediaType == "application/vnd.google.protobuf":
		if req.Profile, err = readCapped(body, lim.MaxBodyBytes); err != nil {
			return nil, err
		}
	default:
		return nil, errorf(KindUnsupported, "content type %.64q is not supported (multipart/form-data or a pprof body)", mediaType)
	}
	if len(req.Profile) == 0 {
		return nil, errorf(KindBadRequest, "no profile in the request")
	}
	return req, nil
}

func (req *Request) readMultipart(body io.Reader, boundary string, lim Limits) error {
	if boundary == "" {
		return errorf(KindBadRequest, "multipart body without a boundary")
	}
	mr := multipart.NewReader(body, boundary)
	budget := lim.MaxBodyBytes
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return bodyError(err)
		}
		if i >= maxParts {
			return errorf(KindBadRequest, "more than %d multipart fields", maxParts)
		}
		field := part.FormName()
		switch {
		case field == fieldProfile && req.Format == FormatPprof, field == fieldJFR && req.Format == FormatJFR:
			if req.Profile != nil {
				return errorf(KindBadRequest, "field %q given twice", field)
			}
			if req.Profile, err = readCapped(part, budget); err != nil {
				return err
			}
			budget -= int64(len(req.Profile))
		case field == fieldLabels && req.Format == FormatJFR:
			if req.Labels != nil {
				return errorf(KindBadRequest, "field %q given twice", field)
			}
			if req.Labels, err = readCapped(part, budget); err != nil {
				return err
			}
			budget -= int64(len(req.Labels))
		case field == fieldSampleTypeConfig:
			b, err := readCapped(part, min(budget, maxSampleTypeConfig))
			if err != nil {
				return err
			}
			budget -= int64(len(b))
			if err := json.Unmarshal(b, &req.SampleTypes); err != nil {
				return errorf(KindBadRequest, "sample_type_config: %v", err)
			}
		default:
			// prev_profile (cumulative agents) and unknown fields are read and dropped, within the budget.
			n, err := io.Copy(io.Discard, io.LimitReader(part, budget+1))
			if err != nil {
				return bodyError(err)
			}
			if n > budget {
				return errorf(KindTooLarge, "body larger than %d bytes", lim.MaxBodyBytes)
			}
			budget -= n
		}
	}
}

// readCapped reads r whole, failing with KindTooLarge past max bytes.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if int64(len(b)) > max {
		return nil, errorf(KindTooLarge, "body larger than %d bytes", max)
	}
	return b, nil
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(KindTooLarge, "body larger than %d bytes", mbe.Limit)
	}
	return errorf(KindBadRequest, "body: %v", err)
}

// ParseTime reads a from/until value: Unix nanoseconds (pyroscope-go v1.5),
// or seconds, milliseconds or microseconds when the number is too small to be
// nanoseconds of this era (older agents send seconds).
func ParseTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, errors.New("not a non-negative integer timestamp")
	}
	switch {
	case n < 1e11: // seconds until the year 5138
		return time.Unix(n, 0), nil
	case n < 1e14:
		return time.UnixMilli(n), nil
	case n < 1e17:
		return time.UnixMicro(n), nil
	}
	return time.Unix(0, n), nil
}
