/**
 * Scale check of pending segments (a script, not a test): writes one segment of 1,000,000
 * pending jobs and reports what writing it costs (time, memory) and what a reader pays on it: a
 * lookup by id, a claim's read of a list head, a step of a list cursor, the newest 20 jobs; then
 * a rewrite of what is left once most of it is consumed, and a full verify.
 *
 *   deno run -A --v8-flags=--expose-gc bench/pending_scale.ts [--jobs 1000000] [--in-memory]
 *
 * Each part runs in a process of its own (this script, started again with --phase), so each peak
 * RSS is that process's alone: VmHWM from /proc/self/status (hence -A). The reading part is what
 * a worker or a CLI call pays next to a million pending jobs.
 *
 * Writing: by default the jobs are made on the fly from their index (the writer takes any
 * ArrayLike), so the process holds none of them; with --in-memory they are all built first, as a
 * compaction holds them, and the RSS the write adds is reported. RSS also holds garbage the GC
 * has not collected yet (V8 lets it grow with the live heap), so the writer's live memory is
 * reported too: heap and typed arrays after a full GC, when its columns are all built, over what
 * was live before (this is why --expose-gc).
 *
 * Ids are like generated ones: a time prefix shared by a batch of 100,000 and a random-looking
 * tail, so they are not in seq order and the index must be sorted.
 */
import { newJob } from "../src/job.ts";
import { homePaths } from "../src/store/paths.ts";
import { type PendingJob, PendingReader, type PendingSegment } from "../src/store/pending.ts";
import { verifySegment } from "../src/store/pending_verify.ts";
import { rewriteSegments, writePendingSegment } from "../src/store/pending_write.ts";
import { type Consumption, NOTHING_CONSUMED } from "../src/store/pending_consumption.ts";
import { flagValue } from "./helper_args.ts";

const value = (name: string, fallback: string) => flagValue(Deno.args, name) ?? fallback;
const JOBS = Number(value("--jobs", "1000000"));
const NOW = new Date("2026-11-23T13:00:00.000Z");
const CREATED = "2026-11-23T12:00:00.000Z";
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

type Row = [figure: string, value: string];

function base32(n: number, digits: number): string {
  let s = "";
  for (let i = 0; i < digits; i++) {
    s = ALPHABET[n % 32] + s;
    n = Math.floor(n / 32);
  }
  return s;
}

/** The id of job i: a time prefix per batch of 100,000, and a tail that looks random. */
function idOf(i: number): string {
  const batch = Math.floor(i / 100_000);
  // a bijection of i onto 40 bits (odd multiplier), so ids are distinct
  const tail = (i * 0x9e3779b1 + 12345) % 2 ** 40;
  return base32(NOW.getTime() - 3600_000 + batch, 10) + base32(tail, 8);
}

/** Job i: 80% queue "default", 15% "mail", 5% "reports"; priorities mostly 0; 10% scheduled. */
function makeJob(i: number): PendingJob {
  const job = newJob({
    id: idOf(i),
    command: `/usr/local/bin/process-item --item ${i} --verbose`,
    max_retries: 3,
    priority: i % 10 === 0 ? 5 : i % 37 === 0 ? -1 : 0,
    run_at: CREATED,
    timeout: null,
    cwd: "/home/user/project",
    seq: i + 1,
  }, CREATED);
  const queue = i % 20 < 16 ? "default" : i % 20 < 19 ? "mail" : "reports";
  const runAt = i % 10 === 3 ? new Date(NOW.getTime() + (i % 86_400) * 1000).toISOString() : null;
  return { ...job, queue, run_at: runAt };
}

function status(key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) * 1024 : NaN;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The median of `fn`'s wall time over `n` calls, in ms, each given its index. */
function median(n: number, fn: (i: number) => void): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)];
}

function timed<T>(fn: () => T): { result: T; ms: number } {
  const t0 = performance.now();
  const result = fn();
  return { result, ms: performance.now() - t0 };
}

