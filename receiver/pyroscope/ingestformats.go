package pyroscope

import (
	"bytes"
	"maps"

	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/folded"
	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/ingest"
	"github.com/perfadvisor/perfadvisor/receiver/pyroscope/internal/jfr"
)

// labelJFREvent names the profiler's main event (cpu, itimer, wall, …), as
// Pyroscope labels JFR series.
const labelJFREvent = "jfr_event"

// ingestService is the service.name of an /ingest request.
func ingestService(in *ingest.Request) string {
	if svc := in.Name.Labels[labelServiceName]; svc != "" {
		return svc
	}
	return in.Name.App
}

// addPprof adds an /ingest pprof body.
func (c *converter) addPprof(in *ingest.Request) error {
	data, err := c.decode(in.Profile)
	if err != nil {
		return err
	}
	a, err := c.add(data, in.Name.Labels, ingestService(in), timing{from: in.From, until: in.Until})
	if err != nil {
		return err
	}
	return c.setName(a, ingest.ProfileName(c.sampleTypes(a), in))
}

// addJFR adds a JFR recording: one OTLP profile per event type. The
// recording and its labels are decompressed within the request's budget,
// and the recording is checked before the parser sees it.
func (c *converter) addJFR(in *ingest.Request) error {
	data, err := c.decode(in.Profile)
	if err != nil {
		return err
	}
	var labels []byte
	if len(in.Labels) > 0 {
		if labels, err = c.decode(in.Labels); err != nil {
			return err
		}
	}
	// Pyroscope dates a recording without from/until by its arrival.
	t := timing{from: in.From, until: in.Until}
	start, end := t.from, t.until
	if start.IsZero() {
		start = c.now
	}
	if end.IsZero() || end.Before(start) {
		end = start
	}
	res, err := jfr.Convert(data, labels, jfr.Input{Start: start, End: end, SampleRate: in.SampleRate})
	if err != nil {
		return badInput(reasonBadProfile, "%v", err)
	}
	series := in.Name.Labels
	if res.Event != "" {
		series = maps.Clone(series)
		series[labelJFREvent] = res.Event
	}
	for _, p := range res.Profiles {
		a, err := c.add(p.Pprof, series, ingestService(in), t)
		if err != nil {
			return err
		}
		if err := c.setName(a, p.Name); err != nil {
			return err
		}
	}
	return nil
}

// addFolded adds a folded or lines body as one profile: CPU when the
// profile name says so or the values are samples taken at a sampleRate.
func (c *converter) addFolded(in *ingest.Request) error {
	data, err := c.decode(in.Profile)
	if err != nil {
		return err
	}
	f := folded.Folded
	if in.Format == ingest.FormatLines {
		f = folded.Lines
	}
	o := folded.Options{SampleRate: in.SampleRate, Units: in.Units}
	kind := in.Name.Kind
	if kind == "" {
		kind = in.Name.Labels[labelName]
	}
	switch kind {
	case "process_cpu", "cpu", "itimer":
		o.CPU = true
		if o.SampleRate == 0 {
			o.SampleRate = jfr.DefaultSampleRate
		}
	case "":
		o.CPU = (in.Units == "" || in.Units == "samples") && in.SampleRate > 0
	}
	p, err := folded.Parse(data, f, o)
	if err != nil {
		return badInput(reasonBadProfile, "%s body: %v", in.Format, err)
	}
	var buf bytes.Buffer
	if err := p.WriteUncompressed(&buf); err != nil {
		return badInput(reasonBadProfile, "%s body: %v", in.Format, err)
	}
	a, err := c.add(buf.Bytes(), in.Name.Labels, ingestService(in), timing{from: in.From, until: in.Until})
	if err != nil {
		return err
	}
	return c.setName(a, ingest.ProfileName(c.sampleTypes(a), in))
}
