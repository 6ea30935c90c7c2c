#!/bin/bash
# Claims on the history home and the small home, alternated, with the marks of marks.diff applied to a
# clone of the code (PROF, which holds claim_phases.ts.txt as .tmpprof/claim_phases.ts): each claim on a
# fresh copy of its home. Prints one JSON line per claim: {"home":…, "ms":…, "marks":[[name, t], …]}.
#
#   phases.sh PROF HISTORY SMALL ROUNDS > phases.jsonl
set -eu
PROF=$1 HISTORY=$2 SMALL=$3 ROUNDS=$4
for r in $(seq 1 "$ROUNDS"); do
  for h in "$HISTORY" "$SMALL"; do
    rm -rf /tmp/claim-phases-run && cp -a "$h" /tmp/claim-phases-run
    line=$(cd "$PROF" && deno run -A --v8-flags=--max-semi-space-size=8,--no-lazy .tmpprof/claim_phases.ts /tmp/claim-phases-run)
    echo "{\"home\":\"$(basename "$h")\",${line#\{}"
  done
done
rm -rf /tmp/claim-phases-run
