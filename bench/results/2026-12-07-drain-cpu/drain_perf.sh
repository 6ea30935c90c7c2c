#!/bin/bash
# Where the CPU time of a drain goes: `worker start --count 2 --drain` of 3,000 `true` jobs (the
# bench's drain row, larger), the CLI built from this checkout (`deno task build`) and run with its
# flags, under `perf stat` (CPU time in all, per job) and then `perf record` (its samples by
# process name and binary: the worker is `deno`, its runners and the jobs' shells `sh`).
#   bash drain_perf.sh > drain_perf.txt        (needs perf; run from the repository)
set -eu
cd "$(git rev-parse --show-toplevel)"
F="--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net --v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions"
N=3000
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
deno task build > /dev/null 2>&1
yes '{"command":"true"}' | head -$N > "$D/jobs.jsonl"
fill() { rm -rf "$D/home"; deno run $F dist/main.js --home "$D/home" enqueue --file "$D/jobs.jsonl" > /dev/null 2>&1; }
date -u +"%Y-%m-%dT%H:%M:%SZ"; git log --oneline -1
fill
perf stat -e task-clock -o "$D/stat" -- deno run $F dist/main.js --home "$D/home" worker start --count 2 --drain > /dev/null 2>&1
grep -E "task-clock|elapsed" "$D/stat"
awk -v n=$N '/task-clock/ { gsub(",", "", $1); printf "CPU per job: %.3f ms\n", $1 / n }' "$D/stat"
fill
perf record -F 2000 -o "$D/perf.data" -- deno run $F dist/main.js --home "$D/home" worker start --count 2 --drain > /dev/null 2>&1
echo "-- samples by process name, then by process name and binary"
perf report -i "$D/perf.data" --sort comm --stdio 2> /dev/null | grep -E "^ +[0-9]"
perf report -i "$D/perf.data" --sort comm,dso --stdio 2> /dev/null | grep -E "^ +[0-9]" | head -12
