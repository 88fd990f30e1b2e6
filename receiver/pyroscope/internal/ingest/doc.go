// Package ingest decodes the legacy Pyroscope `POST /ingest` request as the
// pyroscope-go SDK (v1.5) and older agents send it: the `name` query
// (`app{k=v,...}`), from/until, and a multipart body with the field `profile`
// (and optionally `sample_type_config`) or a plain pprof body.
// Every read is capped; nothing here allocates from a length the client sent.
package ingest
