/**
 * Torture step "corruption": a store with a real history (fuzz/history.ts), then many seeded
 * trials, each on a fresh copy with one file damaged (fuzz/damage.ts: byte flips, truncations,
 * torn appends, duplicated, swapped and deleted lines in the log, the snapshot and the archive
 * files), judged by fuzz/trial.ts: never open silently wrong, refuse naming file and line,
 * `doctor` finds it, `doctor --repair` quarantines it, then everything works again.
 */
import { damage, DAMAGE_KINDS } from "./fuzz/damage.ts";
import { buildHistory, observe } from "./fuzz/history.ts";
import { rng } from "./fuzz/rng.ts";
import { judgeTrial } from "./fuzz/trial.ts";
import { belowFloors, scaled } from "./lib/floors.ts";
import type { Figure, Step } from "./step.ts";

function copyDir(from: string, to: string): void {
  Deno.mkdirSync(to, { mode: Deno.statSync(from).mode! & 0o7777 });
  for (const e of Deno.readDirSync(from)) {
    if (e.isDirectory) copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) Deno.copyFileSync(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** The store files a trial may damage: the log segment, the snapshot, the archive segments. */
function storeFiles(home: string): string[] {
  return [...Deno.readDirSync(home)]
    .filter((e) => e.isFile && /^(wal-\d+\.jsonl|snapshot-\d+\.snap|archive-\d+\.(jobs|index))$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** "wal", "snapshot", "archive-jobs" or "archive-index": the column a trial is counted in. */
function fileKind(name: string): string {
  return name.startsWith("wal-")
    ? "wal"
    : name.startsWith("snapshot-")
    ? "snapshot"
    : name.endsWith(".jobs")
    ? "archive-jobs"
    : "archive-index";
}

const QUICK_TRIALS = 20;

interface Tally {
  trials: number;
  exact: number;
  tail: number;
  refused: number;
  repaired: number;
  violations: number;
}

export const corruptStep: Step = async (options) => {
  const started = performance.now();
  const dir = Deno.makeTempDirSync({ prefix: "qctl-corrupt-" });
  const violations: Array<[number, string]> = [];
  const byKind = new Map<string, Tally>();
  const byFile = new Map<string, number>();
  const trials = options.quick ? QUICK_TRIALS : 400;
  try {
    const history = await buildHistory(`${dir}/pristine`, options.progress);
    const files = storeFiles(history.home);

    const r = rng(options.seed);
    // every trial's damage is drawn first, in order, so a seed means the same trials however they run
    const plans = Array.from({ length: trials }, () => {
      for (;;) {
        const name = r.pick(files);
        const kind = r.pick(DAMAGE_KINDS);
        const damaged = damage(
          r,
          kind,
          Deno.readFileSync(`${history.home}/${name}`),
          name.startsWith("wal-"),
        );
        if (damaged) return { name, kind, damaged };
      }
    });
    const runTrial = async (t: number) => {
      const { name, kind, damaged } = plans[t];
      const home = `${dir}/trial-${t}`;
      copyDir(history.home, home);
      Deno.writeFileSync(`${home}/${name}`, damaged.bytes);
      const prefixState = async () => {
        // the same store with its log cut at the line boundary: what a torn cut must open as
        const ref = `${dir}/ref-${t}`;
        copyDir(history.home, ref);
        const bytes = Deno.readFileSync(`${ref}/${name}`);
        let at = 0;
        for (let i = 0; i < damaged.cutLine!; i++) at = bytes.indexOf(0x0a, at) + 1;
        Deno.writeFileSync(`${ref}/${name}`, bytes.subarray(0, at));
        try {
          return await observe(ref);
        } finally {
          Deno.removeSync(ref, { recursive: true });
        }
      };
      const result = await judgeTrial(history, home, name, damaged, prefixState);
      const tally = byKind.get(kind) ??
        { trials: 0, exact: 0, tail: 0, refused: 0, repaired: 0, violations: 0 };
      byKind.set(kind, tally);
      tally.trials++;
      byFile.set(fileKind(name), (byFile.get(fileKind(name)) ?? 0) + 1);
      if (result.outcome === "refused") tally.refused++;
      else if (result.opened === "exact") tally.exact++;
      else tally.tail++;
      if (result.repaired) tally.repaired++;
      if (result.violations.length > 0) {
        tally.violations++;
        for (const v of result.violations) {
          violations.push([t, `seed ${options.seed} trial ${t}: ${name} ${kind} (${damaged.detail}): ${v}`]);
        }
      }
      Deno.removeSync(home, { recursive: true });
    };
    // two trials at a time: each is a chain of short CLI processes, mostly waiting on each other
    let next = 0;
    let finished = 0;
    const lane = async () => {
      while (next < trials) {
        await runTrial(next++);
        if (++finished % 20 === 0) options.progress?.(`corrupt: ${finished}/${trials} trials`);
      }
    };
    await Promise.all([lane(), lane()]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  const total = (f: keyof Tally) => [...byKind.values()].reduce((n, k) => n + k[f], 0);
  const figures: Figure[] = [
    { label: "trials", value: total("trials") },
    {
      label: "damaged files (wal/snapshot/archive jobs/index)",
      value: ["wal", "snapshot", "archive-jobs", "archive-index"].map((k) => byFile.get(k) ?? 0).join("/"),
    },
    ...DAMAGE_KINDS.filter((k) => byKind.has(k)).map((k) => {
      const t = byKind.get(k)!;
      return {
        label: `${k}: opened exact / opened as torn tail / refused naming file / repaired`,
        value: `${t.exact} / ${t.tail} / ${t.refused} / ${t.repaired}`,
      };
    }),
    { label: "trials refused naming the file", value: total("refused") },
    { label: "trials repaired by doctor --repair", value: total("repaired") },
  ];
  const sorted = violations.sort((x, y) => x[0] - y[0]).map(([, v]) => v);
  // floors: every trial was judged, and real damage was met and repaired (quick, seed 2: 20 trials,
  // 10 refused, 18 repaired; the 400-trial run refused 251 and repaired 372)
  sorted.push(...belowFloors(
    figures,
    scaled({
      "trials": QUICK_TRIALS,
      "trials refused naming the file": 3,
      "trials repaired by doctor --repair": 5,
    }, trials / QUICK_TRIALS),
  ));
  figures.push({ label: "violations", value: total("violations") + sorted.length - violations.length });
  return { name: "corruption", figures, violations: sorted, seconds: (performance.now() - started) / 1000 };
};
