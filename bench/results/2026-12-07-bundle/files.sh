#!/usr/bin/env bash
# files.sh MAIN...: for each main module (a checkout's main.ts, or a bundle's main.js), the files
# under its folder that `enqueue true`, `status` and `--version` open, and their bytes (strace).
# Each command runs once untimed first (the home, Deno's caches).
set -u
F="--allow-read --allow-write --allow-run --allow-env --allow-sys=uid --allow-net --v8-flags=--max-semi-space-size=8,--no-lazy"
H=$(mktemp -d)
trap 'rm -rf "$H"' EXIT
for m in "$@"; do
  d=$(dirname "$m")
  for a in "enqueue true" "status" "--version"; do
    # shellcheck disable=SC2086
    deno run $F "$m" --home "$H/h" $a >/dev/null 2>&1
    # shellcheck disable=SC2086
    files=$(strace -f -e trace=openat deno run $F "$m" --home "$H/h" $a 2>&1 >/dev/null | grep -v ENOENT |
      grep -F "\"$d/" | grep -E '\.(js|ts|sh|html|css|svg)"' | sed -E 's/.*"([^"]+)".*/\1/' | sort -u)
    n=$(grep -c . <<<"$files")
    bytes=$(xargs cat <<<"$files" | wc -c)
    echo "$m $a: $n files, $bytes bytes"
  done
done
