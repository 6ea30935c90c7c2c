#!/bin/bash
# Is a function's compiled code in Deno's code cache? 600 small functions in one module, all called once
# after the import; prints the milliseconds of those 600 first calls. Run it twice: the second run reads the
# module from the cache. Usage: bash lazy_toy.sh DIR
set -e
dir=${1:?usage: lazy_toy.sh DIR}
mkdir -p "$dir" && cd "$dir"
python3 - <<'PY'
fns = []
for i in range(600):
    fns.append(f"function f{i}(x: number) {{ let s = 0; for (let k = 0; k < 3; k++) {{ s += (x * {i} + k) % 7; if (s > 100) s -= 3; }} const o = {{ a: s, b: x, c: '{i}' }}; return o.a + o.b + o.c.length; }}")
calls = "".join(f"t += f{i}({i});" for i in range(600))
open("mod.ts", "w").write("\n".join(fns) + f"\nexport function runAll() {{ let t = 0; {calls} return t; }}\n")
open("main.ts", "w").write("const { runAll } = await import(new URL('./mod.ts', import.meta.url).href);\n"
  "const t0 = performance.now(); runAll(); console.log((performance.now() - t0).toFixed(2));\n")
PY
for flags in "" "--v8-flags=--no-lazy"; do
  deno run -A $flags main.ts >/dev/null # fills the cache for these flags
  echo "${flags:-(lazy, the default)}: $(for i in 1 2 3 4 5; do deno run -A $flags main.ts; done | tr '\n' ' ')ms"
done
