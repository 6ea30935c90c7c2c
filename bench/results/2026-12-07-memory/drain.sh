#!/bin/bash
# usage: drain.sh TREE N [v8flags]
TREE=$1; N=$2; FLAGS=$3
H=$(mktemp -d /tmp/rx/h.XXXX); chmod 700 $H
yes true | head -$N > $H.cmds
deno run -A --config $TREE/deno.json $TREE/main.ts --home $H enqueue --file $H.cmds >/dev/null
S=$(date +%s.%N)
/usr/bin/time -f "%M" -o $H.time deno run -A ${FLAGS:+--v8-flags=$FLAGS} --config $TREE/deno.json $TREE/main.ts --home $H worker start --count 2 --drain >/dev/null 2>&1
E=$(date +%s.%N)
echo "$(basename $TREE) ${FLAGS:-none} jobs/s=$(python3 -c "print(round($N/($E-$S)))") maxrss_MB=$(python3 -c "print(round($(cat $H.time)/1024,1))")"
rm -rf $H $H.cmds $H.time
