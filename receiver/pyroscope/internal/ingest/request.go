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

// Request is a decoded /ingest call.
type Request struct {
	Name        Name
	From, Until time.Time // zero when absent
	SpyName     string
	SampleRate  int64
	Profile     []byte // raw pprof as sent, gzipped or plain
	SampleTypes map[string]SampleType
}

// Decode reads an /ingest request: query and body. contentType is the
// request's Content-Type header; body is read at most lim.MaxBodyBytes.
func Decode(query url.Values, contentType string, body io.Reader, lim Limits) (*Request, error) {
	name, err := ParseName(query.Get("name"), lim)
	if err != nil {
		return nil, err
	}
	req := &Request{Name: name, SpyName: query.Get("spyName")}
	switch f := query.Get("format"); f {
	case "", "pprof":
	default:
		return nil, errorf(KindUnsupported, "format %.32q is not supported (only pprof)", f)
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
		switch field {
		case fieldProfile:
			if req.Profile != nil {
				return errorf(KindBadRequest, "field %q given twice", field)
			}
			if req.Profile, err = readCapped(part, budget); err != nil {
				return err
			}
			budget -= int64(len(req.Profile))
		case fieldSampleTypeConfig:
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
