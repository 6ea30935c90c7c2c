import assert from "node:assert/strict";
import fc from "fast-check";
import { UsageError } from "./errors.ts";
import { refuses } from "./test_assertions.ts";
import { idProblem } from "./ids.ts";
import {
  LIMITS,
  looksLikeJson,
  parseCount,
  parseDuration,
  parseInteger,
  parseJobJson,
  parseTime,
  quoteArgv,
  utf8Bytes,
  validateJob,
} from "./validate.ts";

function refusesJob(json: string, pattern: RegExp): void {
  refuses(() => parseJobJson(json), pattern);
}

Deno.test("parseJobJson() accepts a command alone", () => {
  assert.deepStrictEqual(parseJobJson('{"command":"echo hi"}'), { command: "echo hi" });
});

Deno.test("parseJobJson() accepts every field and normalises run_at to UTC", () => {
  const spec = parseJobJson(JSON.stringify({
    id: "job-1",
    command: "sleep 1",
    max_retries: 0,
    priority: -5,
    run_at: "2026-01-31T10:00:00+01:00",
    timeout: 2.5,
  }));
  assert.deepStrictEqual(spec, {
    id: "job-1",
    command: "sleep 1",
    max_retries: 0,
    priority: -5,
    run_at: "2026-01-31T09:00:00.000Z",
    timeout: 2.5,
  });
});

Deno.test("parseJobJson() accepts the limits of every numeric field", () => {
  const spec = parseJobJson(JSON.stringify({
    command: "x",
    max_retries: LIMITS.MAX_RETRIES,
    priority: LIMITS.MAX_PRIORITY,
    timeout: LIMITS.MAX_TIMEOUT,
  }));
  assert.strictEqual(spec.max_retries, LIMITS.MAX_RETRIES);
  assert.strictEqual(spec.priority, LIMITS.MAX_PRIORITY);
  assert.strictEqual(spec.timeout, LIMITS.MAX_TIMEOUT);
  assert.strictEqual(
    parseJobJson(`{"command":"x","priority":${-LIMITS.MAX_PRIORITY}}`).priority,
    -LIMITS.MAX_PRIORITY,
  );
});

Deno.test("parseJobJson() treats a null timeout as no timeout", () => {
  assert.deepStrictEqual(parseJobJson('{"command":"x","timeout":null}'), { command: "x" });
});

Deno.test("parseJobJson() accepts run_at as a date, a space-separated time and fractional seconds", () => {
  assert.strictEqual(
    parseJobJson('{"command":"x","run_at":"2026-01-31"}').run_at,
    "2026-01-31T00:00:00.000Z",
  );
  assert.strictEqual(
    parseJobJson('{"command":"x","run_at":"2026-01-31 09:30:00Z"}').run_at,
    "2026-01-31T09:30:00.000Z",
  );
  assert.strictEqual(
    parseJobJson('{"command":"x","run_at":"2026-01-31T09:30:00.250Z"}').run_at,
    "2026-01-31T09:30:00.250Z",
  );
});

Deno.test("parseJobJson() refuses text that is not JSON", () => {
  refusesJob("{command: x}", /^Cannot enqueue the job: it is not valid JSON/);
  refusesJob("", /not valid JSON/);
});

Deno.test("parseJobJson() names where the job came from in its message", () => {
  refuses(
    () => parseJobJson('{"command":""}', "line 3"),
    /^Cannot enqueue line 3: "command" must not be empty$/,
  );
});

Deno.test("validateJob() refuses anything but a JSON object", () => {
  refusesJob("[]", /expected a JSON object with a "command", got an array/);
  refusesJob('"echo hi"', /expected a JSON object with a "command", got "echo hi"/);
  refusesJob("null", /expected a JSON object with a "command", got null/);
  refusesJob("42", /expected a JSON object with a "command", got 42/);
  refusesJob("true", /expected a JSON object with a "command", got true/);
  refuses(() => validateJob(undefined), /expected a JSON object/);
});

Deno.test("validateJob() refuses unknown fields, naming them", () => {
  refusesJob('{"command":"x","foo":1}', /unknown field "foo"/);
  refusesJob('{"command":"x","state":"dead"}', /unknown field "state"/);
  refusesJob('{"command":"x","maxRetries":1}', /unknown field "maxRetries"/);
});

Deno.test("validateJob() refuses a missing, empty or non-string command", () => {
  refusesJob("{}", /"command" is required/);
  refusesJob('{"command":""}', /"command" must not be empty/);
  refusesJob('{"command":"   \\t\\n"}', /"command" must not be empty/);
  refusesJob('{"command":5}', /"command" must be a string, got 5/);
  refusesJob('{"command":null}', /"command" must be a string, got null/);
  refusesJob('{"command":["ls","-l"]}', /"command" must be a string, got an array/);
  refusesJob('{"command":{}}', /"command" must be a string, got an object/);
});

