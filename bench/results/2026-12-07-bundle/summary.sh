#!/usr/bin/env bash
# summary.sh FILE...: one line per start-up row: variant-round, figure, median ms, baseline ms, ratio, CPU ms, baseline CPU ms, CPU ratio, load before
for f in "$@"; do
  jq -r --arg f "$(basename "$f" .json)" '.load_average.before as $l | .results[] | select(.figure | test("taken by") | not) | [$f, .figure, (.median*10|round/10), (.baseline*10|round/10), (.ratio*100|round/100), (.cpu_ms*10|round/10), (.baseline_cpu_ms*10|round/10), (.cpu_ratio*100|round/100), ($l|tostring)] | @tsv' "$f"
done
