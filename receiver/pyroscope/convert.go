package pyroscope

import (
	"errors"
	"fmt"
	"iter"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
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

// decode decompresses one raw profile within the remaining budget and
// charges the decompressed bytes to it.
func (c *converter) decode(raw []byte) ([]byte, error) {
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
	return data, nil
}

// added is the span of ResourceProfiles that one add appended.
type added struct{ from, to int }

// add decodes one decompressed pprof (data, from decode) straight into the
// request's message under labels (the series' label set); svc becomes
// service.name when not empty. The request's timing fills in the time and
// duration the pprof lacks.
func (c *converter) add(data []byte, labels map[string]string, svc string, t timing) (added, error) {
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
	a := added{from: rps.Len()}
	// data is already decompressed and charged: a cap of its own size lets
	// nothing more through (a second gzip layer must fit in it, as before).
	if err := c.builder.AppendBytes(data, int64(len(data)), resource); err != nil {
		return added{}, badInput(reasonBadProfile, "raw profile: %v", err)
	}
	a.to = rps.Len()
	c.profiles++

	// What the pprof does not say: its time is from, else the arrival
	// (Pyroscope stamps undated profiles with their arrival; so do we, or
	// the engine would file them under 1970); its duration until-from.
	start := c.now.UnixNano()
	if !t.from.IsZero() {
		start = t.from.UnixNano()
	}
	var dur int64
	if !t.from.IsZero() && t.until.After(t.from) {
		dur = t.until.Sub(t.from).Nanoseconds()
	}
	for op := range c.profilesOf(a) {
		if op.Time() == 0 {
			op.SetTime(pcommon.Timestamp(uint64(max(start, 0))))
		}
		if op.DurationNano() == 0 && dur > 0 {
			op.SetDurationNano(uint64(dur))
		}
	}
	return a, nil
}

// profilesOf yields the OTLP profiles of the ResourceProfiles in a.
func (c *converter) profilesOf(a added) iter.Seq[pprofile.Profile] {
	return func(yield func(pprofile.Profile) bool) {
		rps := c.pd.ResourceProfiles()
		for i := a.from; i < a.to; i++ {
			for _, sp := range rps.At(i).ScopeProfiles().All() {
				for _, op := range sp.Profiles().All() {
					if !yield(op) {
						return
					}
				}
			}
		}
	}
}

// sampleTypes lists the sample type names of the profiles in a, in order.
func (c *converter) sampleTypes(a added) []string {
	strs := c.pd.Dictionary().StringTable()
	var out []string
	for op := range c.profilesOf(a) {
		if i := int(op.SampleType().TypeStrindex()); i >= 0 && i < strs.Len() {
			out = append(out, strs.At(i))
		}
	}
	return out
}

// setName marks each profile in a with its Pyroscope profile name
// (nothing when name is empty).
func (c *converter) setName(a added, name string) error {
	if name == "" {
		return nil
	}
	idx, err := c.nameAttr(name)
	if err != nil {
		return err
	}
	for op := range c.profilesOf(a) {
		op.AttributeIndices().Append(idx)
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
