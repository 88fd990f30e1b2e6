package main

import (
	"strings"
)

// cmdArgs is a parsed command line. Flags may come before, between or
// after the files (users type `analyze cpu.pb.gz --format json`).
type cmdArgs struct {
	flags map[string]string
	files []string
	// lists holds the files after a list flag (--before, --after).
	lists map[string][]string
}

// parseArgs accepts --name value, --name=value and -name forms. valued
// names take one value; listed names take every following non-flag
// argument; anything else starting with '-' is a usage error.
func parseArgs(args []string, valued, listed []string) (*cmdArgs, error) {
	isValued := map[string]bool{}
	for _, n := range valued {
		isValued[n] = true
	}
	isListed := map[string]bool{}
	for _, n := range listed {
		isListed[n] = true
	}
	out := &cmdArgs{flags: map[string]string{}, lists: map[string][]string{}}
	list := "" // the list flag files currently go to
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, f := range args[i+1:] {
				out.add(list, f)
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out.add(list, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case name == "h" || name == "help":
			return nil, errHelp
		case isListed[name]:
			if hasValue {
				return nil, usagef("--%s takes files after it, not =%s", name, value)
			}
			list = name
			if _, ok := out.lists[name]; !ok {
				out.lists[name] = nil
			}
		case isValued[name]:
			if !hasValue {
				if i+1 >= len(args) {
					return nil, usagef("--%s needs a value", name)
				}
				i++
				value = args[i]
			}
			if _, dup := out.flags[name]; dup {
				return nil, usagef("--%s given twice", name)
			}
			out.flags[name] = value
		default:
			return nil, usagef("unknown flag %s", a)
		}
	}
	return out, nil
}

func (c *cmdArgs) add(list, file string) {
	if list == "" {
		c.files = append(c.files, file)
		return
	}
	c.lists[list] = append(c.lists[list], file)
}

// format returns --format, checked against the allowed values.
func (c *cmdArgs) format(allowed ...string) (string, error) {
	f, ok := c.flags["format"]
	if !ok {
		return allowed[0], nil
	}
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
	}
	return "", usagef("--format %q: want %s", f, strings.Join(allowed, ", "))
}
