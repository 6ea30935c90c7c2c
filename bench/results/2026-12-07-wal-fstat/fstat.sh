#!/bin/bash
# fstat.ts under the CLI's permission flags and under -A, three times each, on a file in /tmp.
cd "$(dirname "$0")"
F=$(mktemp)
echo x > "$F"
date -u +"%Y-%m-%dT%H:%M:%SZ"
for i in 1 2 3; do
  echo "-- CLI flags (--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net)"
  deno run --allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net fstat.ts "$F"
  echo "-- -A"
  deno run -A fstat.ts "$F"
done
rm -f "$F"
