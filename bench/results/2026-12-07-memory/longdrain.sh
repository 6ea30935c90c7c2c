#!/bin/bash
# usage: longdrain.sh TREE SECONDS SRCHOME [v8flags]
TREE=$1; T=$2; SRC=$3; FLAGS=$4
H=/tmp/rx/ld.$$; rm -rf $H; cp -r $SRC $H
deno run -A ${FLAGS:+--v8-flags=$FLAGS} --config $TREE/deno.json $TREE/main.ts --home $H worker start --count 2 > $H.log 2>&1 &
P=$!
sleep 3; W=$(pgrep -P $P -f "worker start" || echo $P)
S=""
for i in $(seq 1 $((T/5))); do sleep 5; S="$S $(awk '/VmRSS/{printf "%.0f", $2/1024}' /proc/$P/status)"; done
HWM=$(awk '/VmHWM/{printf "%.0f", $2/1024}' /proc/$P/status)
kill -TERM $P; wait $P
echo "$(basename $TREE) ${FLAGS:-none} ${T}s RSS every 5s:$S MB; peak $HWM MB; completed $(grep -c ' completed ' $H.log)"
rm -rf $H $H.log
