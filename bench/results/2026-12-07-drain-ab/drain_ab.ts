/**
 * Alternated drains: each round, for each variant in turn (reversed in odd rounds), a fresh home of
 * JOBS jobs of `true` (one `enqueue --file`, untimed), then `worker start --count 2 --drain` timed
 * from spawn to exit, as jobs/s. A variant is `label=ENV:VALUE,...@MAIN_JS` (the environment is
 * optional: `label=@MAIN_JS`). Prints each variant's median and rounds.
 *
 *   deno run -A drain_ab.ts ROUNDS JOBS VARIANT...
 */
const [rounds, jobs] = [Number(Deno.args[0]), Number(Deno.args[1])];
const variants = Deno.args.slice(2).map((a) => {
  const [label, rest] = a.split("=", 2) as [string, string];
  const [envPart, main] = rest.includes("@") ? rest.split("@") : ["", rest];
  const env: Record<string, string> = {};
  for (const kv of envPart.split(",").filter(Boolean)) {
    const [k, v] = kv.split(":");
    env[k] = v;
  }
  return { label, main, env };
});
const F = "--v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions";
const file = "/tmp/drain_ab_jobs.jsonl";
Deno.writeTextFileSync(file, `${JSON.stringify({ command: "true" })}\n`.repeat(jobs));
const times: number[][] = variants.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...variants.keys()].reverse() : [...variants.keys()];
  for (const i of order) {
    const v = variants[i];
    const home = `/tmp/drain_ab_home_${i}`;
    try {
      Deno.removeSync(home, { recursive: true });
    } catch { /* first */ }
    await new Deno.Command("deno", {
      args: ["run", "-A", F, v.main, "--home", home, "enqueue", "--file", file],
      stdout: "null",
      stderr: "null",
    }).output();
    const t0 = performance.now();
    const o = await new Deno.Command("deno", {
      args: ["run", "-A", F, v.main, "--home", home, "worker", "start", "--count", "2", "--drain"],
      env: v.env,
      stdout: "null",
      stderr: "null",
    }).output();
    const dt = performance.now() - t0;
    if (!o.success) throw new Error(`failed ${v.label}`);
    times[i].push(jobs / (dt / 1000));
  }
}
const med = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};
variants.forEach((v, i) =>
  console.log(
    `${v.label}: median ${med(times[i]).toFixed(0)} jobs/s  [${times[i].map((t) => t.toFixed(0)).join(" ")}]`,
  )
);
