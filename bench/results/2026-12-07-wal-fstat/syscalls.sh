#!/bin/bash
# Counts the system calls of a worker's main process (its first pid) draining 500 `true` jobs with
# --count 2, under the CLI's permission flags (src/cli/run_flags.ts), for a build of the CLI.
#   bash syscalls.sh DIST_MAIN_JS LABEL     (DIST_MAIN_JS: dist/main.js of a `deno task build`)
set -eu
MAIN=$1 LABEL=$2
F="--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net --v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions"
D=$(mktemp -d)
yes '{"command":"true"}' | head -500 > "$D/jobs.jsonl"
deno run $F "$MAIN" --home "$D/home" enqueue --file "$D/jobs.jsonl" > /dev/null 2>&1
strace -f -o "$D/trace" deno run $F "$MAIN" --home "$D/home" worker start --count 2 --drain > /dev/null 2>&1
W=$(head -1 "$D/trace" | awk '{print $1}')
echo "== $LABEL: system calls of the worker's main process, 500 jobs (most frequent 12)"
grep "^$W " "$D/trace" | grep -v "resumed>" | sed -E 's/^[0-9]+ +//; s/\(.*//' | sort | uniq -c | sort -rn | head -12
rm -rf "$D"