Deno.test("validateJob() refuses a command holding a NUL byte", () => {
  refusesJob('{"command":"echo a\\u0000b"}', /"command" must not contain a NUL byte/);
});

Deno.test("validateJob() refuses a command one argument of a program cannot hold (131071 bytes of UTF-8)", () => {
  refuses(
    () => validateJob({ command: "x".repeat(131_072) }),
    /"command" is 131072 bytes of UTF-8, but Linux/,
  );
  assert.strictEqual(validateJob({ command: "x".repeat(131_071) }).command.length, 131_071);
  // fewer characters than bytes: the limit is in bytes
  refuses(() => validateJob({ command: "é".repeat(65_536) }), /"command" is 131072 bytes/);
  assert.ok(validateJob({ command: "é".repeat(65_535) + "x" }));
  refuses(() => validateJob({ argv: ["echo", "€".repeat(43_691)] }), /"argv\[1\]" is 131073 bytes/);
});

Deno.test("validateJob() refuses an unusable id, naming the field", () => {
  refusesJob('{"command":"x","id":""}', /"id" is not usable: it is empty/);
  refusesJob('{"command":"x","id":"../x"}', /"id" is not usable/);
  refusesJob('{"command":"x","id":"a/b"}', /"id" is not usable/);
  refusesJob('{"command":"x","id":7}', /"id" must be a string, got 7/);
  refusesJob('{"command":"x","id":null}', /"id" must be a string, got null/);
});

Deno.test("validateJob() refuses max_retries that is negative, fractional, huge or not a number", () => {
  refusesJob('{"command":"x","max_retries":-1}', /"max_retries" must be between 0 and 1000, got -1/);
  refusesJob('{"command":"x","max_retries":1001}', /"max_retries" must be between 0 and 1000, got 1001/);
  refusesJob('{"command":"x","max_retries":1e300}', /"max_retries" must be between/);
  refusesJob('{"command":"x","max_retries":1e400}', /"max_retries" must be a whole number/);
  refusesJob('{"command":"x","max_retries":1.5}', /"max_retries" must be a whole number, got 1.5/);
  refusesJob('{"command":"x","max_retries":"3"}', /"max_retries" must be a whole number, got "3"/);
  refusesJob('{"command":"x","max_retries":null}', /"max_retries" must be a whole number, got null/);
  refusesJob('{"command":"x","max_retries":true}', /"max_retries" must be a whole number/);
});

Deno.test("validateJob() refuses priority that is fractional, out of range or not a number", () => {
  refusesJob('{"command":"x","priority":0.5}', /"priority" must be a whole number, got 0.5/);
  refusesJob('{"command":"x","priority":2000000000}', /"priority" must be between/);
  refusesJob('{"command":"x","priority":-1e20}', /"priority" must be between/);
  refusesJob('{"command":"x","priority":"high"}', /"priority" must be a whole number/);
  refusesJob('{"command":"x","priority":[1]}', /"priority" must be a whole number, got an array/);
});

Deno.test("validateJob() refuses run_at that is not an ISO-8601 time", () => {
  refusesJob('{"command":"x","run_at":"tomorrow"}', /"run_at" must be an ISO-8601 time/);
  refusesJob('{"command":"x","run_at":""}', /"run_at" must be an ISO-8601 time/);
  refusesJob('{"command":"x","run_at":"2026-13-01"}', /"run_at" must be an ISO-8601 time/);
  refusesJob('{"command":"x","run_at":"31/01/2026"}', /"run_at" must be an ISO-8601 time/);
  refusesJob('{"command":"x","run_at":"Sat Jan 31 2026"}', /"run_at" must be an ISO-8601 time/);
  refusesJob(
    '{"command":"x","run_at":1769850000000}',
    /"run_at" must be an ISO-8601 time string, got 1769850000000/,
  );
  refusesJob('{"command":"x","run_at":null}', /"run_at" must be an ISO-8601 time string, got null/);
});

Deno.test("validateJob() refuses run_at on a day the month does not have", () => {
  refusesJob('{"command":"x","run_at":"2026-02-30T09:00:00Z"}', /"run_at" must be an ISO-8601 time/);
  refusesJob('{"command":"x","run_at":"2026-04-31"}', /"run_at" must be an ISO-8601 time/);
});

Deno.test("validateJob() refuses a timeout that is zero, negative, huge or not a number", () => {
  refusesJob('{"command":"x","timeout":0}', /"timeout" must be greater than 0 and at most 31536000, got 0/);
  refusesJob('{"command":"x","timeout":-5}', /"timeout" must be greater than 0/);
  refusesJob('{"command":"x","timeout":31536001}', /"timeout" must be greater than 0 and at most/);
  refusesJob('{"command":"x","timeout":1e400}', /"timeout" must be a number of seconds/);
  refusesJob('{"command":"x","timeout":"10s"}', /"timeout" must be a number of seconds, got "10s"/);
  refusesJob('{"command":"x","timeout":{}}', /"timeout" must be a number of seconds, got an object/);
});

