#!/bin/bash
# alternated: deno task bench --only startup --json, old (1e203b2) and new (HEAD), 3 rounds
cd /work
for r in 1 2 3; do
  for v in old new; do
    (cd /work/ab-$v && timeout 900 deno task bench --only startup --json > /work/notes/ab-s12/$v-$r.json 2> /work/notes/ab-s12/$v-$r.err)
  done
done
echo done > /work/notes/ab-s12/DONE
