#!/bin/bash
# The bench's history step (`deno task bench --only history`: 1,000,000 jobs of history, 21 rounds a
# row) for 00c40d4 (the module's bytes in base64) and 48132d2 (a literal), alternated, twice each,
# from two work trees of this repository. Writes history-<commit>-<k>.json here; the summary
# (history-ab.txt) is printed by summary.py.
#   bash bench/results/2026-12-07-wasm-bytes/history-ab.sh
set -e
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
for k in 1 2; do
  for commit in 00c40d4 48132d2; do
    tree=$(mktemp -d)
    git -C "$repo" worktree add -q --detach "$tree/wt" "$commit"
    (cd "$tree/wt" && timeout 900 deno task bench --only history --json > "$here/history-$commit-$k.json" 2> /dev/null)
    git -C "$repo" worktree remove --force "$tree/wt"
    rm -rf "$tree"
  done
done
