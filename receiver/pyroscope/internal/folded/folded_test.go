package folded

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stacks renders p's samples as `leaf<-…<-root=value`, in order.
func stacks(p *profile.Profile) []string {
	var out []string
	for _, s := range p.Sample {
		var names []string
		for _, l := range s.Location {
			names = append(names, l.Line[0].Function.Name)
		}
		out = append(out, strings.Join(names, "<-")+"="+strconv.FormatInt(s.Value[0], 10))
	}
	return out
}

func TestParse(t *testing.T) {
	cpu100 := Options{CPU: true, SampleRate: 100}
	tests := []struct {
		name     string
		body     string
		format   Format
		opts     Options
		want     []string
		wantType string
		wantErr  string
	}{
		{name: "folded counts", body: "main;work;regexp.Compile 3\nmain;idle 2\n", format: Folded, opts: Options{Units: "samples"},
			want: []string{"regexp.Compile<-work<-main=3", "idle<-main=2"}, wantType: "samples/count"},
		{name: "folded CPU scales by the period", body: "main;work 3\n", format: Folded, opts: cpu100,
			want: []string{"work<-main=30000000"}, wantType: "cpu/nanoseconds"},
		{name: "equal stacks merge", body: "a;b 1\na;b 2\r\n", format: Folded, opts: Options{},
			want: []string{"b<-a=3"}, wantType: "samples/count"},
		{name: "count after the last space", body: "a;b c;d 4\n", format: Folded, opts: Options{},
			want: []string{"d<-b c<-a=4"}, wantType: "samples/count"},
		{name: "lines without a count are skipped", body: "garbage\na 1\n", format: Folded, opts: Options{},
			want: []string{"a=1"}, wantType: "samples/count"},
		{name: "zero counts and empty frames are dropped", body: "a 0\n;;b; 2\n", format: Folded, opts: Options{},
			want: []string{"b=2"}, wantType: "samples/count"},
		{name: "lines count one each", body: "a;b\na;b\na;c\n\n", format: Lines, opts: cpu100,
			want: []string{"b<-a=20000000", "c<-a=10000000"}, wantType: "cpu/nanoseconds"},
		{name: "units bytes", body: "a 5\n", format: Folded, opts: Options{Units: "bytes"},
			want: []string{"a=5"}, wantType: "space/bytes"},
		{name: "units lock_nanoseconds", body: "a 5\n", format: Folded, opts: Options{Units: "lock_nanoseconds"},
			want: []string{"a=5"}, wantType: "delay/nanoseconds"},
		{name: "bad count", body: "a;b x\n", format: Folded, wantErr: "not a non-negative integer"},
		{name: "negative count", body: "a;b -1\n", format: Folded, wantErr: "not a non-negative integer"},
		{name: "overflowing CPU count", body: "a 9223372036854775807\n", format: Folded, opts: cpu100, wantErr: "overflow"},
		{name: "overflowing sum", body: "a 9223372036854775807\na 1\n", format: Folded, wantErr: "overflow"},
		{name: "CPU without a rate", body: "a 1\n", format: Folded, opts: Options{CPU: true}, wantErr: "sampleRate"},
		{name: "nothing", body: "\n\n", format: Lines, wantErr: "no stacks"},
		{name: "line too long", body: strings.Repeat("a", MaxLineBytes+1), format: Lines, wantErr: "longer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.body), tt.format, tt.opts)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, p.CheckValid())
			assert.Equal(t, tt.want, stacks(p))
			assert.Equal(t, tt.wantType, p.SampleType[0].Type+"/"+p.SampleType[0].Unit)
			if tt.opts.CPU {
				assert.Equal(t, int64(1e9/tt.opts.SampleRate), p.Period)
				assert.Equal(t, "cpu", p.PeriodType.Type)
			}
		})
	}
}

func FuzzFolded(f *testing.F) {
	f.Add([]byte("main;work;regexp.Compile 3\nmain;idle 2\n"), false, true)
	f.Add([]byte("a;b\na;b\na;c\n"), true, false)
	f.Add([]byte("a;b 9223372036854775807\n;; 1\n"), false, false)
	f.Fuzz(func(t *testing.T, body []byte, lines, cpu bool) {
		format := Folded
		if lines {
			format = Lines
		}
		p, err := Parse(body, format, Options{CPU: cpu, SampleRate: 100})
		if err != nil {
			return
		}
		if err := p.CheckValid(); err != nil {
			t.Fatalf("invalid profile: %v", err)
		}
		var buf bytes.Buffer
		if err := p.WriteUncompressed(&buf); err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Sample {
			if s.Value[0] <= 0 || len(s.Location) == 0 {
				t.Fatalf("sample %v", s)
			}
		}
	})
}
