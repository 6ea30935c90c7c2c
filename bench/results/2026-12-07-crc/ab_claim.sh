#!/usr/bin/env bash
# A/B of one claim (bench/claim.ts: open the store, claim one due job, committed; timed inside the
# process) on a home with a history of 1,000,000 jobs and on a small one, for two clones of the
# repository, alternated round by round; each home compacted (untimed) before each claim, as the
# bench's rounds start from a compacted home. Prints one line per claim:
#   <home> <variant> <ms> <cpu_ms>
# Usage: ab_claim.sh ROUNDS HISTORY_HOME SMALL_HOME A_DIR B_DIR
# The homes: `deno run <CLI_FLAGS> bench/populate.ts --home H --jobs 1000000` (history) and an empty
# one; both given 300 due jobs (`enqueue --file`, one {"command":"true"} a line) and compacted.
set -euo pipefail
rounds=$1 history=$2 small=$3 a=$4 b=$5
F=(--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net
  --v8-flags=--max-semi-space-size=8,--no-lazy)
for ((i = 0; i < rounds; i++)); do
  for home in "$history" "$small"; do
    for dir in "$a" "$b"; do
      deno run "${F[@]}" "$a/main.ts" --home "$home" compact >/dev/null
      echo "$(basename "$(dirname "$home")") $(basename "$dir") $(deno run "${F[@]}" "$dir/bench/claim.ts" --home "$home" |
        jq -r '"\(.ms) \(.cpu_ms)"')"
    done
  done
done