const gc = (globalThis as { gc?: () => void }).gc;
/** Heap and typed arrays in use after a full GC. */
function live(): number {
  gc!();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

function writePhase(home: string, inMemory: boolean): Row[] {
  const paths = homePaths(home);
  let jobs: ArrayLike<PendingJob> = inMemory
    ? Array.from({ length: JOBS }, (_, i) => makeJob(i))
    : new Proxy({ length: JOBS } as ArrayLike<PendingJob>, {
      get: (target, key) => (key === "length" ? target.length : makeJob(Number(key))),
    });
  const liveBefore = gc ? live() : NaN;
  let liveWriter = NaN;
  let writtenAt = 0;
  let syncMs = 0;
  let gcMs = 0;
  Deno.writeTextFileSync("/proc/self/clear_refs", "5"); // VmHWM from here on
  const rssBefore = status("VmRSS");
  const w = timed(() =>
    writePendingSegment(paths, 1, jobs, NOW, (step) => {
      // fsync time: from each file's "written" to its "synced"
      if (step.endsWith("-written")) writtenAt = performance.now();
      if (step.endsWith("-synced") && !step.endsWith("dir-synced")) syncMs += performance.now() - writtenAt;
      if (gc && step === "pending-jobs-written") {
        const t0 = performance.now();
        liveWriter = live() - liveBefore;
        gcMs = performance.now() - t0;
        writtenAt += gcMs;
      }
    })
  );
  const peak = status("VmHWM");
  jobs = [];
  const seg = w.result;
  Deno.writeTextFileSync(`${home}/segment.json`, JSON.stringify(seg));
  return [
    ["jobs", `${JOBS.toLocaleString("en")}${inMemory ? " (held in memory)" : " (made on the fly)"}`],
    [
      "write",
      `${secs(w.ms - gcMs)} (${
        Math.round(JOBS / ((w.ms - gcMs) / 1000)).toLocaleString("en")
      } jobs/s), of which fsync ${secs(syncMs)}`,
    ],
    [
      "write: peak RSS",
      `${mb(peak)}; RSS before ${mb(rssBefore)}, so the write added ${mb(peak - rssBefore)}`,
    ],
    [
      "write: writer's live memory",
      gc ? `${mb(liveWriter)} (heap + typed arrays after a full GC)` : "needs --expose-gc",
    ],
    ["files", `.jobs ${mb(seg.bytes)}, .index ${mb(seg.index_bytes)}, .order ${mb(seg.order_bytes)}`],
    ["lists", seg.lists.map((l) => `${l.queue}/${l.kind} ${l.count.toLocaleString("en")}`).join(", ")],
  ];
}

function readSegment(home: string): PendingSegment {
  return JSON.parse(Deno.readTextFileSync(`${home}/segment.json`));
}

/** What a CLI call or a worker pays: fresh readers, as a new process has. */
function readPhase(home: string): Row[] {
  const paths = homePaths(home);
  const seg = readSegment(home);
  const rows: Row[] = [];
  let reader = new PendingReader(paths);
  const firstLookup = median(1, () => reader.lookup(seg, idOf(123_456 % JOBS)));
  const probes = Array.from({ length: 10_000 }, (_, i) => idOf((i * 7919) % JOBS));
  const lookup = median(probes.length, (i) => {
    if (reader.lookup(seg, probes[i])?.job.id !== probes[i]) throw new Error(`lookup of ${probes[i]} failed`);
  });
  const missing = median(1000, (i) => {
    if (reader.lookup(seg, `${probes[i]}x`) !== null) throw new Error("a missing id was found");
  });
  rows.push(
    ["lookup by id, the first (opens the files)", us(firstLookup)],
    ["lookup by id (median of 10,000)", us(lookup)],
    ["lookup of a missing id (median of 1,000)", us(missing)],
  );
  reader.close();

  reader = new PendingReader(paths);
  const firstHead = median(1, () => reader.at(seg, 0, 0));
  let c: Consumption = NOTHING_CONSUMED;
  // half the first list at most: the walk below needs entries left (a small --jobs has few)
  const claims = Math.min(10_000, Math.floor(seg.lists[0].count / 2));
  const claim = median(claims, () => {
    // a claim reads its list's head entry and that job, then consumes it
    const { job } = reader.at(seg, 0, c.prefix);
    if (job.seq < 1) throw new Error("no job");
    c = { prefix: c.prefix + 1, exceptions: [] };
  });
  rows.push(
    ["list head + its job, the first (opens the files)", us(firstHead)],
    [`claim read: head entry + its job (median of ${claims.toLocaleString("en")})`, us(claim)],
    ["reading process: peak RSS after lookups and claims", mb(status("VmHWM"))],
  );

  const steps = Math.min(200_000, seg.lists[0].count - c.prefix);
  const walk = timed(() => {
    let n = 0;
    for (const { entry } of reader.walk(seg, 0, c)) if (entry.seq < 1 || ++n === steps) break;
    return n;
  });
  rows.push([
    `cursor step (a walk of ${walk.result.toLocaleString("en")} entries)`,
    `${us(walk.ms / walk.result)} each`,
  ]);

  const take20 = (it: Iterable<{ job: PendingJob }>) => {
    const out: number[] = [];
    for (const p of it) if (out.push(p.job.seq) === 20) break;
    return out;
  };
  const newest = timed(() => take20(reader.scanBackward(seg)));
  const middle = timed(() => take20(reader.scan(seg, Math.floor(JOBS / 2))));
  rows.push(
    ["newest 20 by seq (scanBackward)", `${newest.ms.toFixed(2)} ms`],
    ["20 past a seq in the middle (scan, bisected)", `${middle.ms.toFixed(2)} ms`],
    ["reading process: peak RSS at the end", mb(status("VmHWM"))],
  );
  reader.close();
  return rows;
}

function rewritePhase(home: string): Row[] {
  const seg = readSegment(home);
  const reader = new PendingReader(homePaths(home));
  // 95% of each list consumed from its head
  const consumption = new Map([[
    1,
    seg.lists.map((l) => ({ prefix: Math.floor(l.count * 0.95), exceptions: [] })),
  ]]);
  const rss = status("VmRSS");
  const rw = timed(() => rewriteSegments(reader, [seg], consumption, 2, new Date(NOW.getTime() + 3600_000)));
  reader.close();
  return [[
    "rewrite of the 5% left",
    `${rw.result.jobs.toLocaleString("en")} jobs (${mb(rw.result.bytes)}) in ${secs(rw.ms)}; peak RSS ${
      mb(status("VmHWM"))
    } (${mb(rss)} before)`,
  ]];
}

function verifyPhase(home: string): Row[] {
  const seg = readSegment(home);
  const reader = new PendingReader(homePaths(home));
  const v = timed(() => verifySegment(reader, seg));
  reader.close();
  return [["verify (doctor), all three files", `${secs(v.ms)}; peak RSS ${mb(status("VmHWM"))}`]];
}

async function child(phase: string, home: string, extra: string[] = []): Promise<Row[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      import.meta.filename!,
      "--phase",
      phase,
      "--home",
      home,
      "--jobs",
      String(JOBS),
      ...extra,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`The ${phase} phase failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const phase = value("--phase", "");
if (phase) {
  const home = value("--home", "");
  const rows = phase === "write"
    ? writePhase(home, Deno.args.includes("--in-memory"))
    : phase === "read"
    ? readPhase(home)
    : phase === "rewrite"
    ? rewritePhase(home)
    : verifyPhase(home);
  console.log(JSON.stringify(rows));
} else {
  const home = Deno.makeTempDirSync({ prefix: "qpending-scale-" });
  try {
    const rows: Row[] = [];
    for (const p of ["write", "read", "rewrite", "verify"]) {
      console.error(`${p}…`);
      rows.push(
        ...await child(p, home, p === "write" && Deno.args.includes("--in-memory") ? ["--in-memory"] : []),
      );
    }
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
}
