/**
 * Fault: the disk fills up. The home lives on a small tmpfs (or, where mounting is not allowed,
 * commands run under `ulimit -f`, which fails a write past the limit with EFBIG the way a full
 * disk fails it with ENOSPC).
 *
 * 1. CLI: with a few KiB left, single enqueues, a batch enqueue, `config set` and `compact` run
 *    until they fail. Each failure must be exit 1 with one `error:` line naming the cause; the
 *    acknowledged jobs are all there and nothing else; no temp file is left behind. Once space
 *    is freed, the refused commands succeed when run again and `doctor` is clean.
 * 2. Worker: a job fills the disk itself, so its output cannot be written and its finish cannot
 *    be recorded. The worker must keep running (it retries the record, then leaves the job to
 *    lease rescue); once space is freed the job ends `completed` (at-least-once: possibly on a
 *    second attempt) and the store is consistent.
 */
import {
  cli,
  cliJson,
  cliOk,
  type CliResult,
  configure,
  processAlive,
  spawnCli,
  stopBackground,
} from "../../testkit/mod.ts";
import {
  canMount,
  checkConsistent,
  cliFileLimit,
  describe,
  type FaultOptions,
  type FaultReport,
  Findings,
  mountTmpfs,
  oneErrorLine,
  resizeTmpfs,
  spawnCustom,
  waitOr,
  withTempDir,
} from "./common.ts";

const FS_BYTES = 2 * 1024 * 1024;
const HEADROOM = 24 * 1024;
const FULL = /No space left on device|File too large/;
/**
 * The worker's retries, each with the pause it announces: of its loop ("<time> <worker> error: <why>;
 * trying again in <s>s") and of recording a result ("... could not record a result (<why>);
 * retrying in <s>s").
 */
const RETRIES = {
  loop: /^(\S+) w-\S+ error: .*; trying again in ([\d.]+)s$/,
  record: /^(\S+) w-\S+ could not record a result \(.*\); retrying in ([\d.]+)s$/,
};
/** loop retries the worker phase waits for */
const RETRIES_SEEN = 4;

/**
 * The worker must not spin on a full disk: each retry comes at least (about) the pause it announced
 * after the one before of its kind, on the worker's own clock (its lines' timestamps), so a slow
 * machine can only make the gaps longer. Returns the number of gaps checked.
 */
function checkPacing(f: Findings, output: string, phase: string): number {
  let checked = 0;
  let least = Infinity;
  for (const [kind, re] of Object.entries(RETRIES)) {
    const seen = output.split("\n").map((l) => re.exec(l)).filter((m) => m !== null && FULL.test(m[0]));
    for (let i = 1; i < seen.length; i++) {
      const gap = Date.parse(seen[i]![1]) - Date.parse(seen[i - 1]![1]);
      const said = Number(seen[i - 1]![2]) * 1000;
      least = Math.min(least, gap);
      checked++;
      f.expect(
        gap >= said * 0.9,
        `${phase}: the worker retried (${kind}) ${gap} ms after announcing ${said} ms: it spins`,
      );
    }
  }
  f.figure(`${phase}: retry gaps checked, least (ms)`, checked > 0 ? `${checked}, ${least}` : "0");
  return checked;
}

/** How the disk is made full: a tmpfs filled by a filler file, or a per-process file-size limit. */
interface Disk {
  method: "tmpfs" | "ulimit -f";
  /** leaves about HEADROOM bytes for the home's growth */
  fill(): Promise<void>;
  free(): Promise<void>;
  run(args: string[]): Promise<CliResult>;
}

function fillFile(path: string): number {
  const file = Deno.openSync(path, { write: true, create: true, append: true });
  const chunk = new Uint8Array(64 * 1024);
  let written = 0;
  try {
    for (;;) written += file.writeSync(chunk);
  } catch (e) {
    if (!/No space left/.test((e as Error).message)) throw e;
  } finally {
    file.close();
  }
  return written;
}