Deno.test("validateJob() shortens long values and long unknown keys in its messages", () => {
  refuses(() => validateJob({ command: "x", priority: "p".repeat(200) }), /got a long string$/);
  refuses(() => validateJob({ command: "x", ["k".repeat(500)]: 1 }), /unknown field "k{60}"/);
});

const FIELD_VALUES = fc.oneof(
  fc.jsonValue(),
  fc.string(),
  fc.integer({ min: -5, max: 2000 }),
  fc.double(),
  fc.constantFrom("2026-01-31T09:00:00Z", "2026-01-31", "2026-02-30", "job-1", "../x"),
);

const JOBISH = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.record({
    id: FIELD_VALUES,
    command: fc.oneof(fc.string(), FIELD_VALUES),
    max_retries: FIELD_VALUES,
    priority: FIELD_VALUES,
    run_at: FIELD_VALUES,
    timeout: FIELD_VALUES,
    extra: FIELD_VALUES,
  }, { requiredKeys: ["command"] }),
);

Deno.test("validateJob() throws nothing but UsageError for arbitrary values, and accepts only sound specs", () => {
  fc.assert(
    fc.property(JOBISH, (value) => {
      let spec;
      try {
        spec = validateJob(value);
      } catch (e) {
        assert.ok(e instanceof UsageError, `threw ${e}`);
        assert.strictEqual(e.exitCode, 2);
        assert.match(e.message, /^Cannot enqueue the job: /);
        return;
      }
      assert.strictEqual(typeof spec.command, "string");
      assert.ok(spec.command.trim().length > 0);
      assert.ok(!spec.command.includes("\0"));
      if (spec.id !== undefined) assert.strictEqual(idProblem(spec.id), null);
      if (spec.max_retries !== undefined) {
        assert.ok(Number.isInteger(spec.max_retries) && spec.max_retries >= 0);
      }
      if (spec.priority !== undefined) assert.ok(Number.isInteger(spec.priority));
      if (spec.timeout !== undefined) assert.ok(spec.timeout! > 0);
      if (spec.run_at !== undefined && spec.run_at !== null) {
        assert.strictEqual(new Date(spec.run_at).toISOString(), spec.run_at);
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("parseJobJson() throws nothing but UsageError for arbitrary text", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      try {
        parseJobJson(text);
      } catch (e) {
        assert.ok(e instanceof UsageError, `threw ${e}`);
      }
    }),
  );
});

Deno.test("parseDuration() reads seconds, minutes, hours, days, milliseconds and bare seconds", () => {
  assert.strictEqual(parseDuration("timeout", "30s"), 30);
  assert.strictEqual(parseDuration("timeout", "5m"), 300);
  assert.strictEqual(parseDuration("timeout", "1.5h"), 5400);
  assert.strictEqual(parseDuration("timeout", "250ms"), 0.25);
  assert.strictEqual(parseDuration("timeout", "2d"), 172800);
  assert.strictEqual(parseDuration("timeout", "10"), 10);
  assert.strictEqual(parseDuration("timeout", " 10 "), 10);
});

Deno.test("parseDuration() refuses text that is not a non-negative duration, naming the flag", () => {
  for (const bad of ["abc", "-1s", "", "5 m", "5x", "1e3", "s", ".5s", "1h30m"]) {
    refuses(() => parseDuration("delay", bad), /^Invalid --delay ".*": expected a duration such as 30s/);
  }
  refuses(() => parseDuration("delay", "9".repeat(400) + "d"), /Invalid --delay/);
});

Deno.test("parseCount() accepts whole numbers in range and refuses the rest", () => {
  assert.strictEqual(parseCount("limit", "5", 1, 100), 5);
  assert.strictEqual(parseCount("limit", "1", 1, 100), 1);
  assert.strictEqual(parseCount("limit", "100", 1, 100), 100);
  assert.strictEqual(parseCount("count", " 3 ", 1, 10), 3);
  for (const bad of ["0", "101", "-1", "+1", "1.5", "1e2", "abc", "", "0x10"]) {
    refuses(
      () => parseCount("limit", bad, 1, 100),
      /^Invalid --limit ".*": expected a whole number from 1 to 100$/,
    );
  }
});

Deno.test("parseInteger() accepts signed whole numbers in range and refuses the rest", () => {
  assert.strictEqual(parseInteger("priority", "-5", -10, 10), -5);
  assert.strictEqual(parseInteger("priority", "+7", -10, 10), 7);
  assert.strictEqual(parseInteger("priority", "0", -10, 10), 0);
  for (const bad of ["11", "-11", "1.5", "abc", "", "--1", "1e1"]) {
    refuses(
      () => parseInteger("priority", bad, -10, 10),
      /^Invalid --priority ".*": expected a whole number from -10 to 10$/,
    );
  }
});

Deno.test("parseTime() returns the UTC form of an ISO-8601 time", () => {
  assert.strictEqual(parseTime("run-at", "2026-01-31T09:00:00Z"), "2026-01-31T09:00:00.000Z");
  assert.strictEqual(parseTime("run-at", "2026-01-31T09:00:00-0200"), "2026-01-31T11:00:00.000Z");
});

Deno.test("parseTime() reads a date alone, as a date-time without an offset, in the zone given", () => {
  const minus5 = () => -300;
  for (const text of ["2030-01-01", "2030-01-01T00:00", "2030-01-01 00:00:00"]) {
    assert.strictEqual(parseTime("run-at", text, minus5), "2030-01-01T05:00:00.000Z", text);
  }
  assert.strictEqual(parseTime("run-at", "2030-01-01T00:00Z", minus5), "2030-01-01T00:00:00.000Z");
});

Deno.test("parseTime() refuses a time that is not ISO-8601, naming the flag", () => {
  for (const bad of ["now", "", "2026-1-31", "12:00"]) {
    refuses(
      () => parseTime("run-at", bad),
      /^Invalid --run-at ".*": expected an ISO-8601 time such as 2026-01-31T09:00:00Z, .* \(local time\)$/,
    );
  }
});

Deno.test("parseTime() refuses a day the month does not have", () => {
  refuses(() => parseTime("run-at", "2026-02-30T09:00:00Z"), /^Invalid --run-at "2026-02-30T09:00:00Z": /);
});

Deno.test("parseTime() refuses a local time the clocks skip, asking for an offset", () => {
  // a zone that goes from -05:00 to -04:00 at 2030-03-10T07:00Z (02:00 local)
  const zone = (ms: number) => ms < Date.parse("2030-03-10T07:00:00Z") ? -300 : -240;
  refuses(
    () => parseTime("run-at", "2030-03-10T02:30", zone),
    /^Invalid --run-at "2030-03-10T02:30": it is a time the local clock skips \(daylight saving time\); give an offset or Z$/,
  );
  assert.strictEqual(parseTime("run-at", "2030-03-10T03:30", zone), "2030-03-10T07:30:00.000Z");
});

Deno.test("looksLikeJson() is true for objects, arrays and strings, even after whitespace", () => {
  for (const text of ['{"command":"x"}', "[]", '"echo"', "  \n{", "\t["]) {
    assert.strictEqual(looksLikeJson(text), true, text);
  }
  for (const text of ["echo {}", "", "   ", "ls -l", "42", "null"]) {
    assert.strictEqual(looksLikeJson(text), false, text);
  }
});

Deno.test("parseJobJson() takes argv verbatim and gives it a shell-quoted command for display", () => {
  const spec = parseJobJson(`{"argv":["printf","%s\\n","a b","it's","","$HOME"]}`);
  assert.deepStrictEqual(spec.argv, ["printf", "%s\n", "a b", "it's", "", "$HOME"]);
  assert.equal(spec.command, `printf '%s\n' 'a b' 'it'\\''s' '' '$HOME'`);
  assert.equal(quoteArgv(["ls", "-l", "/tmp/x.y"]), "ls -l /tmp/x.y");
});

Deno.test("parseJobJson() refuses a bad argv, naming the element and why", () => {
  refusesJob('{"argv":"ls -l"}', /"argv" must be an array of strings, got "ls -l"/);
  refusesJob('{"argv":[]}', /"argv" must name a program: it is empty/);
  refusesJob('{"argv":[""]}', /"argv\[0\]" must name a program/);
  refusesJob('{"argv":["ls",3]}', /"argv\[1\]" must be a string, got 3/);
  refusesJob('{"argv":["ls","a\\u0000b"]}', /"argv\[1\]" must not contain a NUL byte/);
  refusesJob('{"argv":["ls"],"command":"ls"}', /give "command" \(run by sh -c\) or "argv"/);
  refusesJob("{}", /"command" is required \(or "argv"/);
});

Deno.test("utf8Bytes() counts what TextEncoder writes, lone surrogates as U+FFFD", () => {
  for (
    const text of ["", "abc", "é", "€", "😀", "a😀b€é", "\ud800", "x\udc00y", "\ud83d", "\ud83d\ud83d\ude00"]
  ) {
    assert.strictEqual(utf8Bytes(text), new TextEncoder().encode(text).length, JSON.stringify(text));
  }
});
