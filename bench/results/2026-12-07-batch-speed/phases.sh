#!/bin/bash
F="--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net --v8-flags=--max-semi-space-size=8,--no-lazy"
for i in $(seq 1 $1); do for nd in base=/work/wt-batch-prof0 new=/work/wt-batch-prof; do
  rm -rf /tmp/batch-p1
  echo "${nd%%=*} $(deno run $F ${nd#*=}/main.ts --home /tmp/batch-p1 enqueue --file /tmp/batch-data/jobs.jsonl 2>&1 >/dev/null | grep MARK | awk '{m[$2]=$3} END {printf "fill=%d seg=%d exit=%d", m["jobsFilled"]-m["claimOrder"], m["orderDone"]-m["claimOrder"], m["exit"]}')"
done; done; rm -rf /tmp/batch-p1
