package pprofconv

import (
	"go.opentelemetry.io/collector/pdata/pprofile"
)

// ValidateDictionary checks every cross-reference inside dict once, so that
// walking a profile afterwards only needs to check the sample's own indices.
func ValidateDictionary(dict pprofile.ProfilesDictionary) error {
	nStr := dict.StringTable().Len()
	nFn := dict.FunctionTable().Len()
	nMap := dict.MappingTable().Len()
	nLoc := dict.LocationTable().Len()
	nAttr := dict.AttributeTable().Len()
	str := func(table string, i int32) error {
		if i < 0 || int(i) >= nStr {
			return errIndex(table+" string", i, nStr)
		}
		return nil
	}
	attrs := func(table string, idx []int32) error {
		for _, i := range idx {
			if i < 0 || int(i) >= nAttr {
				return errIndex(table+" attribute", i, nAttr)
			}
		}
		return nil
	}
	for _, a := range dict.AttributeTable().All() {
		if err := str("attribute key", a.KeyStrindex()); err != nil {
			return err
		}
		if err := str("attribute unit", a.UnitStrindex()); err != nil {
			return err
		}
	}
	for _, f := range dict.FunctionTable().All() {
		if err := str("function name", f.NameStrindex()); err != nil {
			return err
		}
		if err := str("function system name", f.SystemNameStrindex()); err != nil {
			return err
		}
		if err := str("function filename", f.FilenameStrindex()); err != nil {
			return err
		}
	}
	for _, m := range dict.MappingTable().All() {
		if err := str("mapping filename", m.FilenameStrindex()); err != nil {
			return err
		}
		if err := attrs("mapping", m.AttributeIndices().AsRaw()); err != nil {
			return err
		}
	}
	for _, l := range dict.LocationTable().All() {
		if mi := l.MappingIndex(); mi < 0 || int(mi) >= nMap {
			return errIndex("location mapping", mi, nMap)
		}
		if err := attrs("location", l.AttributeIndices().AsRaw()); err != nil {
			return err
		}
		for _, ln := range l.Lines().All() {
			if fi := ln.FunctionIndex(); fi < 0 || int(fi) >= nFn {
				return errIndex("line function", fi, nFn)
			}
		}
	}
	for _, s := range dict.StackTable().All() {
		for _, li := range s.LocationIndices().All() {
			if li < 0 || int(li) >= nLoc {
				return errIndex("stack location", li, nLoc)
			}
		}
	}
	return nil
}

// validateProfile checks the indices a profile and its samples hold against
// an already validated dictionary.
func validateProfile(dict pprofile.ProfilesDictionary, p pprofile.Profile) error {
	nStr := dict.StringTable().Len()
	nStack := dict.StackTable().Len()
	nAttr := dict.AttributeTable().Len()
	nLink := dict.LinkTable().Len()
	for _, i := range []int32{p.SampleType().TypeStrindex(), p.SampleType().UnitStrindex(),
		p.PeriodType().TypeStrindex(), p.PeriodType().UnitStrindex()} {
		if i < 0 || int(i) >= nStr {
			return errIndex("profile value type string", i, nStr)
		}
	}
	for _, i := range p.AttributeIndices().All() {
		if i < 0 || int(i) >= nAttr {
			return errIndex("profile attribute", i, nAttr)
		}
	}
	for _, s := range p.Samples().All() {
		if si := s.StackIndex(); si < 0 || int(si) >= nStack {
			return errIndex("sample stack", si, nStack)
		}
		if li := s.LinkIndex(); li < 0 || int(li) >= nLink {
			return errIndex("sample link", li, nLink)
		}
		for _, i := range s.AttributeIndices().All() {
			if i < 0 || int(i) >= nAttr {
				return errIndex("sample attribute", i, nAttr)
			}
		}
	}
	return nil
}