async function makeDisk(dir: string, home: string, useMount: boolean): Promise<Disk> {
  if (useMount) {
    const fs = `${dir}/fs`;
    await mountTmpfs(fs, FS_BYTES);
    const filler = `${fs}/filler`;
    return {
      method: "tmpfs",
      fill: () => {
        const size = fillFile(filler);
        Deno.truncateSync(filler, Math.max(0, size - HEADROOM));
        return Promise.resolve();
      },
      free: () => {
        Deno.removeSync(filler);
        return Promise.resolve();
      },
      run: (args) => cli(home, args),
    };
  }
  let limit: number | null = null;
  const grown = () => {
    let bytes = 0;
    for (const e of Deno.readDirSync(home)) {
      if (e.isFile) bytes = Math.max(bytes, Deno.statSync(`${home}/${e.name}`).size);
    }
    return bytes;
  };
  return {
    method: "ulimit -f",
    fill: () => {
      limit = Math.ceil((grown() + HEADROOM) / 512);
      return Promise.resolve();
    },
    free: () => {
      limit = null;
      return Promise.resolve();
    },
    run: (args) => limit === null ? cli(home, args) : cliFileLimit(home, args, limit),
  };
}

function command(i: number): string {
  return `echo ${i} ${"x".repeat(4000)}`;
}

async function cliPhase(
  f: Findings,
  dir: string,
  home: string,
  disk: Disk,
  rounds: number,
  acked: Set<string>,
): Promise<void> {
  let refusedTotal = 0;
  for (let round = 1; round <= rounds; round++) {
    await disk.fill();
    // single enqueues until the disk refuses one
    let refused: { id: string; r: CliResult } | null = null;
    for (let i = 0; i < 200 && !refused; i++) {
      const id = `r${round}-j${i}`;
      const r = await disk.run(["enqueue", "--id", id, command(i)]);
      if (r.code === 0) {
        f.expect(r.stdout.trim() === id, `round ${round}: enqueue printed ${JSON.stringify(r.stdout)}`);
        acked.add(id);
      } else refused = { id, r };
    }
    if (!f.expect(refused !== null, `round ${round}: 200 enqueues of 4 KB fit in ${HEADROOM} bytes`)) {
      continue;
    }
    const { id, r } = refused!;
    refusedTotal++;
    f.expect(
      r.code === 1 && oneErrorLine(r) && FULL.test(r.stderr),
      `round ${round}: a refused enqueue should exit 1 with one error line naming the full disk (${
        describe(r)
      })`,
    );
    // a batch, a config edit and a compaction on the full disk fail the same way, atomically
    const batch = `${dir}/batch-${round}.jsonl`;
    Deno.writeTextFileSync(
      batch,
      Array.from({ length: 50 }, (_, k) => JSON.stringify({ id: `r${round}-b${k}`, command: command(k) }))
        .join("\n"),
    );
    const failed: Array<[string, CliResult]> = [
      ["enqueue --file", await disk.run(["enqueue", "--file", batch])],
    ];
    // a snapshot and the config file are new files, smaller than the log: under ulimit -f (a
    // limit per file) they fail only with a limit of 0 blocks, which fails their first byte
    const newFiles = (args: string[]) =>
      disk.method === "tmpfs" ? disk.run(args) : cliFileLimit(home, args, 0);
    failed.push(["compact", await newFiles(["compact"])]);
    // the config file is small: on the tmpfs it fails only when the disk is really full
    if (disk.method === "tmpfs") fillFile(`${dir}/fs/filler`);
    failed.push(["config set", await newFiles(["config", "set", "max-retries", "4"])]);
    for (const [what, res] of failed) {
      refusedTotal++;
      f.expect(
        res.code === 1 && oneErrorLine(res) && FULL.test(res.stderr),
        `round ${round}: ${what} on a full disk should exit 1 with one error line (${describe(res)})`,
      );
    }
    const leftovers = [...Deno.readDirSync(home)].map((e) => e.name).filter((n) => n.endsWith(".tmp"));
    f.expect(
      leftovers.length === 0,
      `round ${round}: temp files left on the full disk: ${leftovers.join(", ")}`,
    );
    // while full, reads still work and the store is what was acknowledged
    await checkConsistent(f, home, acked, `round ${round}, disk full`);
    await disk.free();
    const again = await disk.run(["enqueue", "--id", id, command(0)]);
    if (
      f.expect(
        again.code === 0,
        `round ${round}: the refused enqueue of ${id} failed again after freeing space (${describe(again)})`,
      )
    ) {
      acked.add(id);
    }
    const batchAgain = await disk.run(["enqueue", "--file", batch]);
    if (
      f.expect(
        batchAgain.code === 0,
        `round ${round}: the refused batch failed again (${describe(batchAgain)})`,
      )
    ) {
      for (let k = 0; k < 50; k++) acked.add(`r${round}-b${k}`);
    }
    const compact = await disk.run(["compact"]);
    f.expect(compact.code === 0, `round ${round}: compact after freeing space failed (${describe(compact)})`);
    const config = await disk.run(["config", "set", "max-retries", "4"]);
    f.expect(
      config.code === 0,
      `round ${round}: config set after freeing space failed (${describe(config)})`,
    );
    await checkConsistent(f, home, acked, `round ${round}, space freed`);
  }
  f.figure("commands refused by the full disk", refusedTotal);
  f.figure("jobs acknowledged", acked.size);
}

