#!/bin/bash
# first.ts for every API, a fresh process each, ROUNDS rounds (default 5), with the CLI's flags
# (src/cli/run_flags.ts); then the medians.  bash first.sh [ROUNDS] > first.txt
cd "$(dirname "$0")"
ROUNDS=${1:-5}
F="--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net --v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions"
D=$(mktemp -d)
echo data > "$D/f"
APIS=("nothing" "Deno.statSync" "Deno.statSync NotFound" "Deno.readDirSync" "Deno.openSync" "Deno.readFileSync" "new TextDecoder" "new TextEncoder" "Deno.permissions.querySync" "new Date(ms)")
date -u +"%Y-%m-%dT%H:%M:%SZ"
OUT=$(for r in $(seq 1 "$ROUNDS"); do for a in "${APIS[@]}"; do deno run $F first.ts "$D" "$a"; done; done)
echo "$OUT"
echo "-- medians of $ROUNDS (first, second)"
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for a in "${APIS[@]}"; do
  rows=$(echo "$OUT" | awk -v a="$a" '{ name = $0; sub(/ +first.*/, "", name) } name == a { print $(NF-2), $NF }')
  printf "%-28s %s  %s\n" "$a" "$(echo "$rows" | awk '{ print $1 }' | med)" "$(echo "$rows" | awk '{ print $2 }' | med)"
done
echo "-- all of them in one process, in turn (first calls only), $ROUNDS processes"
for r in $(seq 1 "$ROUNDS"); do deno run $F first.ts "$D" in-turn; done
rm -rf "$D"
