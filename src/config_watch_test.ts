import assert from "node:assert/strict";
import { ConfigWatch } from "./config_watch.ts";
import { withHome } from "../testkit/mod.ts";

const read = (file: string) => () => Deno.readTextFile(file);

Deno.test("ConfigWatch.changed() is true until the file is read through load(), then false until it changes", () =>
  withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    Deno.writeTextFileSync(file, '{ "max_retries": 1 }');
    const watch = new ConfigWatch(file);
    assert.equal(watch.changed(), true, "never read");
    assert.equal(await watch.load(read(file)), '{ "max_retries": 1 }');
    assert.equal(watch.changed(), false);
    assert.equal(watch.changed(), false, "asking does not change the answer");
  }, { create: true }));

Deno.test("ConfigWatch sees a replacement by rename of the same size, an edit in place, a removal and a return", () =>
  withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    Deno.writeTextFileSync(file, '{ "max_retries": 1 }');
    const watch = new ConfigWatch(file);
    await watch.load(read(file));
    // what config set does: a new file renamed over the old one, here of the same size
    Deno.writeTextFileSync(`${file}.tmp`, '{ "max_retries": 2 }');
    Deno.renameSync(`${file}.tmp`, file);
    assert.equal(watch.changed(), true, "replaced by rename");
    await watch.load(read(file));
    Deno.writeTextFileSync(file, '{ "max_retries": 33 }');
    assert.equal(watch.changed(), true, "edited in place");
    await watch.load(read(file));
    Deno.removeSync(file);
    assert.equal(watch.changed(), true, "removed");
    await assert.rejects(watch.load(read(file)));
    assert.equal(watch.changed(), false, "a failed read is remembered, not retried on every pass");
    Deno.writeTextFileSync(file, "{}");
    assert.equal(watch.changed(), true, "back again");
  }, { create: true }));

Deno.test("ConfigWatch sees a change made while the file was being read at the next check", () =>
  withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    Deno.writeTextFileSync(file, '{ "max_retries": 1 }');
    const watch = new ConfigWatch(file);
    const text = await watch.load(async () => {
      const old = await Deno.readTextFile(file);
      Deno.writeTextFileSync(`${file}.tmp`, '{ "max_retries": 2 }');
      Deno.renameSync(`${file}.tmp`, file);
      return old;
    });
    assert.equal(text, '{ "max_retries": 1 }');
    assert.equal(watch.changed(), true);
  }, { create: true }));

Deno.test("ConfigWatch.changed() is true when only the identity the stat seam reports moves", async () => {
  let info = { dev: 1, ino: 7, size: 10, mtime: new Date(1000), ctime: new Date(1000) } as Deno.FileInfo;
  const watch = new ConfigWatch("/nowhere/config.jsonc", { stat: () => info });
  await watch.load(() => Promise.resolve(null));
  assert.equal(watch.changed(), false);
  for (
    const next of [{ ino: 8 }, { size: 11 }, { mtime: new Date(1001) }, { ctime: new Date(1001) }, { dev: 2 }]
  ) {
    info = { ...info, ...next };
    assert.equal(watch.changed(), true, JSON.stringify(next));
    await watch.load(() => Promise.resolve(null));
  }
});

Deno.test("ConfigWatch.concerns() matches events by the file's name, whatever spelling of the home was given", () => {
  for (const given of ["/q/a/./home/config.jsonc", "/q/x/../a/home/config.jsonc", "/q/a/home/config.jsonc"]) {
    const watch = new ConfigWatch(given);
    assert.equal(watch.concerns(["/q/a/home/config.jsonc"]), true, given);
    assert.equal(watch.concerns(["/q/a/home/config.jsonc.123.tmp", "/q/a/home/config.jsonc"]), true, given);
    assert.equal(watch.concerns(["/q/a/home/config.jsonc.123.tmp"]), false, given);
    assert.equal(watch.concerns(["/q/a/home/wal-00000001.jsonl"]), false, given);
    assert.equal(watch.concerns([]), false, given);
  }
});
