#!/bin/bash
# `list --limit 20` on the bench's history home (1,000,000 jobs: 990,000 completed and archived, 5,000 dead
# kept in the snapshot, 5,000 pending in 2099, and 31 due jobs enqueued last; bench/populate.ts, then
# compacted) against a small home (32 jobs), before and after the change, alternated, each call a fresh
# process of the installed bundle (dist/ of each commit, built by `deno task build`).
#
#   ab_list.sh BEFORE_DIST AFTER_DIST HISTORY_BEFORE HISTORY_AFTER SMALL ROUNDS
#
# HISTORY_BEFORE is the history home compacted by the old code (its snapshot has no ended seqs),
# HISTORY_AFTER the same home compacted again by the new code (`queuectl compact`). Prints each call's
# wall time in ms, one line per call: variant ms.
set -eu
BEFORE=$1 AFTER=$2 HB=$3 HA=$4 SMALL=$5 ROUNDS=$6
FLAGS="--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net --v8-flags=--max-semi-space-size=8,--no-lazy"
timed() { # label home dist
  local t0 t1
  t0=$(date +%s%N)
  QUEUECTL_HOME=$2 deno run $FLAGS "$3/main.js" list --limit 20 >/dev/null 2>&1
  t1=$(date +%s%N)
  echo "$1 $(( (t1 - t0) / 1000 ))" | awk '{ printf "%s %.1f\n", $1, $2 / 1000 }'
}
for d in "$BEFORE" "$AFTER"; do QUEUECTL_HOME=$SMALL deno run $FLAGS "$d/main.js" list --limit 20 >/dev/null 2>&1; done
for r in $(seq 1 "$ROUNDS"); do
  timed before-small "$SMALL" "$BEFORE"
  timed before-history "$HB" "$BEFORE"
  timed after-small "$SMALL" "$AFTER"
  timed after-history "$HA" "$AFTER"
done
