package catalog

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pattern matches one normalised frame: Name against the function name,
// File (optional) against its file. Either may be empty (matches anything),
// not both. Set references a named pattern list instead ("@go_stdlib").
// In YAML and config a plain string is the Name regexp, or "@set".
type Pattern struct {
	Name string `mapstructure:"name" yaml:"name,omitempty" json:"name,omitempty"`
	File string `mapstructure:"file" yaml:"file,omitempty" json:"file,omitempty"`
	Set  string `mapstructure:"set" yaml:"set,omitempty" json:"set,omitempty"`

	// name, file: shared compiled matchers (matcher.go), nil until compiled.
	name, file *matcher
}

// UnmarshalText lets config decoders (mapstructure's text hook) take a string.
func (p *Pattern) UnmarshalText(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, "@") {
		*p = Pattern{Set: s[1:]}
	} else {
		*p = Pattern{Name: s}
	}
	return nil
}

// UnmarshalYAML accepts a string or a {name, file, set} mapping.
func (p *Pattern) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return p.UnmarshalText([]byte(n.Value))
	}
	type plain Pattern
	var v plain
	if err := n.Decode(&v); err != nil {
		return err
	}
	*p = Pattern(v)
	return nil
}

// UnmarshalJSON accepts a string or an object.
func (p *Pattern) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return p.UnmarshalText([]byte(s))
	}
	type plain Pattern
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Pattern(v)
	return nil
}

// String shows the pattern as written.
func (p Pattern) String() string {
	switch {
	case p.Set != "":
		return "@" + p.Set
	case p.File == "":
		return p.Name
	default:
		return fmt.Sprintf("{name: %q, file: %q}", p.Name, p.File)
	}
}

// compile prepares the regexps; called by validation.
func (p *Pattern) compile() error {
	if p.Set != "" {
		if p.Name != "" || p.File != "" {
			return fmt.Errorf("%s: a set reference takes no name or file", p)
		}
		return nil
	}
	if p.Name == "" && p.File == "" {
		return fmt.Errorf("empty pattern (needs name or file)")
	}
	var err error
	if p.Name != "" {
		if p.name, err = sharedMatcher(p.Name); err != nil {
			return fmt.Errorf("name %q: %w", p.Name, err)
		}
	}
	if p.File != "" {
		if p.file, err = sharedMatcher(p.File); err != nil {
			return fmt.Errorf("file %q: %w", p.File, err)
		}
	}
	return nil
}

// Match reports whether a normalised frame matches. A pattern that was not
// compiled (not from a validated catalog) compiles lazily.
func (p *Pattern) Match(name, file string) bool {
	if p.name == nil && p.file == nil {
		if p.Set != "" || p.compile() != nil {
			return false
		}
	}
	if p.name != nil && !p.name.match(name) {
		return false
	}
	if p.file != nil && !p.file.match(file) {
		return false
	}
	return true
}
