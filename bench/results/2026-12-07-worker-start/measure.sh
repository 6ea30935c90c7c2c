#!/bin/bash
# A worker's start and exit, before (BASE, default 02400db) and after (HEAD): bundles of both
# (`deno task build` in a worktree of each), alternated 30 times on a copy of a home holding one
# job of `true`, `worker start --count 2 --drain`; then 12 alternated drains of 2,000 jobs.
#   bash bench/results/2026-12-07-worker-start/measure.sh > bench/results/2026-12-07-worker-start/measure.txt
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
base=${BASE:-02400db}
tmp=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$tmp/base" 2>/dev/null; git -C "$repo" worktree remove --force "$tmp/head" 2>/dev/null; rm -rf "$tmp"' EXIT
git -C "$repo" worktree add -q --detach "$tmp/base" "$base"
git -C "$repo" worktree add -q --detach "$tmp/head" HEAD
(cd "$tmp/base" && deno task build > /dev/null 2>&1)
(cd "$tmp/head" && deno task build > /dev/null 2>&1)
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) A = $(git -C "$tmp/base" rev-parse --short HEAD), B = $(git -C "$tmp/head" rev-parse --short HEAD); load: $(cut -d' ' -f1-3 /proc/loadavg)"
deno run -A "$tmp/head/dist/main.js" --home "$tmp/one" enqueue true > /dev/null 2>&1
echo "== worker start --count 2 --drain, one job of \`true\`, 30 rounds"
deno run -A "$here/alternate.ts" 30 "$tmp/one" "$tmp/base/dist/main.js" "$tmp/head/dist/main.js" -- worker start --count 2 --drain
for _ in $(seq 2000); do echo '{"command":"true"}'; done > "$tmp/jobs.jsonl"
deno run -A "$tmp/head/dist/main.js" --home "$tmp/many" enqueue --file "$tmp/jobs.jsonl" > /dev/null 2>&1
echo "== worker start --count 2 --drain, 2,000 jobs of \`true\`, 12 rounds"
deno run -A "$here/alternate.ts" 12 "$tmp/many" "$tmp/base/dist/main.js" "$tmp/head/dist/main.js" -- worker start --count 2 --drain
