#!/usr/bin/env bash
# alternates the start-up bench between the three clones, 3 rounds
for r in 1 2 3; do
  for v in main bundle literal; do
    echo "$(date -u +%T) round $r $v uptime: $(cut -d' ' -f1-3 /proc/loadavg)"
    (cd /tmp/qb-$v && timeout 300 deno task bench --json --only startup > /tmp/qb-results/$v-$r.json 2> /tmp/qb-results/$v-$r.err)
    echo "$(date -u +%T) rc=$?"
  done
done
