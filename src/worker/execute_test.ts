import assert from "node:assert/strict";
import { type Job, newJob } from "../job.ts";
import {
  type AttemptOptions,
  findSetsid,
  probeUmask,
  type RunningAttempt,
  spawnAttempt,
  Wrapper,
} from "./execute.ts";
import { processStartTime } from "./proc.ts";
import { withHome } from "../../testkit/mod.ts";

function job(command: string, cwd: string | null = null): Job {
  const at = new Date().toISOString();
  return {
    ...newJob({ id: "j", command, max_retries: 1, priority: 0, run_at: at, timeout: null, cwd, seq: 1 }, at),
    attempts: 1,
  };
}

function options(dir: string, attempt = 1): AttemptOptions {
  const setsid = findSetsid();
  return {
    logPath: `${dir}/j.log`,
    wrapper: () => new Wrapper(setsid),
    umask: probeUmask(`${dir}/umask-probe`),
    timeout: 0,
    attempt,
    worker: "w-test",
    now: () => new Date(),
  };
}

async function started(j: Job, o: AttemptOptions): Promise<RunningAttempt> {
  const attempt = await spawnAttempt(j, o);
  assert.ok(!("error" in attempt), JSON.stringify(attempt));
  return attempt;
}

Deno.test("an attempt runs its command as `sh -c` would: newlines, quotes, backslashes, $0 and $#", () =>
  withHome(async (dir) => {
    const command = `printf '%s|' "$0" "$#"\necho "two\\\\lines 'q' \\$HOME-not"; echo err >&2; exit 3`;
    const attempt = await started(job(command, dir), options(dir));
    await attempt.go();
    const { outcome, tail } = await attempt.done;
    assert.deepEqual(outcome, { kind: "exited", code: 3 });
    const output = `/bin/sh|0|two\\lines 'q' $HOME-not\nerr\n`;
    assert.equal(tail, output);
    const log = Deno.readTextFileSync(`${dir}/j.log`).split("\n");
    assert.match(log[0], /^=== attempt 1 of 2 · \S+ · worker w-test ===$/);
    assert.equal(log.slice(1, 3).join("\n") + "\n", output);
    assert.match(log[3], /^=== exit code 3 · [\d.]+s ===$/);
  }, { create: true }));

Deno.test("an attempt's tail holds only its own output, and its log file is private to the user", () =>
  withHome(async (dir) => {
    const first = await started(job("echo first"), options(dir, 1));
    await first.go();
    await first.done;
    const second = await started(job("echo second"), options(dir, 2));
    await second.go();
    assert.equal((await second.done).tail, "second\n");
    assert.equal(Deno.statSync(`${dir}/j.log`).mode! & 0o777, 0o600);
  }, { create: true }));

Deno.test("the command runs in the job's directory with the worker's umask", () =>
  withHome(async (dir) => {
    const cwd = `${dir}/a dir\nwith a newline`;
    Deno.mkdirSync(cwd);
    const attempt = await started(job("pwd; umask", cwd), options(dir));
    await attempt.go();
    const mask = new TextDecoder().decode(
      (await new Deno.Command("/bin/sh", { args: ["-c", "umask"] }).output()).stdout,
    );
    assert.equal((await attempt.done).tail, `${Deno.realPathSync(cwd)}\n${mask}`);
  }, { create: true }));

Deno.test('a wrapper that never gets "go" runs nothing: its start is reported, then it exits', () =>
  withHome(async (dir) => {
    const attempt = await started(job(`touch ${dir}/ran`), options(dir));
    assert.equal(attempt.pidStart, await processStartTime(attempt.pid), "its start time identifies its pid");
    attempt.kill("SIGKILL"); // e.g. its claim was taken back before the start was recorded
    const { outcome } = await attempt.done;
    assert.deepEqual(outcome, { kind: "killed", signal: "SIGKILL" });
    // a spare wrapper whose stdin closes (its worker died) exits without running anything either
    const spare = new Wrapper(findSetsid());
    assert.ok(await spare.ready);
    await spare.dispose();
    assert.equal((await spare.status).code, 125);
    assert.throws(() => Deno.statSync(`${dir}/ran`), Deno.errors.NotFound);
  }, { create: true }));

Deno.test("a job whose directory is gone cannot start, and says so in its log", () =>
  withHome(async (dir) => {
    const attempt = await started(job("echo never", `${dir}/gone`), options(dir));
    await attempt.go();
    const { outcome, tail } = await attempt.done;
    assert.equal(outcome.kind, "spawn_failed");
    assert.match((outcome as { message: string }).message, /^cannot enter .*gone: /);
    assert.equal(tail, null);
    assert.match(Deno.readTextFileSync(`${dir}/j.log`), /=== could not start: cannot enter /);
  }, { create: true }));

Deno.test("probeUmask() tells the process umask, and leaves no directory behind", () =>
  withHome(async (dir) => {
    const mask = new TextDecoder().decode(
      (await new Deno.Command("/bin/sh", { args: ["-c", "umask"] }).output()).stdout,
    ).trim();
    assert.equal(probeUmask(`${dir}/probe`), mask.padStart(4, "0"));
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    assert.equal(probeUmask(`${dir}/missing/probe`), "");
  }, { create: true }));
