import assert from "node:assert/strict";
import { readTail, SlotOutput, streamRange } from "./output.ts";
import { withTempDir } from "./_testing.ts";

Deno.test("SlotOutput creates its first file private, and moves on once a file reaches the limit or is gone", async () => {
  await withTempDir((dir) => {
    const output = new SlotOutput((part) => `${dir}/slot-${part}.out`, 8);
    assert.equal(output.path, `${dir}/slot-1.out`);
    assert.equal(Deno.statSync(output.path).mode! & 0o777, 0o600);
    assert.deepEqual(output.next(), { path: `${dir}/slot-1.out`, size: 0 });
    Deno.writeTextFileSync(output.path, "1234567");
    assert.deepEqual(output.next(), { path: `${dir}/slot-1.out`, size: 7 }, "below the limit: the same file");
    Deno.writeTextFileSync(output.path, "12345678");
    assert.deepEqual(output.next(), { path: `${dir}/slot-2.out`, size: 0 });
    assert.equal(Deno.statSync(`${dir}/slot-2.out`).size, 0);
    Deno.removeSync(`${dir}/slot-2.out`);
    assert.deepEqual(output.next(), { path: `${dir}/slot-3.out`, size: 0 });
  });
});

Deno.test("a slot's output file is made anew with logs/ when that was removed, but never with the home", async () => {
  await withTempDir((dir) => {
    const home = `${dir}/home`;
    Deno.mkdirSync(`${home}/logs`, { recursive: true });
    const output = new SlotOutput((part) => `${home}/logs/slot-${part}.out`);
    Deno.removeSync(`${home}/logs`, { recursive: true });
    assert.equal(output.next().path, `${home}/logs/slot-2.out`, "logs/ made anew");
    assert.equal(Deno.statSync(`${home}/logs`).mode! & 0o777, 0o700);
    Deno.removeSync(home, { recursive: true });
    assert.throws(() => output.next(), Deno.errors.NotFound);
    assert.throws(() => Deno.statSync(home), Deno.errors.NotFound, "the home was not made anew");
  });
});

Deno.test("readTail() gives the last bytes of a range, never bytes outside it, and null for an empty one", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out`;
    Deno.writeTextFileSync(path, "before|élan vital|after");
    const start = "before|".length;
    const end = Deno.statSync(path).size - "|after".length;
    assert.equal(await readTail({ path, start, end }), "élan vital");
    assert.equal(await readTail({ path, start, end }, 4), "ital");
    // 10 bytes from the end start inside the two-byte é: the cut character is dropped
    assert.equal(await readTail({ path, start, end }, 10), "lan vital");
    assert.equal(await readTail({ path, start, end: start }), null);
    assert.equal(await readTail({ path: `${dir}/missing`, start: 0, end: 5 }), null);
  });
});

Deno.test("streamRange() streams exactly the bytes of a range, in chunks", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/out`;
    const text = "x".repeat(1000) + "the range" + "y".repeat(1000);
    Deno.writeTextFileSync(path, text);
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamRange({ path, start: 500, end: 1509 }, 100)) chunks.push(chunk);
    assert.ok(chunks.length > 1);
    assert.equal(
      new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))),
      text.slice(500, 1509),
    );
    const empty = await new Response(streamRange({ path, start: 7, end: 7 })).text();
    assert.equal(empty, "");
  });
});
