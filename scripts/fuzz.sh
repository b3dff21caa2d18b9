#!/usr/bin/env bash
# Fuzz the scenario decoder, the record reader and the histogram decoder for
# FUZZTIME in all (a Go duration in s, m or h; default 10m), split evenly
# between them. Each worker
# may use at most 1 GiB of data memory (ulimit -d), so an input that needs
# more fails the run. The inputs the fuzzer found interesting are copied
# into testdata/fuzz/<target>/, which `go test` runs as normal tests.
set -euo pipefail
cd "$(dirname "$0")/.."

total=${FUZZTIME:-10m}
case $total in
*h) secs=$(( ${total%h} * 3600 )) ;;
*m) secs=$(( ${total%m} * 60 )) ;;
*s) secs=${total%s} ;;
*) echo "FUZZTIME=$total: want a whole number of s, m or h, e.g. 10m" >&2; exit 2 ;;
esac

targets=("./scenarios FuzzParse" "./metrics FuzzRead" "./metrics FuzzMergeV2")
each=$(( secs / ${#targets[@]} ))
(( each > 0 )) || { echo "FUZZTIME=$total is too short for ${#targets[@]} targets" >&2; exit 2; }

cache=$(go env GOCACHE)/fuzz/$(go list -m)
ulimit -d $(( 1 << 20 ))
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "fuzz: $name in $pkg for ${each}s"
	go test -run '^$' -fuzz "^$name\$" -fuzztime "${each}s" -fuzzminimizetime 10s "$pkg"
	dir="${pkg#./}/testdata/fuzz/$name"
	mkdir -p "$dir"
	if [ -d "$cache/${pkg#./}/$name" ]; then
		cp -n "$cache/${pkg#./}/$name"/* "$dir"/ 2>/dev/null || true
	fi
	echo "fuzz: $(ls "$dir" | wc -l) inputs in $dir"
done
