// Command perfadvisor analyses profiles and metrics offline with the same
// engine as the collector processor (docs/design.md §4).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitInput = 1 // unreadable input or a failure while analysing it
	exitUsage = 2 // bad command line or config
	exitGate  = 3 // a --fail-on gate was violated (the output is complete)
)

// usageError is a bad command line; it exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

const usage = `usage:
  perfadvisor analyze [--format text|json] [--service NAME] [--config FILE] [--input-format F] [--fail-on GATE]... FILE...
  perfadvisor compare --before FILE... --after FILE... [--format text|json|markdown] [--service NAME] [--config FILE] [--fail-on GATE]...
  perfadvisor compare --before-version A --after-version B FILE... [same flags]
  perfadvisor report  [--format markdown|json] [--service NAME] [--config FILE] [--price-per-core-hour P] FILE...
  perfadvisor rules   [--format text|json] [--config FILE]

A FILE given as NAME=PATH names the service of the data in PATH that has
none of its own (pprof files of several services in one command).

FILE is pprof (gzipped or not), OTLP profiles (protobuf or JSON) or OTLP
metrics (JSON object, JSON lines, protobuf); the format is detected from the
content unless --input-format pprof|otlp-profiles|otlp-metrics forces it.
--max-file-bytes N and --max-decompressed-bytes N cap each file (defaults
256 MiB on disk, 512 MiB after gunzip). Exit 0 with or without findings,
1 for unreadable input, 2 for bad usage, 3 when a --fail-on gate is
violated (regression, RULE>SHARE, any>SHARE; analyze: severity>=warning).
See docs/cli.md and docs/validation.md.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns its exit code. A panic anywhere
// below becomes one line on stderr, never a stack trace.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "perfadvisor: internal error: %s\n", oneLine(fmt.Sprint(r)))
			code = exitInput
		}
	}()
	err := dispatch(args, stdout)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	var ge *gateError
	if errors.As(err, &ge) {
		for _, v := range ge.violations {
			fmt.Fprintf(stderr, "perfadvisor: %s\n", oneLine(v))
		}
		return exitGate
	}
	fmt.Fprintf(stderr, "perfadvisor: %s\n", oneLine(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitInput
}

var errHelp = errors.New("help")

func dispatch(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("no command; run 'perfadvisor help' (commands: analyze, compare, rules)")
	}
	switch args[0] {
	case "analyze":
		return cmdAnalyze(args[1:], stdout)
	case "compare":
		return cmdCompare(args[1:], stdout)
	case "report":
		return cmdReport(args[1:], stdout)
	case "rules":
		return cmdRules(args[1:], stdout)
	case "help", "-h", "--help", "-help":
		return errHelp
	}
	return usagef("unknown command %q (commands: analyze, compare, rules)", args[0])
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", "; ")
}