/** A job that fills the disk itself (once), so that its output and its finish cannot be written. */
function fillingJob(fs: string, marker: string): string {
  return `if [ ! -e ${marker} ]; then : > ${marker}; head -c 64M /dev/zero > ${fs}/jobfiller; fi; ` +
    `echo after the disk filled; true`;
}

async function workerPhase(f: Findings, dir: string, home: string, acked: Set<string>): Promise<number> {
  let paced = 0;
  const fs = `${dir}/fs`;
  await configure(home, { "lease-timeout": 2, "backoff-base": 1, "poll-interval": 0.5 });
  await cliOk(home, ["enqueue", "--id", "filler-job", "--priority", "10", fillingJob(fs, `${fs}/marker`)]);
  acked.add("filler-job");
  const worker = spawnCli(home, ["worker", "start"]);
  try {
    const out = () => worker.output();
    const state = async () =>
      JSON.parse((await cli(home, ["show", "filler-job", "--json"])).stdout || "{}").state;
    // the job's output and its finish meet the full disk (a small record may still fit in the
    // log's last page: then the finish is recorded, else the worker retries and gives it up)
    await waitOr(f, () => FULL.test(out()), "the worker to meet the full disk", 60_000, out);
    // it must not spin (checkPacing): wait for a few retries of its loop, unless the finish fit
    const loops = () => out().split("\n").filter((l) => RETRIES.loop.test(l) && FULL.test(l)).length;
    await waitOr(
      f,
      async () => loops() >= RETRIES_SEEN || (await state()) === "completed",
      `the worker to retry ${RETRIES_SEEN} times on the full disk (or the finish to fit in the log's last page)`,
      60_000,
      out,
    );
    paced += checkPacing(f, out(), "worker phase");
    Deno.removeSync(`${fs}/jobfiller`);
    // its lease expires, the worker takes it back ("worker lost") and runs it again; every other
    // job (claimed while the disk was full, or after) completes too
    await waitOr(
      f,
      async () => (await state()) === "completed",
      "filler-job to complete once space is free",
      60_000,
      out,
    );
    await waitOr(
      f,
      async () => (await cliJson(home, ["status"])).counts.completed === acked.size,
      "every job to complete",
      90_000,
      out,
    );
    f.expect(processAlive(worker.pid), "the worker exited during the full disk");
    const job = JSON.parse((await cli(home, ["show", "filler-job", "--json"])).stdout);
    f.figure("attempts of the job that filled the disk", job.attempts);
    f.figure(
      "tmpfs: its finish was given up (else it fit in the log's last page)",
      /error while running filler-job/.test(out()) ? "yes" : "no",
    );
  } finally {
    const code = await stopBackground(worker);
    f.expect(
      code === 0,
      `the worker exited ${code} after the full disk; output:\n${worker.output().slice(-800)}`,
    );
  }
  await checkConsistent(f, home, acked, "after the worker phase");
  return paced;
}

/** Pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(e.name));
    } catch { /* not a process, or gone */ }
  }
  return out;
}

/**
 * A worker whose finish cannot be recorded, deterministically: it runs under `ulimit -f` just
 * above the log's size, so the claim and `started` records fit and the finish (with its output
 * tail) does not, whatever the page slack of a tmpfs. Once it has given the record up, the limit
 * is lifted (`prlimit`) and the job must be taken back ("worker lost") and completed by a second
 * attempt.
 */
