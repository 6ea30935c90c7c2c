/**
 * `command()` checks a command's flag and positional specs against the types its body takes:
 * each `@ts-expect-error` below is a spec that does not match, and `deno check` fails if the
 * type checker accepts it (an unused directive is an error).
 */
import assert from "node:assert/strict";
import { type AppContext, homeFlag, type HomeFlags, isOsError } from "./context.ts";
import { command } from "./command.ts";

interface CountFlags extends HomeFlags {
  count?: string;
  drain?: boolean;
}

function body(this: AppContext, _flags: CountFlags): void {}

const count = { kind: "parsed", parse: String, brief: "n", optional: true } as const;
const drain = { kind: "boolean", brief: "drain", optional: true } as const;
const docs = { brief: "test" };

Deno.test("command() accepts flag specs that match the flags interface", () => {
  assert.ok(command({ func: body, parameters: { flags: { count, drain, ...homeFlag } }, docs }));
});

Deno.test("command() rejects a flag spec of another type than the flags interface says", () => {
  assert.ok(command({
    func: body,
    // @ts-expect-error: drain is a boolean in CountFlags, not a parsed string
    parameters: { flags: { count, drain: count, ...homeFlag } },
    docs,
  }));
});

Deno.test("command() rejects flag specs that leave out a flag of the interface", () => {
  assert.ok(command({
    func: body,
    // @ts-expect-error: no spec for drain
    parameters: { flags: { count, ...homeFlag } },
    docs,
  }));
});

Deno.test("command() rejects a flag spec the interface does not have", () => {
  assert.ok(command({
    func: body,
    // @ts-expect-error: "wait" is not a field of CountFlags
    parameters: { flags: { count, drain, wait: drain, ...homeFlag } },
    docs,
  }));
});

Deno.test("command() rejects an optional flag spec for a required field", () => {
  const required = function (this: AppContext, _flags: { count: string }): void {};
  assert.ok(command({
    func: required,
    // @ts-expect-error: count is required in the flags type, optional in the spec
    parameters: { flags: { count } },
    docs,
  }));
});

Deno.test("command() rejects positional specs that do not match the arguments", () => {
  const oneArg = function (this: AppContext, _flags: HomeFlags, _id: string): void {};
  assert.ok(command({
    func: oneArg,
    // @ts-expect-error: the body takes one positional argument, the spec gives none
    parameters: { flags: { ...homeFlag } },
    docs,
  }));
});

Deno.test("isOsError() tells an operating-system error by its kind or errno code, not by its words", () => {
  const full = (() => {
    try {
      Deno.writeFileSync("/dev/full", new Uint8Array(1));
    } catch (e) {
      return e;
    }
  })();
  assert.ok(isOsError(full), `ENOSPC from /dev/full: ${full}`);
  assert.ok(isOsError(new Deno.errors.NotFound("gone")));
  assert.ok(isOsError(Object.assign(new Error("Read-only file system"), { code: "EROFS" })));
  assert.ok(
    !isOsError(new Error("No space left on device (os error 28)")),
    "the words alone are no OS error",
  );
  assert.ok(!isOsError(Object.assign(new Error("bad"), { code: "ERR_INVALID_ARG_TYPE" })));
  assert.ok(!isOsError("ENOSPC"));
});
