package pyroscope

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/pprof/profile"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/pprofconv"
)

const (
	labelName        = "__name__"
	labelServiceName = "service_name"
	attrServiceName  = "service.name"
)

// inputError is bad input from the client: a 4xx, never retried.
type inputError struct {
	reason string // a telemetry reason
	err    error
}

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

func badInput(reason string, format string, args ...any) error {
	return &inputError{reason: reason, err: fmt.Errorf(format, args...)}
}

// timing is what a request says about a profile's time span when the pprof
// itself may not (legacy /ingest from/until); zero values mean unknown.
type timing struct {
	from, until time.Time
}

// converter turns the raw profiles of one request into one OTLP message,
// charging every decompressed byte to the request's budget.
type converter struct {
	limits   *Config
	budget   int64
	now      time.Time
	pd       pprofile.Profiles
	builder  *pprofconv.Builder
	profiles int   // raw profiles converted
	rawBytes int64 // raw profile bytes as received

	nameAttrs map[string]int32
}

func newConverter(cfg *Config, now time.Time) (*converter, error) {
	pd := pprofile.NewProfiles()
	b, err := pprofconv.NewBuilder(pd)
	if err != nil {
		return nil, err
	}
	return &converter{limits: cfg, budget: cfg.MaxDecompressedSize, now: now, pd: pd, builder: b,
		nameAttrs: map[string]int32{}}, nil
}

// decode decompresses (within the remaining budget) and parses one raw profile.
func (c *converter) decode(raw []byte) (*profile.Profile, error) {
	if len(raw) == 0 {
		return nil, badInput(reasonBadProfile, "empty raw profile")
	}
	c.rawBytes += int64(len(raw))
	if c.budget <= 0 {
		return nil, badInput(reasonTooLarge, "request expands past max_decompressed_size (%d bytes)", c.limits.MaxDecompressedSize)
	}
	data, err := pprofconv.Decompress(raw, c.budget)
	if err != nil {
		if errors.Is(err, pprofconv.ErrTooLarge) {
			return nil, badInput(reasonTooLarge, "raw profile expands past max_decompressed_size (%d bytes)", c.limits.MaxDecompressedSize)
		}
		return nil, badInput(reasonBadProfile, "raw profile: %v", err)
	}
	if int64(len(data)) > c.budget {
		return nil, badInput(reasonTooLarge, "request expands past max_decompressed_size (%d bytes)", c.limits.MaxDecompressedSize)
	}
	c.budget -= int64(len(data))
	p, err := pprofconv.Parse(data, int64(len(data)))
	if err != nil {
		return nil, badInput(reasonBadProfile, "raw profile: %v", err)
	}
	return p, nil
}

// add appends one parsed profile under labels (the series' label set) and
// marks each resulting OTLP profile with its Pyroscope profile name.
// svc becomes service.name when not empty.
func (c *converter) add(p *profile.Profile, labels map[string]string, svc, name string, t timing) error {
	switch {
	case p.TimeNanos > 0:
	case !t.from.IsZero():
		p.TimeNanos = t.from.UnixNano()
	default:
		// Pyroscope stamps undated profiles with their arrival; so do we, or the engine would file them under 1970.
		p.TimeNanos = c.now.UnixNano()
	}
	if p.DurationNanos <= 0 && !t.from.IsZero() && t.until.After(t.from) {
		p.DurationNanos = t.until.Sub(t.from).Nanoseconds()
	}
	resource := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		if k != labelName {
			resource[k] = v
		}
	}
	if svc != "" {
		resource[attrServiceName] = svc
	}
	rps := c.pd.ResourceProfiles()
	before := rps.Len()
	if err := c.builder.Append(p, resource); err != nil {
		return badInput(reasonBadProfile, "raw profile: %v", err)
	}
	c.profiles++
	if name == "" {
		return nil
	}
	idx, err := c.nameAttr(name)
	if err != nil {
		return err
	}
	for i := before; i < rps.Len(); i++ {
		for _, sp := range rps.At(i).ScopeProfiles().All() {
			for _, op := range sp.Profiles().All() {
				op.AttributeIndices().Append(idx)
			}
		}
	}
	return nil
}

// nameAttr interns the profile-name attribute once per request and name
// (the pprofile.Set* helpers scan the tables linearly).
func (c *converter) nameAttr(name string) (int32, error) {
	if idx, ok := c.nameAttrs[name]; ok {
		return idx, nil
	}
	dict := c.pd.Dictionary()
	key, err := pprofile.SetString(dict.StringTable(), pprofconv.ProfileNameAttr)
	if err != nil {
		return 0, err
	}
	attr := pprofile.NewKeyValueAndUnit()
	attr.SetKeyStrindex(key)
	attr.Value().SetStr(name)
	idx, err := pprofile.SetAttribute(dict.AttributeTable(), attr)
	if err != nil {
		return 0, err
	}
	c.nameAttrs[name] = idx
	return idx, nil
}

// checkLabels enforces the label limits on one series' label set.
func (c *converter) checkLabels(labels map[string]string, n int) error {
	if n > c.limits.MaxLabels {
		return badInput(reasonLabels, "%d labels, more than max_labels (%d)", n, c.limits.MaxLabels)
	}
	for k, v := range labels {
		if k == "" {
			return badInput(reasonLabels, "empty label name")
		}
		if len(k) > c.limits.MaxLabelLength || len(v) > c.limits.MaxLabelLength {
			return badInput(reasonLabels, "label %.64q longer than max_label_length (%d)", k, c.limits.MaxLabelLength)
		}
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return badInput(reasonLabels, "label %.64q is not valid UTF-8", k)
		}
	}
	return nil
}
