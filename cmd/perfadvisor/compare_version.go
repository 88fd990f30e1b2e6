package main

import (
	"fmt"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pprofile"

	"github.com/perfadvisor/perfadvisor/internal/advisor"
)

// versionAttributes name a service's version, first present wins: OTel's
// semantic convention, then the labels Pyroscope and deploy tooling use
// (the processor's default version_attributes).
var versionAttributes = []string{"service.version", "service_version", "version", "service_git_ref"}

// analyzeVersions reads one set of files and analyses the profiles of
// version bv and of version av as two runs. A resource's version comes
// from its attributes; a resource without one is split by each profile's
// own attributes. Metric files carry no profile rule and go to both runs.
func (s *session) analyzeVersions(paths []string, bv, av string) (before, after *advisor.Result, err error) {
	var sides [2]struct {
		profiles []pprofile.Profiles
		n        int
	}
	var metrics []pmetric.Metrics
	seen := map[string]int{}
	for _, path := range paths {
		f, err := s.read(path)
		if err != nil {
			return nil, nil, err
		}
		if f.Metrics != nil {
			metrics = append(metrics, *f.Metrics)
		}
		for _, pd := range f.Profiles {
			countVersions(pd, seen)
			for i, v := range []string{bv, av} {
				part, n := selectVersion(pd, v)
				if n > 0 {
					sides[i].profiles = append(sides[i].profiles, part)
					sides[i].n += n
				}
			}
		}
	}
	for i, v := range []string{bv, av} {
		if sides[i].n == 0 {
			return nil, nil, fmt.Errorf("no profiles of version %q in the input (versions seen: %s)", v, describeVersions(seen))
		}
	}
	if before, err = s.analyzeData(sides[0].profiles, metrics, "version "+bv); err != nil {
		return nil, nil, err
	}
	if after, err = s.analyzeData(sides[1].profiles, metrics, "version "+av); err != nil {
		return nil, nil, err
	}
	return before, after, nil
}

// analyzeData is one replay of already decoded data.
func (s *session) analyzeData(profiles []pprofile.Profiles, metrics []pmetric.Metrics, what string) (*advisor.Result, error) {
	adv, err := advisor.New(s.cfg, advisor.Replay, s.service)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	run := adv.NewRun()
	for _, md := range metrics {
		run.AddMetrics(md)
	}
	for _, pd := range profiles {
		before := run.Dropped()
		if err := run.AddProfiles(pd); err != nil {
			return nil, fmt.Errorf("%s: %d profile(s) rejected: %v", what, run.Dropped()-before, err)
		}
	}
	return run.Result(), nil
}

// selectVersion copies pd keeping only the profiles of version v, and
// counts them. The dictionary is copied whole, so every index stays valid.
func selectVersion(pd pprofile.Profiles, v string) (pprofile.Profiles, int) {
	out := pprofile.NewProfiles()
	pd.CopyTo(out)
	dict := out.Dictionary()
	kept := 0
	out.ResourceProfiles().RemoveIf(func(rp pprofile.ResourceProfiles) bool {
		if rv, ok := resourceVersion(rp.Resource().Attributes()); ok {
			if rv != v {
				return true
			}
			kept += countProfiles(rp)
			return false
		}
		rp.ScopeProfiles().RemoveIf(func(sp pprofile.ScopeProfiles) bool {
			sp.Profiles().RemoveIf(func(p pprofile.Profile) bool {
				pv, ok := profileVersion(dict, p)
				return !ok || pv != v
			})
			kept += sp.Profiles().Len()
			return sp.Profiles().Len() == 0
		})
		return rp.ScopeProfiles().Len() == 0
	})
	return out, kept
}

func resourceVersion(attrs pcommon.Map) (string, bool) {
	for _, k := range versionAttributes {
		if v, ok := attrs.Get(k); ok && v.AsString() != "" {
			return v.AsString(), true
		}
	}
	return "", false
}

// profileVersion reads the version from a profile's own attributes
// (indices into the dictionary's attribute table); bad indices are skipped,
// the analysis reports them.
func profileVersion(dict pprofile.ProfilesDictionary, p pprofile.Profile) (string, bool) {
	attrs, strs := dict.AttributeTable(), dict.StringTable()
	found := map[string]string{}
	for _, ai := range p.AttributeIndices().All() {
		if ai < 0 || int(ai) >= attrs.Len() {
			continue
		}
		kv := attrs.At(int(ai))
		if ki := kv.KeyStrindex(); ki >= 0 && int(ki) < strs.Len() {
			found[strs.At(int(ki))] = kv.Value().AsString()
		}
	}
	for _, k := range versionAttributes {
		if v := found[k]; v != "" {
			return v, true
		}
	}
	return "", false
}

func countProfiles(rp pprofile.ResourceProfiles) int {
	n := 0
	for _, sp := range rp.ScopeProfiles().All() {
		n += sp.Profiles().Len()
	}
	return n
}

// countVersions tallies the profiles of each version (and of none), so an
// empty side can say which versions the input does hold.
func countVersions(pd pprofile.Profiles, seen map[string]int) {
	dict := pd.Dictionary()
	for _, rp := range pd.ResourceProfiles().All() {
		if rv, ok := resourceVersion(rp.Resource().Attributes()); ok {
			seen[rv] += countProfiles(rp)
			continue
		}
		for _, sp := range rp.ScopeProfiles().All() {
			for _, p := range sp.Profiles().All() {
				pv, _ := profileVersion(dict, p)
				seen[pv]++
			}
		}
	}
}

func describeVersions(seen map[string]int) string {
	if len(seen) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := fmt.Sprintf("%q", k)
		if k == "" {
			name = "no version attribute"
		}
		parts[i] = fmt.Sprintf("%s (%d profiles)", name, seen[k])
	}
	return strings.Join(parts, ", ")
}