async function givenUpPhase(f: Findings, dir: string): Promise<number> {
  let paced = 0;
  const home = `${dir}/limited/home`;
  await configure(home, { "lease-timeout": 2, "backoff-base": 1, "poll-interval": 0.5 });
  await cliOk(home, ["enqueue", "--id", "tail-job", "yes 0123456789abcde | head -c 1048576; true"]);
  const blocks = Math.ceil((Deno.statSync(`${home}/wal-00000001.jsonl`).size + 1200) / 512);
  const worker = spawnCustom(home, ["worker", "start"], `trap '' XFSZ; ulimit -S -f ${blocks}; exec "$@"`);
  const out = () => worker.output();
  try {
    const gaveUp = await waitOr(
      f,
      () => /error while running tail-job: .*File too large/.test(out()),
      "the give-up",
      60_000,
      out,
    );
    f.expect(
      /could not record a result \(.*File too large/.test(out()),
      "the worker did not retry the record",
    );
    // the record's retries before the give-up are paced (checkPacing)
    paced = checkPacing(f, out(), "given-up finish");
    if (!gaveUp) return paced;
    // "space is freed" for the worker and the spare job shells it started ahead (they inherit
    // the limit, as they would not inherit a full disk)
    for (const pid of [worker.pid, ...childrenOf(worker.pid)]) {
      const lifted = await new Deno.Command("prlimit", { args: ["--pid", String(pid), "--fsize=unlimited"] })
        .output();
      f.expect(
        lifted.success || !processAlive(pid),
        `prlimit failed: ${new TextDecoder().decode(lifted.stderr)}`,
      );
    }
    await waitOr(
      f,
      async () => (await cliJson(home, ["show", "tail-job"])).state === "completed",
      "tail-job to be taken back and completed",
      60_000,
      out,
    );
    const job = await cliJson(home, ["show", "tail-job"]);
    f.expect(
      job.attempts === 2,
      `tail-job took ${job.attempts} attempt(s), not 2 (the first given up, then taken back):\n${out()}`,
    );
    f.expect(/took back tail-job .*worker lost/.test(out()), "the worker did not take its given-up job back");
    f.figure("a finish given up: taken back and completed by attempt", job.attempts);
  } finally {
    const code = await stopBackground(worker);
    f.expect(code === 0, `the worker under ulimit exited ${code}: ${out().slice(-800)}`);
  }
  await checkConsistent(f, home, ["tail-job"], "after the given-up finish");
  return paced;
}

export async function diskFull(options: FaultOptions): Promise<FaultReport> {
  const f = new Findings("disk full");
  await withTempDir("disk", async (dir) => {
    const useMount = await canMount();
    const home = useMount ? `${dir}/fs/home` : `${dir}/home`;
    const disk = await makeDisk(dir, home, useMount);
    let paced = 0;
    f.figure("CLI phase: method", disk.method);
    options.progress(`disk full: ${disk.method}, ${options.quick ? 1 : 3} round(s)`);
    // a few jobs before the disk fills
    const acked = new Set<string>();
    for (let i = 0; i < 3; i++) {
      acked.add((await cliOk(home, ["enqueue", "--id", `before-${i}`, "true"])).trim());
    }
    await cliPhase(f, dir, home, disk, options.quick ? 1 : 3, acked);
    await checkConsistent(f, home, acked, "after the CLI phase");
    if (disk.method === "tmpfs") {
      await resizeTmpfs(`${dir}/fs`, 8 * FS_BYTES); // room for the worker's logs, before the job fills it
      options.progress("disk full: a worker whose job fills the disk");
      f.figure("worker phase: method", "tmpfs filled by the job");
      paced += await workerPhase(f, dir, home, acked);
    } else {
      // a job cannot fill a disk under ulimit -f (the limit is per file): this phase has no
      // fallback, and a run that skipped it must not pass for one that checked it
      f.figure("worker phase: method", "none (mounting a tmpfs is not allowed here)");
      f.expect(
        false,
        "the worker phase (a job fills the disk) needs a tmpfs, and mounting one is not allowed here",
      );
    }
    options.progress("disk full: a worker whose finish cannot be recorded (ulimit -f)");
    f.figure("given-up finish: method", "ulimit -f, lifted by prlimit");
    paced += await givenUpPhase(f, dir);
    // the worker phase may see no retries (its finish may fit in the log's last page); the given-up
    // finish always retries its record: a run that checked no pacing at all checked nothing
    f.expect(paced >= 2, `the spin check saw ${paced} retry gap(s) in all: it checked nothing`);
  });
  return f.report();
}
