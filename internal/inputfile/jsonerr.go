package inputfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// jsoniterErrRE splits the error pdata's JSON unmarshaler returns, e.g.
// `ReadUint64: unsupported value type, error found in #10 byte of
// ...|nixNano": {}, "asDou|..., bigger context ...|...|...`: the operation,
// the message, how far into the first window the reader was, and the two
// windows of input around that point.
var jsoniterErrRE = regexp.MustCompile(`(?s)\A(?:(\w+): )?(.*?), error found in #(\d+) byte of \.\.\.\|(.*)\|\.\.\., bigger context \.\.\.\|(.*)\|\.\.\.\z`)

// jsonWants names what each reader operation expected.
var jsonWants = map[string]string{
	"ReadUint64":  "want an unsigned integer (a number or a decimal string)",
	"ReadInt64":   "want an integer (a number or a decimal string)",
	"ReadUint32":  "want an unsigned integer",
	"ReadInt32":   "want an integer",
	"ReadFloat64": "want a number",
	"ReadFloat32": "want a number",
	"ReadString":  "want a string",
	"ReadBool":    "want true or false",
	"ReadArray":   "want an array",
	"ReadObject":  "want an object",
}

// cleanJSONError rewrites a pdata JSON unmarshal error of value (which starts
// at byte base of the file) as one line naming the field and the byte
// offset, instead of the reader's dump of the surrounding input.
func cleanJSONError(err error, value []byte, base int64) error {
	m := jsoniterErrRE.FindStringSubmatch(err.Error())
	if m == nil {
		return errors.New(oneLine(err.Error()))
	}
	op, msg := m[1], m[2]
	if want, ok := jsonWants[op]; ok && strings.Contains(msg, "unsupported value type") {
		msg = want
	} else if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "Read") {
		msg = msg[i+2:] // drop nested operation names
	}
	head, ok := errorOffset(value, m[4], m[5], m[3])
	if !ok {
		return fmt.Errorf("%s", oneLine(msg))
	}
	field := jsonPathAt(value, head)
	if field == "" {
		return fmt.Errorf("byte %d: %s", base+int64(head), oneLine(msg))
	}
	return fmt.Errorf("field %s (byte %d): %s", field, base+int64(head), oneLine(msg))
}

// errorOffset finds where in value the reader stopped, from the two
// windows the reader printed: the small one starts 10 bytes before that
// point (or at 0), the big one 50 bytes before (or at 0).
func errorOffset(value []byte, small, big, nth string) (int, bool) {
	n, err := strconv.Atoi(nth)
	if err != nil {
		return 0, false
	}
	ci := bytes.Index(value, []byte(big))
	if ci < 0 {
		return 0, false
	}
	if ci > 0 {
		return ci + 50, ci+50 <= len(value)
	}
	// The big window starts the value: the point is under 50 bytes in.
	if n < 10 {
		return n, true
	}
	si := strings.Index(big, small)
	if si < 0 {
		return 0, false
	}
	return si + n, true
}

// jsonPathAt names the member of value that contains byte offset head, as
// a path such as resourceMetrics[0].scopeMetrics[0].metrics[2].name.
func jsonPathAt(value []byte, head int) string {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			case !f.wantKey:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	// valueDone moves the innermost container past the value just read.
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		top := &stack[len(stack)-1]
		if top.array {
			top.index++
		} else {
			top.wantKey = true
		}
	}
	// last is the member whose value was read most recently: a reader that
	// stops just after a bad value (a string that is no number) names it.
	last := ""
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return last
		}
		closing := tok == json.Delim('}') || tok == json.Delim(']')
		if dec.InputOffset() > int64(head) {
			if closing {
				return last
			}
			return path()
		}
		if key, ok := tok.(string); ok {
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
				stack[n-1].key, stack[n-1].wantKey = key, false
				continue
			}
		}
		if !closing {
			last = path()
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{wantKey: true})
		case json.Delim('['):
			stack = append(stack, frame{array: true})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}
