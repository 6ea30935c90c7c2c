#!/bin/bash
# Ten fresh processes of each, alternated, with the CLI's V8 flags (src/cli/run_flags.ts).
# bash bench/results/2026-12-07-wasm-bytes/measure.sh > bench/results/2026-12-07-wasm-bytes/wasm.txt
cd "$(dirname "$0")"
F="--v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions"
date -u +"%Y-%m-%dT%H:%M:%SZ"
for i in $(seq 1 10); do
  echo "base64  $(deno run -A "$F" wasm.ts base64)"
  echo "literal $(deno run -A "$F" wasm.ts literal)"
done
