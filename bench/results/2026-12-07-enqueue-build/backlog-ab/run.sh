#!/bin/bash
# alternated: deno task bench --only pending,history --json, old (1e203b2) and new (HEAD), 2 rounds
for r in 1 2; do
  for v in old new; do
    (cd /work/ab-$v && timeout 900 deno task bench --only pending,history --json > /work/notes/ab-s12/ph-$v-$r.json 2> /work/notes/ab-s12/ph-$v-$r.err)
  done
done
echo done > /work/notes/ab-s12/DONE2
