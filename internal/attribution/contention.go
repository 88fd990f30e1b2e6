package attribution

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pprofile"
)

// contentions records that block or mutex profiling is on (evidence only).
// Only contentions/count adds to the event counts; delay/nanoseconds (the
// same events weighed in time) just tells the profile is on.
func (m *message) contentions(p pprofile.Profile, ss *ServiceStats, count bool) error {
	var events int64
	mutexLeaves, blockLeaves := 0, 0
	samples := p.Samples()
	for i := 0; i < samples.Len(); i++ {
		s := samples.At(i)
		var n int64
		for _, v := range s.Values().All() {
			if v < 0 {
				return fmt.Errorf("sample %d: negative value %d", i, v)
			}
			n += v
		}
		if s.Values().Len() == 0 {
			n = int64(s.TimestampsUnixNano().Len())
		}
		if n == 0 {
			continue
		}
		events += n
		switch m.leafKind(s.StackIndex()) {
		case 1:
			mutexLeaves++
		case 2:
			blockLeaves++
		case -1:
			return fmt.Errorf("sample %d: invalid stack index %d", i, s.StackIndex())
		}
	}
	if events == 0 {
		return nil
	}
	isMutex := mutexLeaves > blockLeaves
	if name := m.profileName(p); name != "" {
		isMutex = strings.Contains(name, "mutex")
	}
	if !count {
		events = 0
	}
	if isMutex {
		ss.MutexProfile = true
		ss.MutexEvents += events
	} else {
		ss.BlockProfile = true
		ss.BlockEvents += events
	}
	m.span(p, ss, 0, 0)
	return nil
}

// leafKind: 1 if the stack's leaf is an unlock site (mutex profiles are keyed
// by Unlock), 2 for a blocking call, 0 unknown, -1 invalid.
func (m *message) leafKind(si int32) int {
	if si < 0 || int(si) >= m.stkTab.Len() {
		return -1
	}
	locs := m.stkTab.At(int(si)).LocationIndices()
	if locs.Len() == 0 {
		return 0
	}
	lm, ok := m.loc(locs.At(0))
	if !ok {
		return -1
	}
	if lm.n == 0 {
		return 0
	}
	leaf := m.slab[lm.off]
	c, ok := m.class(leaf.fn, leaf.hint)
	if !ok {
		return -1
	}
	name := c.frame.Name
	switch {
	case strings.HasSuffix(name, ".Unlock") || strings.HasSuffix(name, ".RUnlock") || name == "runtime.unlock" || name == "runtime._LostContendedRuntimeLock":
		return 1
	case name != "":
		return 2
	}
	return 0
}

func (m *message) profileName(p pprofile.Profile) string {
	for _, ai := range p.AttributeIndices().All() {
		if ai < 0 || int(ai) >= m.attrs.Len() {
			return ""
		}
		kv := m.attrs.At(int(ai))
		if k, ok := m.str(kv.KeyStrindex()); ok && k == profileNameAttr {
			return kv.Value().AsString()
		}
	}
	return ""
}
