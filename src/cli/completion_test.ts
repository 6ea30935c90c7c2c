import assert from "node:assert/strict";
import { slotOf, valueKind } from "./completion.ts";

const params = {
  flags: {
    state: { kind: "parsed", placeholder: "state" },
    json: { kind: "boolean" },
    queue: { kind: "parsed", placeholder: "name" },
  },
  aliases: { s: "state" },
  positional: { kind: "tuple" as const, parameters: [{ placeholder: "id" }, { placeholder: "key" }] },
};

Deno.test("slotOf() finds a flag's value after the flag, in --flag=value, and after an alias", () => {
  assert.deepEqual(slotOf(params, ["--state"], ""), {
    kind: "flag-value",
    flag: "state",
    param: params.flags.state,
    prefix: "",
  });
  assert.deepEqual(slotOf(params, ["-s"], "pe"), {
    kind: "flag-value",
    flag: "state",
    param: params.flags.state,
    prefix: "",
  });
  assert.deepEqual(slotOf(params, [], "--state=pe"), {
    kind: "flag-value",
    flag: "state",
    param: params.flags.state,
    prefix: "--state=",
  });
});

Deno.test("slotOf() counts positional arguments past flags and their values, and -- ends the flags", () => {
  assert.deepEqual(slotOf(params, ["--json", "--queue", "q"], ""), {
    kind: "positional",
    index: 0,
    param: { placeholder: "id" },
  });
  assert.deepEqual(slotOf(params, ["a1", "--json"], "x"), {
    kind: "positional",
    index: 1,
    param: { placeholder: "key" },
  });
  assert.deepEqual(slotOf(params, ["a1"], "--j"), { kind: "flag" });
  assert.deepEqual(slotOf(params, ["--", "a1"], "--j"), {
    kind: "positional",
    index: 1,
    param: { placeholder: "key" },
  });
  assert.deepEqual(slotOf(params, ["a1", "k"], ""), { kind: "positional", index: 2, param: undefined });
});

Deno.test("valueKind() reads the placeholder, and the command where one placeholder means two things", () => {
  assert.equal(valueKind("show", { placeholder: "id" }), "id");
  assert.equal(valueKind("dlq retry", { placeholder: "id" }), "dead-id");
  assert.equal(valueKind("kill", { placeholder: "id" }), "running-id");
  assert.equal(valueKind("enqueue", { placeholder: "id" }, "id"), undefined, "a new job's --id names no job");
  assert.equal(valueKind("enqueue", { placeholder: "id" }, "after"), "id");
  assert.equal(valueKind("config set", { placeholder: "key" }), "config-key");
  assert.equal(valueKind("enqueue", { placeholder: "key" }, "unique"), undefined);
  assert.equal(valueKind("queue pause", { placeholder: "name" }), "queue");
  assert.equal(valueKind("schedule remove", { placeholder: "name" }), "schedule");
  assert.equal(valueKind("enqueue", { placeholder: "path" }, "file"), "files");
  assert.equal(valueKind("help", { placeholder: "command" }), "command");
});
