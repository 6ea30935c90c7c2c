/**
 * A stand-in for a worker that dies mid-job (session_test.ts): starts a runner (in the cgroup
 * given as the first argument, "" for none), gives it the job COMMAND (the second argument),
 * prints the runner's identity as one JSON line once the job has started, and waits to be
 * killed.
 */
import { Runner } from "../runner.ts";

const [cgroup, command, output] = Deno.args;
const runner = await Runner.start({ cgroup: cgroup || null });
const job = runner.run({ id: "orphan", attempt: 1, command, cwd: null, env: {}, output });
await job.started;
console.log(JSON.stringify({ pid: runner.pid, startTime: runner.startTime }));
await new Promise(() => {}); // until killed
