/**
 * Step "unique": a unique key is held by one live job at a time, however many enqueuers race
 * for it. Enqueuer loops (one `enqueue --unique KEY` process after another, and now and then a
 * batch through --file whose lines may share a key) pick among a few keys while workers run the
 * jobs (each takes a fraction of a second), so keys are taken, absorbed and freed over and over.
 * Then: the jobs holding a key, in creation order, each ended before the next was created;
 * their runs never overlap (ledger); each enqueue that was not absorbed made exactly one job, and
 * each absorbed one printed a job holding its key, with a note on stderr.
 */
import { cliJson, runCli, untilNoLiveJob } from "./lib/cli.ts";
import { Crew } from "./lib/crew.ts";
import { makeScratch, readText, removeScratch, writeConfig } from "./lib/home.ts";
import { jobCommand, parseLedger } from "./lib/ledger.ts";
import { deriveSeed, type Rng, rng } from "./lib/prng.ts";
import { checkUniqueKeys, type ShapedJob, type UniqueEnqueue } from "./lib/shaping.ts";
import type { Step, StepResult } from "./step.ts";

const WORKERS = 2;
const SLOTS = 3;
const CONFIG = { poll_interval: 0.2 };

export const uniqueKeysStep: Step = async (options): Promise<StepResult> => {
  const t0 = performance.now();
  const keys = Array.from({ length: options.quick ? 3 : 6 }, (_, i) => `key-${i}`);
  const enqueuers = options.quick ? 6 : 12;
  const seconds = options.quick ? 15 : 90;
  const floor = { enqueues: options.quick ? 30 : 300, absorbed: options.quick ? 10 : 100 };
  const s = makeScratch("torture-unique-");
  const violations: string[] = [];
  const crew = new Crew(s.home, SLOTS, violations);
  const seen: UniqueEnqueue[] = [];
  try {
    writeConfig(s, CONFIG);
    crew.start(WORKERS);
    await crew.started();
    options.progress(`unique: ${enqueuers} enqueuers racing for ${keys.length} keys for ${seconds} s`);
    const end = Date.now() + seconds * 1000;
    const loop = async (k: number, r: Rng) => {
      for (let n = 0; Date.now() < end; n++) {
        const size = r.chance(0.2) ? r.int(2, 4) : 1;
        const lines = Array.from({ length: size }, (_, i) => {
          const id = `e${k}-${n}-${i}`;
          const command = jobCommand(s.ledger, id, { sleep: r.int(3, 10) / 10, exit: 0, attemptToken: true });
          return { id, key: r.pick(keys), command };
        });
        let args: string[];
        if (size === 1) args = ["enqueue", "--id", lines[0].id, "--unique", lines[0].key, lines[0].command];
        else {
          const file = `${s.dir}/batch-${k}-${n}.jsonl`;
          const json = lines.map((l) => JSON.stringify({ id: l.id, unique: l.key, command: l.command }));
          Deno.writeTextFileSync(file, json.join("\n") + "\n");
          args = ["enqueue", "--file", file];
        }
        const e = await runCli(s.home, args);
        if (e.code !== 0) {
          violations.push(`enqueue of ${lines[0].id}.. exited ${e.code}: ${e.stderr.trim()}`);
          continue;
        }
        const printed = e.stdout.split("\n").filter((l) => l !== "");
        if (printed.length !== size) {
          violations.push(`enqueue of ${lines[0].id}.. printed ${JSON.stringify(e.stdout)}`);
        }
        const notes = e.stderr.split("\n").filter((l) => l.startsWith("note: "));
        lines.forEach((l, i) =>
          seen.push({ key: l.key, id: printed[i] ?? "?", absorbed: printed[i] !== l.id })
        );
        const absorbed = lines.filter((l, i) => printed[i] !== l.id).length;
        if (notes.length !== absorbed) {
          violations.push(
            `enqueue of ${lines[0].id}.. absorbed ${absorbed} job(s) but wrote ${notes.length} note(s)`,
          );
        }
      }
    };
    await Promise.all(
      Array.from({ length: enqueuers }, (_, k) => loop(k, rng(deriveSeed(options.seed, k, 0x0417)))),
    );
    await untilNoLiveJob(s.home, 300_000, 300);
    await crew.stop();
    crew.leftovers(s.dir);

    const jobs = await cliJson<ShapedJob[]>(s.home, ["list", "--limit", "0"]);
    for (const j of jobs) {
      if (j.state !== "completed") violations.push(`job ${j.id} ended ${j.state} (${j.last_error})`);
    }
    const { events, bad } = parseLedger(readText(s.ledger));
    if (bad.length > 0) violations.push(`ledger lines ${bad.slice(0, 10).join(", ")} do not parse`);
    const checked = checkUniqueKeys(events, jobs, seen);
    violations.push(...checked.violations);
    const absorbed = seen.filter((e) => e.absorbed).length;
    if (seen.length < floor.enqueues) {
      violations.push(`only ${seen.length} enqueues, fewer than ${floor.enqueues}`);
    }
    if (absorbed < floor.absorbed) {
      violations.push(`only ${absorbed} enqueues absorbed, fewer than ${floor.absorbed}`);
    }
    if (checked.retaken < keys.length) {
      violations.push(
        `only ${checked.retaken} of ${keys.length} keys were taken again after their job ended`,
      );
    }
    return {
      name: "unique",
      figures: [
        { label: "keys", value: keys.length },
        { label: "enqueuers racing", value: enqueuers },
        { label: "jobs asked for (enqueue lines)", value: seen.length },
        { label: "absorbed by a live job", value: absorbed },
        { label: "jobs made", value: jobs.length },
        { label: "runs (ledger)", value: events.filter((e) => e.kind === "start").length },
        { label: "violations", value: violations.length },
      ],
      violations: violations.length > 50
        ? [...violations.slice(0, 50), `... and ${violations.length - 50} more`]
        : violations,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    crew.dispose(s.dir);
    removeScratch(s);
  }
};
