package main

import (
	"os"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/perfadvisor/perfadvisor/internal/inputfile"
	"github.com/perfadvisor/perfadvisor/internal/svcname"
)

// read reads one FILE argument. NAME=PATH names the service of the data in
// PATH that carries no service attribute (a fleet of pprof files in one
// command; --service names them all alike); a path that exists as given is
// never split.
func (s *session) read(arg string) (*inputfile.File, error) {
	name, path := "", arg
	if i := strings.IndexByte(arg, '='); i > 0 && !strings.ContainsRune(arg[:i], os.PathSeparator) {
		if _, err := os.Stat(arg); err != nil {
			name, path = arg[:i], arg[i+1:]
		}
	}
	f, err := inputfile.ReadKeeping(path, s.force, s.lim, s.keep)
	if err != nil || name == "" {
		return f, err
	}
	order := s.cfg.ServiceAttributes
	stamp := func(attrs pcommon.Map) {
		if _, ok := svcname.Resolve(attrs, order); !ok {
			attrs.PutStr("service.name", name)
		}
	}
	for _, pd := range f.Profiles {
		for _, rp := range pd.ResourceProfiles().All() {
			stamp(rp.Resource().Attributes())
		}
	}
	if f.Metrics != nil {
		for _, rm := range f.Metrics.ResourceMetrics().All() {
			stamp(rm.Resource().Attributes())
		}
	}
	return f, nil
}
