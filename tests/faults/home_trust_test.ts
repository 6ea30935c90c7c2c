/**
 * Homes other users can write (issue 13 #9): an existing home owned by another user, or writable
 * by its group or by others, was trusted as it was, so that user could plant a record that a
 * worker then ran. Every command that opens such a home now refuses it, as OpenSSH's StrictModes
 * does, with one sentence that says how to fix it (exit 1), and changes nothing; so do homes whose
 * store files or config another user can write. A new home is created 0700.
 */
import assert from "node:assert/strict";
import {
  cli,
  cliOk,
  type CliResult,
  dirOfHome,
  snapshotFiles,
  spawnCli,
  stopBackground,
  waitFor,
  withHome,
} from "../../testkit/mod.ts";
import { cliCustom } from "../../torture/faults/common.ts";

const NOBODY = 65534;
const ME = Deno.uid();

/** Every kind of command that opens a home: runs or writes jobs, and reads. */
const COMMANDS = [
  ["enqueue", "--id", "planted-2", "touch planted-2"],
  ["worker", "start", "--drain"],
  ["config", "set", "max-retries", "5"],
  ["dlq", "retry", "planted"],
  ["delete", "planted"],
  ["worker", "stop"],
  ["compact"],
  ["doctor", "--repair"],
  ["status"],
  ["list"],
  ["show", "planted"],
  ["logs", "planted"],
  ["dlq", "list"],
  ["config", "list"],
  ["config", "get", "max-retries"],
  ["worker", "list"],
  ["doctor"],
];

/** A home holding one pending job that would leave a file behind if it ran. */
async function plantedHome(home: string): Promise<string> {
  const marker = `${dirOfHome(home)}/planted`;
  await cliOk(home, ["enqueue", "--id", "planted", `touch ${marker}`]);
  await cliOk(home, ["config", "set", "max-retries", "0"]);
  return marker;
}

function assertRefused(r: CliResult, sentence: string, what: string): void {
  assert.equal(r.code, 1, `${what}: ${r.stderr}${r.stdout}`);
  assert.equal(r.stderr, `error: ${sentence}\n`, what);
  assert.equal(r.stdout, "", what);
}

/** Runs every command against `home` and checks each is refused with `sentence`, changing nothing. */
async function allRefused(home: string, sentence: string, marker: string): Promise<void> {
  const before = snapshotFiles(home);
  for (const args of COMMANDS) assertRefused(await cli(home, args), sentence, args.join(" "));
  // the dashboard serves until stopped: it must exit at once instead
  const dashboard = spawnCli(home, ["dashboard", "--port", "0"]);
  try {
    const code = await Promise.race([
      dashboard.exited(),
      waitFor(() => false, "the dashboard to exit", 30_000).then(() => -1),
    ]);
    assert.equal(code, 1, dashboard.output());
    assert.equal(dashboard.output(), `error: ${sentence}\n`);
  } finally {
    await stopBackground(dashboard);
  }
  assert.deepEqual(snapshotFiles(home), before, "a refused command changed the home");
  assert.throws(() => Deno.statSync(marker), "the planted job ran");
}

for (
  const [mode, who] of [[0o777, "its group and others"], [0o770, "its group"], [0o703, "others"]] as const
) {
  Deno.test(`a home of mode ${mode.toString(8)} is refused by every command, naming the fix; chmod 700 makes it usable`, () =>
    withHome(async (home) => {
      const marker = await plantedHome(home);
      Deno.chmodSync(home, mode);
      await allRefused(
        home,
        `Cannot use the home directory ${home}: it is writable by ${who}, who could plant jobs a worker runs (fix: chmod 700 ${home})`,
        marker,
      );
      Deno.chmodSync(home, 0o700);
      await cliOk(home, ["worker", "start", "--drain"]);
      Deno.statSync(marker); // it ran once the home was safe again
    }));
}

Deno.test("a home that belongs to another user is refused by every command (run as root: chown nobody)", {
  ignore: ME !== 0,
}, () =>
  withHome(async (home) => {
    const marker = await plantedHome(home);
    Deno.chownSync(home, NOBODY, null);
    await allRefused(
      home,
      `Cannot use the home directory ${home}: it belongs to uid ${NOBODY}, not to you (uid 0), so that user could plant jobs a worker runs (fix: use a home of your own, or chown 0 ${home} after checking what is in it)`,
      marker,
    );
  }));

Deno.test("a store file or config another user can write makes the home refused, naming the file", () =>
  withHome(async (home) => {
    const marker = await plantedHome(home);
    const wal = [...Deno.readDirSync(home)].find((e) => e.name.endsWith(".jsonl"))!.name;
    Deno.chmodSync(`${home}/${wal}`, 0o622);
    await allRefused(
      home,
      `Cannot use the home directory ${home}: ${home}/${wal} is writable by its group and others, who could plant jobs a worker runs (fix: chmod go-w ${home}/${wal})`,
      marker,
    );
    Deno.chmodSync(`${home}/${wal}`, 0o600);
    Deno.mkdirSync(`${home}/logs`, { mode: 0o700 }); // as a worker makes it
    Deno.chmodSync(`${home}/logs`, 0o707);
    assertRefused(
      await cli(home, ["worker", "start", "--drain"]),
      `Cannot use the home directory ${home}: ${home}/logs is writable by others, who could plant jobs a worker runs (fix: chmod go-w ${home}/logs)`,
      "logs/ writable by others",
    );
    Deno.chmodSync(`${home}/logs`, 0o700);
    if (ME === 0) {
      Deno.chownSync(`${home}/config.jsonc`, NOBODY, null);
      assertRefused(
        await cli(home, ["worker", "start", "--drain"]),
        `Cannot use the home directory ${home}: ${home}/config.jsonc belongs to uid ${NOBODY}, not to you (uid 0), so that user could plant jobs a worker runs (fix: use a home of your own, or chown 0 ${home}/config.jsonc after checking what is in it)`,
        "config.jsonc owned by nobody",
      );
      Deno.chownSync(`${home}/config.jsonc`, 0, null);
    }
    assert.throws(() => Deno.statSync(marker), "the planted job ran");
    await cliOk(home, ["worker", "start", "--drain"]);
    Deno.statSync(marker);
  }));

Deno.test("a new home and the directories made for it are created 0700; a mode that keeps others out is accepted", () =>
  withHome(async (home) => {
    const deep = `${home}/a/b`;
    await cliOk(deep, ["enqueue", "true"]);
    for (const dir of [home, `${home}/a`, deep]) {
      assert.equal((Deno.statSync(dir).mode! & 0o777).toString(8), "700", dir);
    }
    Deno.chmodSync(deep, 0o755); // readable by others, as `mkdir` makes it under umask 022: not writable
    await cliOk(deep, ["worker", "start", "--drain"]);
  }));

Deno.test("without Deno's permission to read the user id, a command says so in one line rather than trust the home", () =>
  withHome(async (home) => {
    await cliOk(home, ["enqueue", "true"]);
    const perms = ["--allow-read", "--allow-write", "--allow-run", "--allow-env"];
    for (const args of [["status"], ["worker", "start", "--drain"]]) {
      assertRefused(
        await cliCustom(home, args, { perms }),
        "Cannot check who owns the home directory: queuectl needs Deno's permission to read the user id (run it with --allow-sys=uid)",
        args.join(" "),
      );
    }
  }));
