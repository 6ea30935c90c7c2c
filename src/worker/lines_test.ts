import assert from "node:assert/strict";
import { Lines } from "./lines.ts";

/** The lines a real pipe carries from `sh -c script`, read with Lines until its end. */
async function linesOf(script: string): Promise<string[]> {
  const child = new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  })
    .spawn();
  const lines = new Lines(child.stdout);
  const out: string[] = [];
  for (let line = await lines.next(); line !== null; line = await lines.next()) out.push(line);
  await child.status;
  return out;
}

Deno.test("Lines reads every line of a pipe, across reads, and drops a last line without its newline", async () => {
  assert.deepEqual(await linesOf("printf 'ready 1 2\\nstart\\n'; printf 'exit 0\\npartial'"), [
    "ready 1 2",
    "start",
    "exit 0",
  ]);
});

Deno.test("Lines reads lines longer than its buffer, and many in one read, in order", async () => {
  // 20,000 bytes on one line (five times the buffer), then 3,000 short lines in few writes
  const out = await linesOf("head -c 20000 /dev/zero | tr '\\0' x; echo; seq 1 3000");
  assert.equal(out.length, 3001);
  assert.equal(out[0], "x".repeat(20000));
  assert.deepEqual(out.slice(1, 4), ["1", "2", "3"]);
  assert.equal(out[3000], "3000");
});

Deno.test("Lines decodes a character split across two reads", async () => {
  // one write of 4,095 bytes then "é" (two bytes): its first byte ends the first read of the 4,096-byte buffer
  const out = await linesOf(`printf '%s\\303\\251\\n' "$(head -c 4095 /dev/zero | tr '\\0' a)"`);
  assert.equal(out[0], "a".repeat(4095) + "é");
});

Deno.test("Lines after close reads nothing more", async () => {
  const child = new Deno.Command("sh", {
    args: ["-c", "echo one; sleep 30"],
    stdout: "piped",
    stderr: "null",
  })
    .spawn();
  const lines = new Lines(child.stdout);
  assert.equal(await lines.next(), "one");
  await lines.close();
  assert.equal(await lines.next(), null);
  child.kill("SIGKILL");
  await child.status;
});
