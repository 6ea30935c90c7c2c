/**
 * Alternates two builds of the CLI on the same worker call, each on a fresh copy of a template
 * home, and prints every time and the medians. Run by measure.sh.
 *
 *   deno run -A alternate.ts ROUNDS TEMPLATE_HOME A_MAIN_JS B_MAIN_JS -- ARGS...
 *
 * Each round runs `deno run -A <CLI V8 flags> MAIN --home <copy> ARGS...` for A and B (B first
 * in odd rounds), timed from spawn to exit.
 */
const [rounds, template, a, b] = [Number(Deno.args[0]), Deno.args[1], Deno.args[2], Deno.args[3]];
const args = Deno.args.slice(Deno.args.indexOf("--") + 1);
const FLAGS = "--v8-flags=--max-semi-space-size=8,--no-lazy,--no-enable-lazy-source-positions";
const mains = [a, b];
const times: number[][] = [[], []];
const home = await Deno.makeTempDir({ prefix: "worker-start-" });
try {
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 ? [1, 0] : [0, 1]) {
      const copy = `${home}/h`;
      await Deno.remove(copy, { recursive: true }).catch(() => {});
      await new Deno.Command("cp", { args: ["-a", template, copy] }).output();
      const t0 = performance.now();
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", FLAGS, mains[i], "--home", copy, ...args],
        stdout: "null",
        stderr: "null",
      }).output();
      const ms = performance.now() - t0;
      if (!out.success) throw new Error(`${mains[i]} failed (round ${r + 1})`);
      times[i].push(ms);
    }
  }
} finally {
  await Deno.remove(home, { recursive: true });
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const i of [0, 1]) {
  console.log(`${i ? "B" : "A"} ${mains[i]}: median ${median(times[i]).toFixed(1)} ms`);
  console.log(`  ${times[i].map((t) => t.toFixed(1)).join(" ")}`);
}
console.log(`B/A ${(median(times[1]) / median(times[0])).toFixed(3)}`);
