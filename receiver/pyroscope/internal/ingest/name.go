package ingest

import (
	"strings"
	"unicode/utf8"
)

// Limits bound what one request may carry.
type Limits struct {
	MaxLabels      int
	MaxLabelLength int
	MaxBodyBytes   int64
}

// legacySuffixes are the profile-type suffixes older agents appended to the
// app name (`app.cpu{...}`); Pyroscope strips them from the service name.
var legacySuffixes = map[string]string{
	".cpu":            "process_cpu",
	".itimer":         "process_cpu",
	".wall":           "wall",
	".alloc_objects":  "memory",
	".alloc_space":    "memory",
	".inuse_objects":  "memory",
	".inuse_space":    "memory",
	".goroutines":     "goroutine",
	".mutex_count":    "mutex",
	".mutex_duration": "mutex",
	".block_count":    "block",
	".block_duration": "block",
}

// Name is a parsed `name` query: the application and its labels.
type Name struct {
	App    string
	Labels map[string]string
	// Kind is the profile name implied by a legacy app-name suffix, else "".
	Kind string
}

// ParseName parses `app{k=v,k2=v2}` (the braces are optional). Label values
// may not contain ',' or '}', as in Pyroscope's own key format.
func ParseName(s string, lim Limits) (Name, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Name{}, errorf(KindBadRequest, "missing name")
	}
	if !utf8.ValidString(s) {
		return Name{}, errorf(KindBadRequest, "name is not valid UTF-8")
	}
	app, rest, hasLabels := strings.Cut(s, "{")
	app = strings.TrimSpace(app)
	if app == "" {
		return Name{}, errorf(KindBadRequest, "name %.64q has no application name", s)
	}
	if len(app) > lim.MaxLabelLength {
		return Name{}, errorf(KindLabels, "application name longer than %d", lim.MaxLabelLength)
	}
	n := Name{App: app, Labels: map[string]string{}}
	for suffix, kind := range legacySuffixes {
		if base, ok := strings.CutSuffix(app, suffix); ok && base != "" {
			n.App, n.Kind = base, kind
			break
		}
	}
	if !hasLabels {
		return n, nil
	}
	body, ok := strings.CutSuffix(strings.TrimSpace(rest), "}")
	if !ok || strings.ContainsAny(body, "{}") {
		return Name{}, errorf(KindBadRequest, "name %.64q: unbalanced braces", s)
	}
	if strings.TrimSpace(body) == "" {
		return n, nil
	}
	// Count before splitting so a flood of commas never becomes a huge slice.
	if c := strings.Count(body, ",") + 1; c > lim.MaxLabels {
		return Name{}, errorf(KindLabels, "%d labels, more than %d", c, lim.MaxLabels)
	}
	for pair := range strings.SplitSeq(body, ",") {
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return Name{}, errorf(KindBadRequest, "name %.64q: label %.64q is not key=value", s, pair)
		}
		if !validLabelName(k) {
			return Name{}, errorf(KindBadRequest, "label name %.64q: only letters, digits, '_' and '.'", k)
		}
		if len(k) > lim.MaxLabelLength || len(v) > lim.MaxLabelLength {
			return Name{}, errorf(KindLabels, "label %.64q longer than %d", k, lim.MaxLabelLength)
		}
		if _, dup := n.Labels[k]; dup {
			return Name{}, errorf(KindBadRequest, "duplicate label %.64q", k)
		}
		n.Labels[k] = v
	}
	return n, nil
}

func validLabelName(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.':
		default:
			return false
		}
	}
	return true
}
