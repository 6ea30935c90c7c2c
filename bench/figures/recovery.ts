/**
 * Opening a home after a crash: a writer appends a log tail on top of the history (automatic
 * compaction off, so the tail stays in the log) and is killed with SIGKILL in the middle of
 * writing; then `status` (which opens the snapshot and replays the tail) is timed, and so is the
 * first `enqueue`, the first writer, which also repairs a torn last record.
 * Ends the history's life: the jobs left processing name a dead worker, and no worker may run here.
 */
import type { Bench } from "../context.ts";
import type { PopulatedHome } from "../populated.ts";
import { eachLine, helper, queuectl, spawnDeno, timed } from "../process.ts";
import { type Result, result } from "../report.ts";
import { summarize } from "../stats.ts";

/** QUEUECTL_COMPACT_AFTER_BYTES large enough that no write compacts the tail away. */
const NO_COMPACTION = { QUEUECTL_COMPACT_AFTER_BYTES: String(2 ** 50) };

/** Size of the home's log files, and whether one ends in a partial line (a torn append). */
function logTail(home: string): { bytes: number; torn: boolean } {
  let bytes = 0;
  let torn = false;
  for (const e of Deno.readDirSync(home)) {
    if (!e.isFile || !e.name.endsWith(".jsonl")) continue;
    const path = `${home}/${e.name}`;
    const size = Deno.statSync(path).size;
    bytes += size;
    if (size === 0) continue;
    const f = Deno.openSync(path);
    try {
      const last = new Uint8Array(1);
      f.seekSync(size - 1, Deno.SeekMode.Start);
      f.readSync(last);
      if (last[0] !== 0x0a) torn = true;
    } finally {
      f.close();
    }
  }
  return { bytes, torn };
}

export async function recovery(bench: Bench, history: PopulatedHome): Promise<Result[]> {
  const { tailRecords: target, recoveryRuns: runs } = bench.sizes;
  const size = history.jobs.toLocaleString("en-US");
  const tail = target.toLocaleString("en-US");
  bench.progress(`recovery: appending a ${tail}-record tail to ${size} jobs, then kill -9`);
  const writer = spawnDeno(bench, helper(bench, "tail_writer.ts", "--home", history.home), {
    stdout: "piped",
    stderr: "piped",
  });
  let written = 0;
  let killed = false;
  const stderr = new Response(writer.stderr).text();
  await eachLine(writer.stdout, (line) => {
    written = Number(line);
    bench.tick(`  ${written} records`);
    if (!killed && written >= target) {
      killed = true;
      writer.kill("SIGKILL"); // it is already writing the next records
    }
  });
  const status = await writer.status;
  if (!killed) {
    throw new Error(
      `Cannot measure recovery: the tail writer exited with code ${status.code}: ${await stderr}`,
    );
  }
  const log = logTail(history.home);
  bench.progress(
    `  killed after ${written} records; log ${(log.bytes / 1024 / 1024).toFixed(1)} MB, ${
      log.torn ? "a torn last record" : "no torn record"
    }; timing ${runs} × status`,
  );
  const opens: number[] = [];
  for (let i = 0; i < runs; i++) {
    bench.tick(`  run ${i + 1} of ${runs}`);
    opens.push(
      (await timed(bench, queuectl(bench, history.home, "status"), { env: NO_COMPACTION })).ms / 1000,
    );
  }
  const first = await timed(bench, queuectl(bench, history.home, "enqueue", "--delay", "1000d", "true"), {
    env: NO_COMPACTION,
  });
  const what = `${size} jobs + ${tail}-record tail after kill -9`;
  const how = `killed after ${written} records; ${(log.bytes / 1024 / 1024).toFixed(1)} MB of log${
    log.torn ? ", ending in a torn record" : ""
  }`;
  return [
    result({ figure: `open (status), ${what}`, unit: "s", value: summarize(opens), note: how }),
    result({
      figure: `first enqueue, ${what}`,
      unit: "s",
      value: summarize([first.ms / 1000]),
      note:
        "the first writer: replays the tail, and would truncate a torn last record (automatic compaction off)",
    }),
  ];
}
