// usage: ab.ts ROUNDS cmd1 cmd2 ... (each a shell-free string split on spaces); alternated, medians
const rounds = Number(Deno.args[0]);
const cmds = Deno.args.slice(1).map((c) => c.split(" "));
const times: number[][] = cmds.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...cmds.keys()].reverse() : [...cmds.keys()];
  for (const i of order) {
    const home = cmds[i].find((w) => w.startsWith("/tmp/hv"));
    if (home && Deno.env.get("TEMPLATE")) {
      Deno.removeSync(home, { recursive: true });
      await new Deno.Command("cp", { args: ["-r", Deno.env.get("TEMPLATE")!, home] }).output();
    }
    const t0 = performance.now();
    const o = await new Deno.Command(cmds[i][0], { args: cmds[i].slice(1), stdout: "null", stderr: "null" })
      .output();
    const dt = performance.now() - t0;
    if (!o.success) throw new Error(`failed: ${cmds[i].join(" ")}`);
    times[i].push(dt);
  }
}
const med = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
};
const base = med(times[0]);
cmds.forEach((c, i) =>
  console.log(
    `${med(times[i]).toFixed(1)} ms  ${(med(times[i]) / base).toFixed(3)}x  ${c.slice(-2).join(" ")}`,
  )
);
