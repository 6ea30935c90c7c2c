#!/bin/bash
# The alternated runs of this folder's README (run on a quiet machine; outputs beside this script).
# OLD and NEW are checkouts of 1e203b2 (the last stop's end) and of this stop's code.
set -e
OLD=${OLD:-/work/ab-old}; NEW=${NEW:-/work/ab-new}; OUT=$(cd "$(dirname "$0")" && pwd)
FO="--v8-flags=--max-semi-space-size=8,--no-lazy -A"
FN="--v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions -A"
T=$(mktemp -d)
(cd $OLD && deno run -A scripts/build.ts --outdir $T/old >/dev/null)
(cd $NEW && deno run -A scripts/build.ts --outdir $T/new >/dev/null)
cp -r $T/new $T/new-noflag
cp $NEW/bench/fixtures/empty.ts $T/empty-old.ts; cp $NEW/bench/fixtures/empty.ts $T/empty-new.ts
# a one-job home, copied afresh before each call (TEMPLATE)
deno run $FN $T/new/main.js --home $T/h1 enqueue true >/dev/null 2>&1
for h in a b c; do cp -r $T/h1 /tmp/hv$h; done
# warm the code caches (each file with its own flags)
deno run $FO $T/old/main.js --home /tmp/hva enqueue true >/dev/null 2>&1
deno run $FN $T/new/main.js --home /tmp/hvb enqueue true >/dev/null 2>&1
deno run $FO $T/new-noflag/main.js --home /tmp/hvc enqueue true >/dev/null 2>&1
deno run $FO $T/empty-old.ts; deno run $FN $T/empty-new.ts
cd $NEW
{
  echo "# enqueue true into a one-job home: 1e203b2's bundle and flags, this stop's bundle without and with the new flag"
  for k in 1 2; do
    TEMPLATE=$T/h1 deno run -A $OUT/ab.ts 100 "deno run $FO $T/empty-old.ts" "deno run $FN $T/empty-new.ts" \
      "deno run $FO $T/old/main.js --home /tmp/hva enqueue true" \
      "deno run $FO $T/new-noflag/main.js --home /tmp/hvc enqueue true" \
      "deno run $FN $T/new/main.js --home /tmp/hvb enqueue true"
  done
} > $OUT/enqueue-ab.txt 2>&1
# in-process marks of one enqueue (marks.py instruments a copy of each bundle)
cp -r $T/new $T/new-marks; cp -r $T/new-noflag $T/noflag-marks
python3 $OUT/marks.py $T/new-marks >/dev/null; python3 $OUT/marks.py $T/noflag-marks >/dev/null
{
  for v in "noflag-marks:$FO" "new-marks:$FN"; do
    d=${v%%:*}; f=${v#*:}; echo "# $d"
    for i in 1 2 3 4 5 6 7 8; do rm -rf /tmp/hm; cp -r $T/h1 /tmp/hm; deno run $f $T/$d/main.js --home /tmp/hm enqueue true 2>&1 >/dev/null | grep -v hint: ; done
  done
} > $OUT/marks.txt 2>&1
# checking and decoding a 1,025-line log: the codec of 1e203b2 and this stop's
deno run -A $NEW/bench/log_home.ts --home $T/hlog --bytes 235000 > /dev/null
D=bench/results/2026-12-07-enqueue-build
mkdir -p $OLD/$D; cp $OUT/decode.ts $OLD/$D/decode.ts
{
  echo "# $(wc -l < $T/hlog/wal-00000001.jsonl) lines, $(wc -c < $T/hlog/wal-00000001.jsonl) bytes; old then new, alternated"
  for i in 1 2 3 4 5; do
    for v in OLD NEW; do d=${!v}; echo -n "$v "; (cd $d && deno run $FN $D/decode.ts $T/hlog/wal-00000001.jsonl check); echo -n "$v "; (cd $d && deno run $FN $D/decode.ts $T/hlog/wal-00000001.jsonl decode); done
  done
} > $OUT/decode.txt 2>&1
rm -rf $OLD/bench/results/2026-12-07-enqueue-build
rm -rf $T /tmp/hva /tmp/hvb /tmp/hvc /tmp/hm
