/**
 * Regression (review): Worker.#rescue reads the lost jobs (shared lock), kills the process group
 * it saw, and then takes the job back (exclusive lock). Between the read and the write the lease
 * holder may resume (it was only SIGSTOPped, or slow). An expired lease is final, so whatever the
 * holder tries then is refused:
 *
 *  1. recording `started` (it would then let its job go while the rescuer, having seen no group,
 *     kills nothing and takes the job back: two runs at once);
 *  2. renewing the lease (the rescuer would kill the group of a job whose lease is valid again).
 *
 * The lease holder is simulated in-process: it holds a worker lock (alive, as a stopped worker
 * is) and its actions are injected between the rescuer's read and write.
 */
import assert from "node:assert/strict";
import { inProcessWorker, wrapStore } from "../../testkit/worker_harness.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { homePaths } from "../../src/store/paths.ts";
import { processStartTime } from "../../src/worker/proc.ts";
import { WorkerRegistration } from "../../src/worker/registry.ts";
import { killGroup, processAlive, waitFor, withHome } from "../../testkit/mod.ts";
import { claimFor } from "../../testkit/store.ts";

const VICTIM = "w-victim";

interface Setup {
  home: string;
  victim: FileStore;
  rescuerStore: FileStore;
  registration: WorkerRegistration;
  child: Deno.ChildProcess;
  pidStart: number | null;
  cleanup(): Promise<void>;
}

/** In `home`, job "j" claimed by a live worker VICTIM with a 1 s lease; a detached `sleep` stands for its run. */
async function setup(home: string): Promise<Setup> {
  Deno.mkdirSync(`${home}/logs`, { recursive: true });
  const paths = homePaths(home);
  const registration = new WorkerRegistration(paths, VICTIM); // alive: holds its lock
  const victim = new FileStore(home);
  const rescuerStore = new FileStore(home);
  await victim.enqueue([{ id: "j", command: "sleep 30" }], { max_retries: 3 });
  const claimed = await claimFor(victim, VICTIM, 1, 1);
  assert.equal(claimed.length, 1);
  const child = new Deno.Command("sleep", { args: ["30"], detached: true, stdin: "null" }).spawn();
  const pidStart = await processStartTime(child.pid);
  return {
    home,
    victim,
    rescuerStore,
    registration,
    child,
    pidStart,
    async cleanup() {
      killGroup(child.pid);
      await child.status;
      registration.release();
      victim.close();
      rescuerStore.close();
    },
  };
}

function rescuer(s: Setup, store: ReturnType<typeof wrapStore>) {
  return inProcessWorker({ home: s.home, store, config: { lease_timeout: 30 } });
}

async function leaseExpired(store: FileStore): Promise<void> {
  await waitFor(async () => {
    const job = await store.get("j");
    return job!.lease_until! < new Date().toISOString();
  }, "the lease of j to expire");
}

Deno.test("once its lease expired, a holder can no longer record a start, so a taken-back job has no run in flight", () =>
  withHome(async (home) => {
    const s = await setup(home);
    try {
      await leaseExpired(s.victim);
      const store = wrapStore(s.rescuerStore, {
        lost: async (isDead: (w: string) => boolean) => {
          const lost = await s.rescuerStore.lost(isDead);
          assert.equal(lost[0]?.pid, null, "the rescuer sees no group yet");
          // the holder resumes and tries to record its group: refused, so it never sends "go"
          assert.equal(await s.victim.started(VICTIM, "j", 1, s.child.pid, s.pidStart), false);
          return lost;
        },
      });
      await rescuer(s, store).runOnce();
      const job = (await s.victim.get("j"))!;
      assert.equal(job.state, "failed", "taken back as a failed attempt");
      assert.equal(job.last_error, "worker lost");
      assert.equal(job.pid, null);
    } finally {
      await s.cleanup();
    }
  }));

Deno.test("once its lease expired, a holder can no longer renew it, so the rescuer kills only a group it takes back", () =>
  withHome(async (home) => {
    const s = await setup(home);
    try {
      assert.ok(await s.victim.started(VICTIM, "j", 1, s.child.pid, s.pidStart));
      await leaseExpired(s.victim);
      const store = wrapStore(s.rescuerStore, {
        lost: async (isDead: (w: string) => boolean) => {
          const lost = await s.rescuerStore.lost(isDead);
          assert.equal(lost[0]?.pid, s.child.pid);
          // the holder resumes and tries to renew before the rescuer acts on what it read: refused
          await s.victim.renew(VICTIM, 30, ["j"]);
          const after = (await s.victim.get("j"))!;
          assert.ok(after.lease_until! < new Date().toISOString(), "the expired lease was not revived");
          return lost;
        },
      });
      await rescuer(s, store).runOnce();
      const job = (await s.victim.get("j"))!;
      assert.equal(job.state, "failed", "taken back as a failed attempt");
      assert.equal(job.last_error, "worker lost");
      await s.child.status;
      assert.ok(!processAlive(s.child.pid), "the group of the job taken back was killed");
    } finally {
      await s.cleanup();
    }
  }));
