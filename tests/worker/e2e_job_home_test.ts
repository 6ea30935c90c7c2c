/**
 * End-to-end: a job runs with QUEUECTL_HOME set to its worker's home as an absolute path, so a
 * job that runs `queuectl` reaches the same queue from its own directory, whichever way the worker
 * was given a relative home. Issue 13 #10: such a job wrote to a new home under its directory.
 */
import assert from "node:assert/strict";
import {
  type Background,
  CLI_FLAGS,
  cliOk,
  DENO,
  dirOfHome,
  exists,
  MAIN,
  readLines,
  spawnCli,
  stopBackground,
  untilOutput,
  untilState,
  withHome,
} from "../../testkit/mod.ts";

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

const cases = [
  { how: "QUEUECTL_HOME=home", args: [] as string[], env: { QUEUECTL_HOME: "home" } },
  // an empty QUEUECTL_HOME counts as unset
  { how: "--home home", args: ["--home", "home"], env: { QUEUECTL_HOME: "" } },
];

for (const { how, args, env } of cases) {
  Deno.test(`a job of a worker started with a relative home (${how}) gets the absolute home and enqueues into it`, () =>
    withHome(async (home) => {
      const dir = dirOfHome(home);
      const elsewhere = `${dir}/elsewhere`;
      Deno.mkdirSync(elsewhere);
      const workers: Background[] = [];
      try {
        // HOME is a scratch dir: a job that lost the home would write to $HOME/.queuectl
        const worker = spawnCli(home, ["worker", "start", ...args], { cwd: dir, env: { ...env, HOME: dir } });
        workers.push(worker);
        await untilOutput(worker, /started with/);
        const cli = [DENO, "run", ...CLI_FLAGS, MAIN].map(q).join(" ");
        await cliOk(home, [
          "enqueue",
          "--id",
          "parent",
          `echo "$QUEUECTL_HOME" > ${q(`${dir}/seen`)}; ${cli} enqueue --id child true`,
        ], { cwd: elsewhere });
        await untilState(home, "parent", "completed");
        assert.deepEqual(readLines(`${dir}/seen`), [home]);
        await untilState(home, "child", "completed");
        assert.equal(exists(`${elsewhere}/home`), false, "no home was made in the job's directory");
        assert.equal(exists(`${dir}/.queuectl`), false, "nor in $HOME");
      } finally {
        for (const w of workers) await stopBackground(w);
      }
    }));
}
