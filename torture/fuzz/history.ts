/**
 * A store with a real history, for the corruption step: jobs enqueued, run and retried by real
 * workers, deleted, compacted several times (small QUEUECTL_COMPACT_AFTER_BYTES and
 * QUEUECTL_PENDING_MIN), so the home holds a log segment, a snapshot, archive segments and a
 * pending segment (some of its jobs used up: run, deleted). The history ends with one `enqueue` of
 * one job (one log line), and the acknowledged state is recorded before and after it: a torn or
 * cut last line must open as one of the two.
 */
import { binaryOk } from "./cli.ts";

/** What `status --json` and `list --json --limit 0` printed: the state as a reader sees it. */
export interface Acknowledged {
  status: string;
  list: string;
}

export interface History {
  home: string;
  /** the state after every acknowledged command */
  ack: Acknowledged;
  /** the state before the last `enqueue` (the log's last line) */
  beforeLast: Acknowledged;
  /** ids of every job in `ack` */
  ids: string[];
}

/** small thresholds: compactions, archive segments and pending segments all come early */
export const COMPACT_ENV = { QUEUECTL_COMPACT_AFTER_BYTES: "6000", QUEUECTL_PENDING_MIN: "4" };

export async function observe(home: string): Promise<Acknowledged> {
  const status = JSON.parse(await binaryOk(home, ["status", "--json"], COMPACT_ENV));
  // workers come and go: the jobs and their counts are the store's state
  return {
    status: JSON.stringify(status.counts),
    list: await binaryOk(home, ["list", "--json", "--limit", "0"], COMPACT_ENV),
  };
}

export async function buildHistory(home: string, progress?: (line: string) => void): Promise<History> {
  const run = (args: string[]) => binaryOk(home, args, COMPACT_ENV);
  await run(["config", "set", "backoff-base", "1"]);
  for (let round = 0; round < 4; round++) {
    const lines = Array.from({ length: 24 }, (_, i) => {
      const id = `r${round}-j${i}`;
      // most succeed (archived at the next compaction); some fail for good (dead, live)
      const command = i % 7 === 3 ? `echo failing ${id}; exit 3` : `echo ran ${id}`;
      return JSON.stringify({ id, command, max_retries: 0, priority: i % 3 });
    });
    const file = `${home}.jobs-${round}.jsonl`;
    Deno.writeTextFileSync(file, lines.join("\n") + "\n");
    try {
      await run(["enqueue", "--file", file]);
    } finally {
      Deno.removeSync(file);
    }
    await run(["worker", "start", "--drain", "--count", "4"]);
    if (round === 1) await run(["delete", "r0-j1", "r1-j2"]); // an archived one (tombstone) and a live one
    if (round === 2) await run(["dlq", "retry", "r0-j3"]);
    if (round === 3) {
      // jobs that wait in a pending segment: due ones (run below, so used up there) and scheduled ones
      const at = Date.now();
      const waiting = Array.from({ length: 10 }, (_, i) =>
        JSON.stringify({
          id: `wait-${i}`,
          command: `echo waited ${i}`,
          priority: i % 2,
          ...(i >= 4 ? { run_at: new Date(at + i * 3600_000).toISOString() } : {}),
        }));
      const file = `${home}.wait.jsonl`;
      Deno.writeTextFileSync(file, waiting.join("\n") + "\n");
      try {
        await run(["enqueue", "--file", file]);
      } finally {
        Deno.removeSync(file);
      }
    }
    await run(["compact"]);
    progress?.(`corrupt: history round ${round + 1}/4`);
  }
  // live jobs in the log after the last compaction: waiting, retried, dead
  await run(["enqueue", "--id", "late-1", "--delay", "1h", "true"]);
  await run(["enqueue", "--id", "late-2", "--priority", "7", "--delay", "2h", "echo two"]);
  await run(["enqueue", "--id", "fail-1", "--max-retries", "0", "exit 9"]);
  await run(["worker", "start", "--drain"]);
  await run(["dlq", "retry", "r1-j10"]);
  await run(["delete", "wait-6"]); // out of its pending segment, out of order
  if (![...Deno.readDirSync(home)].some((e) => /^pending-\d{8}\.jobs$/.test(e.name))) {
    throw new Error("building the history: no pending segment was written");
  }
  const beforeLast = await observe(home);
  await run(["enqueue", "--id", "last-1", "--delay", "3h", "echo last"]);
  const ack = await observe(home);
  const ids = (JSON.parse(ack.list) as Array<{ id: string }>).map((j) => j.id);
  return { home, ack, beforeLast, ids };
}
