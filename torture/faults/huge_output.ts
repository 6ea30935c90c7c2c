/**
 * Fault: a job writes a huge output (1 GiB in the torture run, 64 MiB in `deno task test`).
 *
 * The job's output goes straight to its slot's output file through one descriptor (runner.sh),
 * so the worker never holds it: its peak RSS must stay flat (under RSS_LIMIT_MB). `show` prints
 * only the record's tail (≤ 1 KiB) and stays fast; `logs` streams the attempt's range of that
 * file in 64 KiB reads (output/job_log.ts), so its RSS stays flat too, and it prints every byte. `logs --json` puts the whole output in one JSON
 * string: above its documented cap it refuses with one `error:` line instead of running out of
 * memory.
 */
import { attemptHeader, closingLine } from "../../src/output/job_log.ts";
import { cli, cliOk, type CliOptions, DENO, MAIN, spawnCli, stopBackground } from "../../testkit/mod.ts";
import {
  checkConsistent,
  describe,
  type FaultOptions,
  type FaultReport,
  Findings,
  memoryKb,
  oneErrorLine,
  withTempDir,
} from "./common.ts";

const RSS_LIMIT_MB = 150;
const MB = 1024 * 1024;

/** Polls VmHWM of `pid` until `done` settles; returns the peak in MiB. */
async function peakWhile(pid: number, done: Promise<unknown>): Promise<number> {
  let finished = false;
  done.finally(() => finished = true);
  let peak = 0;
  while (!finished) {
    const m = memoryKb(pid);
    if (m) peak = Math.max(peak, m.hwm);
    await Promise.race([done, new Promise((r) => setTimeout(r, 20))]);
  }
  return peak / 1024;
}

/** Runs `logs <id>`, counting its stdout bytes without keeping them; its peak RSS too. */
async function streamLogs(home: string, id: string, options: CliOptions = {}) {
  const started = performance.now();
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-sys=uid",
      MAIN,
      "logs",
      id,
    ],
    env: { QUEUECTL_HOME: home, NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let bytes = 0;
  let tail = new Uint8Array(0);
  const counted = (async () => {
    for await (const chunk of child.stdout) {
      bytes += chunk.length;
      // the last 200 bytes, whichever chunks they came in
      const both = new Uint8Array(tail.length + chunk.length);
      both.set(tail);
      both.set(chunk, tail.length);
      tail = both.slice(-200);
    }
  })();
  const stderr = new Response(child.stderr).text();
  const status = child.status;
  const peak = await peakWhile(child.pid, status);
  await counted;
  return {
    code: (await status).code,
    bytes,
    last: new TextDecoder().decode(tail),
    stderr: await stderr,
    peakMb: peak,
    seconds: (performance.now() - started) / 1000,
  };
}

export async function hugeOutput(options: FaultOptions): Promise<FaultReport> {
  const f = new Findings("huge job output");
  const size = options.quick ? 64 * MB : 1024 * MB;
  await withTempDir("output", async (dir) => {
    const home = `${dir}/home`;
    const id = "big";
    // readable lines, so the tail is text: 16 bytes a line
    await cliOk(home, ["enqueue", "--id", id, `yes 0123456789abcde | head -c ${size}; echo; echo the end`]);
    options.progress(`huge output: a job writing ${size / MB} MiB`);
    const started = performance.now();
    const worker = spawnCli(home, ["worker", "start", "--drain"]);
    let workerPeak = 0;
    try {
      workerPeak = await peakWhile(worker.pid, worker.exited());
      f.expect(
        (await worker.exited()) === 0,
        `the worker exited ${await worker.exited()}: ${worker.output().slice(-500)}`,
      );
    } finally {
      await stopBackground(worker);
    }
    f.figure("output written (MiB)", size / MB);
    f.figure("job run time (s)", ((performance.now() - started) / 1000).toFixed(1));
    f.figure("worker peak RSS (MB)", workerPeak.toFixed(1));
    f.expect(
      workerPeak < RSS_LIMIT_MB,
      `the worker's peak RSS was ${workerPeak.toFixed(1)} MB (limit ${RSS_LIMIT_MB})`,
    );
    const t0 = performance.now();
    const shown = await cli(home, ["show", id, "--json"]);
    const showSeconds = (performance.now() - t0) / 1000;
    f.figure("show --json time (s)", showSeconds.toFixed(2));
    // the log: the attempt's header, its range of the slot's output file, its closing line
    let logSize = -1;
    if (f.expect(shown.code === 0, `show failed (${describe(shown)})`)) {
      const job = JSON.parse(shown.stdout);
      const run = job.runs?.[0];
      const written = run?.out ? run.out[2] - run.out[1] : 0;
      f.expect(
        written > size,
        `the attempt's output range holds ${written} bytes, less than the ${size} written`,
      );
      const framing = `${attemptHeader(run, job.max_retries + 1)}\n${closingLine(run)}\n`;
      logSize = written + new TextEncoder().encode(framing).length;
      f.expect(job.state === "completed", `the job ended ${job.state}: ${job.last_error}`);
      f.expect(
        typeof job.output_tail === "string" && job.output_tail.length <= 1024 &&
          job.output_tail.endsWith("the end\n"),
        `show's output_tail is not the last ≤ 1 KiB (${String(job.output_tail?.length)} chars)`,
      );
      f.expect(shown.stdout.length < 8 * 1024, `show --json printed ${shown.stdout.length} bytes`);
    }
    f.expect(showSeconds < 5, `show took ${showSeconds.toFixed(2)} s`);

    options.progress("huge output: logs streams the file");
    const logs = await streamLogs(home, id);
    f.figure("logs: bytes printed", logs.bytes);
    f.figure("logs: time (s)", logs.seconds.toFixed(1));
    f.figure("logs: peak RSS (MB)", logs.peakMb.toFixed(1));
    f.expect(
      logs.code === 0 && logs.bytes === logSize,
      `logs printed ${logs.bytes} of ${logSize} bytes (exit ${logs.code})`,
    );
    f.expect(
      /the end\n=== exit code 0 · [\d.]+s ===\n$/.test(logs.last),
      `logs did not end with the job's last line: ${logs.last}`,
    );
    f.expect(
      logs.peakMb < RSS_LIMIT_MB,
      `logs' peak RSS was ${logs.peakMb.toFixed(1)} MB (limit ${RSS_LIMIT_MB})`,
    );

    const asJson = await cli(home, ["logs", id, "--json"]);
    f.expect(
      asJson.code === 1 && oneErrorLine(asJson) &&
        /MiB --json allows; `queuectl logs big` streams it/.test(asJson.stderr),
      `logs --json of ${size / MB} MiB should refuse with one error line (${
        describe(asJson)
      }, ${asJson.stdout.length} bytes out)`,
    );
    await checkConsistent(f, home, [id], "after the huge output");
  });
  return f.report();
}
