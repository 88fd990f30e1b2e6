package svcname

import (
	"regexp"
	"strings"

	"go.opentelemetry.io/collector/pdata/pprofile"
)

// sharedLibRE matches shared objects, which are never a process's main
// executable (the same test google/pprof uses to pick its main mapping).
var sharedLibRE = regexp.MustCompile(`([.]so$|[.]so[._][0-9]+)`)

// MainMappingFile returns the file name of the main executable mapping of
// rp's profiles: the first mapping of dict, in table order, that one of
// their samples' locations references and that is not a shared library, a
// kernel or vDSO region ("[...]"), or a placeholder. "" when there is none.
//
// It walks every sample's stack once: ResolveResource calls it only for a
// resource no attribute names.
func MainMappingFile(dict pprofile.ProfilesDictionary, rp pprofile.ResourceProfiles) string {
	stacks, locs, maps, strs := dict.StackTable(), dict.LocationTable(), dict.MappingTable(), dict.StringTable()
	seenStack := make([]bool, stacks.Len())
	best := -1
	for _, sp := range rp.ScopeProfiles().All() {
		for _, p := range sp.Profiles().All() {
			for _, s := range p.Samples().All() {
				si := int(s.StackIndex())
				if si <= 0 || si >= len(seenStack) || seenStack[si] {
					continue
				}
				seenStack[si] = true
				for _, li := range stacks.At(si).LocationIndices().All() {
					if li <= 0 || int(li) >= locs.Len() {
						continue
					}
					mi := int(locs.At(int(li)).MappingIndex())
					if mi <= 0 || mi >= maps.Len() || (best >= 0 && mi >= best) {
						continue
					}
					fi := int(maps.At(mi).FilenameStrindex())
					if fi > 0 && fi < strs.Len() && isExecutable(strs.At(fi)) {
						best = mi
					}
				}
			}
		}
	}
	if best < 0 {
		return ""
	}
	return strs.At(int(maps.At(best).FilenameStrindex()))
}

func isExecutable(file string) bool {
	f := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(file), "(deleted)"))
	switch {
	case f == "", f == "UNKNOWN", strings.HasPrefix(f, "["):
		return false
	case sharedLibRE.MatchString(f):
		return false
	}
	return true
}

// ResolveResource names the service of rp: Resolve on its attributes, then,
// for a pid-only process, ResolveProcess with its main mapping's file. The
// attribution package calls it in place of Resolve, with the message's
// dictionary:
//
//	name, ok := svcname.ResolveResource(pd.Dictionary(), rp, order)
func ResolveResource(dict pprofile.ProfilesDictionary, rp pprofile.ResourceProfiles, order []string) (string, bool) {
	attrs := rp.Resource().Attributes()
	if name, ok := Resolve(attrs, order); ok {
		return name, true
	}
	if _, found := attrs.Get(PIDAttr); !found {
		return "", false
	}
	return ResolveProcess(attrs, order, MainMappingFile(dict, rp))
}
