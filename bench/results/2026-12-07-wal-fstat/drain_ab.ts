// Alternated drains of JOBS `true` with `worker start --count 2 --drain`, one build of the CLI
// against another, run as installed (the CLI's permission flags, src/cli/run_flags.ts): jobs per
// second of each whole call, and CPU time per job of the call and every process it waited for
// (GNU time: the worker, its runners and their jobs).
//
//   deno run -A drain_ab.ts ROUNDS JOBS LABEL=DIST_MAIN_JS LABEL=DIST_MAIN_JS
//
// DIST_MAIN_JS is dist/main.js of a `deno task build`. Each round runs every build once, in turns
// (the order reversed every other round), each into a fresh home filled by one `enqueue --file`.
import { CLI_FLAGS } from "../../../src/cli/run_flags.ts";

const [rounds, jobs] = [Number(Deno.args[0]), Number(Deno.args[1])];
const builds = Deno.args.slice(2).map((arg) => {
  const at = arg.indexOf("=");
  return { label: arg.slice(0, at), main: arg.slice(at + 1) };
});
const dir = Deno.makeTempDirSync({ prefix: "drain-ab-" });
const file = `${dir}/jobs.jsonl`;
Deno.writeTextFileSync(file, `${JSON.stringify({ command: "true" })}\n`.repeat(jobs));
const rates: number[][] = builds.map(() => []);
const cpu: number[][] = builds.map(() => []);
const quiet = { stdout: "null", stderr: "null" } as const;
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...builds.keys()].reverse() : [...builds.keys()];
    for (const i of order) {
      const home = `${dir}/home-${i}`;
      try {
        Deno.removeSync(home, { recursive: true });
      } catch { /* the first round's */ }
      await new Deno.Command("deno", {
        args: ["run", ...CLI_FLAGS, builds[i].main, "--home", home, "enqueue", "--file", file],
        ...quiet,
      }).output();
      const t0 = performance.now();
      const run = await new Deno.Command("/usr/bin/time", {
        args: [
          "-f",
          "CPU %U %S",
          "deno",
          "run",
          ...CLI_FLAGS,
          builds[i].main,
          "--home",
          home,
          "worker",
          "start",
          "--count",
          "2",
          "--drain",
        ],
        stdout: "null",
        stderr: "piped",
      }).output();
      const ms = performance.now() - t0;
      if (!run.success) throw new Error(`the drain of ${builds[i].label} failed`);
      const m = /CPU ([\d.]+) ([\d.]+)/.exec(new TextDecoder().decode(run.stderr));
      if (!m) throw new Error("GNU time printed no CPU line");
      rates[i].push(jobs / (ms / 1000));
      cpu[i].push(((Number(m[1]) + Number(m[2])) * 1000) / jobs);
    }
  }
} finally {
  Deno.removeSync(dir, { recursive: true });
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
builds.forEach((b, i) => {
  console.log(
    `${b.label}: median ${median(rates[i]).toFixed(0)} jobs/s [${
      rates[i].map((t) => t.toFixed(0)).join(" ")
    }]; ` +
      `CPU per job median ${median(cpu[i]).toFixed(3)} ms [${cpu[i].map((t) => t.toFixed(3)).join(" ")}]`,
  );
});
