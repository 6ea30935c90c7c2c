#!/bin/bash
# alternated A/B of `enqueue --file` (100,000 jobs) into a fresh home: $1 = rounds, then name=worktree pairs.
# prints: name wall_ms user_s sys_s
F="--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net --v8-flags=--max-semi-space-size=8,--no-lazy"
runs=$1; shift
for i in $(seq 1 $runs); do
  for nd in "$@"; do
    name=${nd%%=*}; dir=${nd#*=}
    rm -rf /tmp/batch-ab
    s=$(date +%s%N)
    /usr/bin/time -o /tmp/batch-time.txt -f "%U %S" deno run $F $dir/main.ts --home /tmp/batch-ab enqueue --file /tmp/batch-data/jobs.jsonl >/dev/null 2>/dev/null; t=$(cat /tmp/batch-time.txt)
    e=$(date +%s%N)
    echo "$name $(( (e - s) / 1000000 )) $t"
  done
done
rm -rf /tmp/batch-ab
