/**
 * Fault: the home is on a read-only file system. Root ignores file modes, so the home is seen
 * through a read-only bind mount; without mount rights, a non-root user gets `chmod -R a-w`,
 * and root gets a CLI whose Deno write permission excludes the home.
 *
 * Reads (status, list, show, logs, dlq list, config list, worker list, doctor) answer as before;
 * writes (enqueue, delete, dlq retry, compact, config set, worker start) exit 1 with one
 * `error:` line; no byte of the home changes; once writable again everything works.
 */
import { cli, cliJson, cliOk, type CliResult, configure, snapshotFiles } from "../../testkit/mod.ts";
import {
  canMount,
  checkConsistent,
  cliCustom,
  describe,
  type FaultOptions,
  type FaultReport,
  Findings,
  mountReadOnly,
  oneErrorLine,
  unmountAll,
  withTempDir,
} from "./common.ts";

const REFUSED = /Read-only file system|Permission denied|Requires write access/;

interface ReadOnlyView {
  method: string;
  run(args: string[]): Promise<CliResult>;
  undo(): Promise<void>;
}

async function readOnlyView(dir: string, home: string): Promise<ReadOnlyView> {
  if (await canMount()) {
    const view = `${dir}/ro`;
    await mountReadOnly(home, view);
    return {
      method: "read-only bind mount",
      run: (args) => cli(view, args),
      undo: () => Promise.resolve(unmountAll(view)),
    };
  }
  if (Deno.uid() !== 0) {
    const chmod = (mode: string) => new Deno.Command("chmod", { args: ["-R", mode, home] }).output();
    await chmod("a-w");
    return {
      method: "chmod -R a-w",
      run: (args) => cli(home, args),
      undo: async () => void await chmod("u+w"),
    };
  }
  const perms = [
    "--allow-read",
    `--allow-write=${dir}/elsewhere`,
    "--allow-run",
    "--allow-env",
    "--allow-sys=uid",
  ];
  return {
    method: "Deno write permission outside the home",
    run: (args) => cliCustom(home, args, { perms }),
    undo: () => Promise.resolve(),
  };
}

export async function readOnlyHome(options: FaultOptions): Promise<FaultReport> {
  const f = new Findings("read-only home");
  await withTempDir("ro", async (dir) => {
    const home = `${dir}/home`;
    await configure(home, { "backoff-base": 1 });
    const acked = [
      (await cliOk(home, ["enqueue", "--id", "ok", "echo fine"])).trim(),
      (await cliOk(home, ["enqueue", "--id", "bad", "--max-retries", "0", "echo no; exit 3"])).trim(),
      (await cliOk(home, ["enqueue", "--id", "later", "--delay", "1h", "echo later"])).trim(),
    ];
    await cliOk(home, ["worker", "start", "--drain"]);
    const listed = await cliJson(home, ["list"]);
    const view = await readOnlyView(dir, home);
    f.figure("method", view.method);
    options.progress(`read-only home: ${view.method}`);
    const before = snapshotFiles(home);
    try {
      const reads: string[][] = [
        ["status"],
        ["list"],
        ["show", "ok"],
        ["logs", "ok"],
        ["dlq", "list"],
        ["config", "list"],
        ["worker", "list"],
        ["doctor"],
      ];
      let readsOk = 0;
      for (const args of reads) {
        const r = await view.run(args);
        if (f.expect(r.code === 0, `${args.join(" ")} should work on a read-only home (${describe(r)})`)) {
          readsOk++;
        }
      }
      const again = await view.run(["list", "--json"]);
      f.expect(
        again.code === 0 && JSON.stringify(JSON.parse(again.stdout)) === JSON.stringify(listed),
        "list --json on the read-only home differs from before",
      );
      const writes: string[][] = [
        ["enqueue", "--id", "new", "echo new"],
        ["delete", "later"],
        ["dlq", "retry", "bad"],
        ["compact"],
        ["config", "set", "max-retries", "5"],
        ["worker", "start", "--drain"],
      ];
      let refused = 0;
      for (const args of writes) {
        const r = await view.run(args);
        if (
          f.expect(
            r.code === 1 && oneErrorLine(r) && REFUSED.test(r.stderr),
            `${args.join(" ")} on a read-only home should exit 1 with one error line (${describe(r)})`,
          )
        ) refused++;
      }
      f.figure("reads answered", `${readsOk}/${reads.length}`);
      f.figure("writes refused with one error line", `${refused}/${writes.length}`);
      const after = snapshotFiles(home);
      const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) =>
        before.get(k) !== after.get(k)
      );
      f.expect(changed.length === 0, `files changed on the read-only home: ${changed.join(", ")}`);
    } finally {
      await view.undo();
    }
    await checkConsistent(f, home, acked, "writable again");
    const r = await cli(home, ["enqueue", "--id", "new", "echo new"]);
    f.expect(r.code === 0, `enqueue once writable again failed (${describe(r)})`);
  });
  return f.report();
}
