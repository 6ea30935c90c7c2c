#!/bin/bash
# Ten fresh processes of each, alternated, with the CLI's V8 flags.
#   bash bench/results/2026-12-07-wasm-bytes/atob.sh > bench/results/2026-12-07-wasm-bytes/atob.txt
cd "$(dirname "$0")"
F="--v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions"
date -u +"%Y-%m-%dT%H:%M:%SZ"
for i in $(seq 1 10); do
  deno run -A "$F" atob.ts node
  deno run -A "$F" atob.ts
done
