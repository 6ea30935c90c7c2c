#!/bin/bash
# A worker (the bundle, `deno task build`, with the CLI's V8 flags) draining 5,000 jobs of `true`
# with --count 2, profiled for 5 s from its start (profile.ts); then top.py of that profile: the
# functions by their own samples, and who called the file operations that took the most.
#   bash bench/results/2026-12-07-drain-profile/profile.sh > bench/results/2026-12-07-drain-profile/top.txt
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
(cd "$repo" && deno task build > /dev/null 2>&1)
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
F="--v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions"
yes '{"command":"true"}' | head -5000 > "$home/jobs.jsonl"
deno run -A "$F" "$repo/dist/main.js" --home "$home/q" enqueue --file "$home/jobs.jsonl" > /dev/null
date -u +"%Y-%m-%dT%H:%M:%SZ at $(git -C "$repo" rev-parse --short HEAD)"
deno run -A "$here/profile.ts" 9241 5 "$home/worker.cpuprofile" &
profiler=$!
start=$(date +%s.%N)
deno run -A --inspect-wait=127.0.0.1:9241 "$F" "$repo/dist/main.js" --home "$home/q" worker start --count 2 --drain 2> /dev/null \
  | grep -c ' completed ' | sed 's/^/jobs completed: /'
echo "worker ran $(echo "$(date +%s.%N) - $start" | bc) s"
wait $profiler
python3 "$here/top.py" "$home/worker.cpuprofile" 30 op_write_sync op_fs_stat_sync op_write_all op_fs_seek_sync op_fs_file_stat_sync
