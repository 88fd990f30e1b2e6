#!/bin/sh
# Records every before/after pair (20 s of profiled load each, at a fixed request rate).
# Run from the repository root: sh testdata/validation/record.sh
set -eu
for c in regex tls db dns; do
	for m in before after; do
		go run "./testdata/validation/$c" -mode "$m" -out "testdata/validation/$c/$m.pb.gz"
	done
done
go run ./testdata/validation/regex -mode worse -out testdata/validation/regex/worse.pb.gz
