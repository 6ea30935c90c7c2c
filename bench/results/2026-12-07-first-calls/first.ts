// What the first call of one Deno API costs in a fresh process, and then its second call, in ms:
// the part of a short command's time that is Deno's (its JavaScript wrappers, prepared on first
// use), not the command's. DIR holds a file `f` and no `missing`.
//
//   deno run <the CLI's flags> first.ts DIR API       (first.sh runs every API, alternated)
//   deno run <the CLI's flags> first.ts DIR in-turn   (all of them in one process, in turn)
const [dir, api] = Deno.args;
const f = `${dir}/f`;
const apis: Record<string, () => unknown> = {
  "nothing": () => 0,
  "Deno.statSync": () => Deno.statSync(f),
  "Deno.statSync NotFound": () => {
    try {
      Deno.statSync(`${dir}/missing`);
    } catch { /* expected */ }
  },
  "Deno.readDirSync": () => [...Deno.readDirSync(dir)],
  "Deno.openSync": () => Deno.openSync(f, { read: true }).close(),
  "Deno.readFileSync": () => Deno.readFileSync(f),
  "new TextDecoder": () => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([104, 105])),
  "new TextEncoder": () => new TextEncoder().encode("hi"),
  "Deno.permissions.querySync": () => Deno.permissions.querySync({ name: "sys", kind: "uid" }),
  "new Date(ms)": () => new Date(1_700_000_000_000).getTime(),
};
if (api === "in-turn") {
  // every one, first calls only, one after another in this process: what they cost together
  let total = 0;
  const parts: string[] = [];
  for (const [name, call] of Object.entries(apis)) {
    const t0 = performance.now();
    call();
    const ms = performance.now() - t0;
    total += ms;
    parts.push(`${name} ${ms.toFixed(3)}`);
  }
  console.log(`in turn total ${total.toFixed(3)}: ${parts.join(", ")}`);
} else {
  const call = apis[api];
  if (!call) throw new Error(`no API "${api}": one of ${Object.keys(apis).join(", ")}, in-turn`);
  const t0 = performance.now();
  call();
  const t1 = performance.now();
  call();
  const t2 = performance.now();
  console.log(`${api.padEnd(28)} first ${(t1 - t0).toFixed(3)}  second ${(t2 - t1).toFixed(3)}`);
}
