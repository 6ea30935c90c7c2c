/** cron.ts: which expressions and zones are taken, the refusals naming their field, and the times computed in a zone. */
import assert from "node:assert/strict";
import { checkCron, dueTick, nextRun } from "./cron.ts";
import { UsageError } from "./errors.ts";

const refused = (cron: string, tz: string, message: RegExp) =>
  assert.throws(() => checkCron({ cron, tz }), (e) => e instanceof UsageError && message.test(e.message));

Deno.test("checkCron() takes five fields and the nicknames, in a known zone", () => {
  for (
    const cron of [
      "* * * * *",
      "0 3 * * MON-FRI",
      "*/15 9-17 * JAN,JUL 1-5",
      "0 0 L * *",
      "@hourly",
      "@daily",
    ]
  ) {
    checkCron({ cron, tz: "UTC" });
  }
  for (const cron of ["@weekly", "@monthly", "@yearly", "@annually", "@midnight"]) {
    checkCron({ cron, tz: "America/New_York" });
  }
});

Deno.test("checkCron() names the field at fault and why", () => {
  refused(
    "61 * * * *",
    "UTC",
    /^Invalid cron "61 \* \* \* \*": its minute field "61" is not valid: use 0-59$/,
  );
  refused("0 24 * * *", "UTC", /its hour field "24" is not valid: use 0-23/);
  refused("0 0 32 * *", "UTC", /its day-of-month field "32" is not valid/);
  refused("0 0 1 13 *", "UTC", /its month field "13" is not valid: use 1-12 or JAN-DEC/);
  refused("0 0 * * 8", "UTC", /its day-of-week field "8" is not valid/);
  refused("*/0 * * * *", "UTC", /its minute field "\*\/0" is not valid: use 0-59 \(.*stepping/);
  refused("5-2 * * * *", "UTC", /its minute field "5-2" is not valid/);
  refused("* * * *", "UTC", /it has 4 field\(s\), not 5/);
  refused("0 * * * * *", "UTC", /it has 6 field\(s\), not 5 .*no seconds or year/);
  refused("", "UTC", /it is empty/);
  refused("@reboot", "UTC", /unknown nickname/);
  refused("@often", "UTC", /unknown nickname/);
  refused("0 0 30 2 *", "UTC", /it never fires/);
  refused("0 3 * * *", "Mars/Olympus", /^Invalid --tz "Mars\/Olympus": it is not an IANA time zone name/);
});

Deno.test("nextRun() and dueTick() read the expression in its zone", () => {
  const spec = { cron: "0 9 * * *", tz: "Asia/Tokyo" }; // 00:00Z
  assert.equal(nextRun(spec, new Date("2030-01-01T00:00:00Z"))?.toISOString(), "2030-01-02T00:00:00.000Z");
  const since = new Date("2029-12-30T12:00:00Z");
  assert.equal(
    dueTick(spec, since, new Date("2030-01-01T00:00:00Z"))?.toISOString(),
    "2030-01-01T00:00:00.000Z",
  );
  assert.equal(
    dueTick(spec, since, new Date("2029-12-31T23:59:59.999Z"))?.toISOString(),
    "2029-12-31T00:00:00.000Z",
  );
  assert.equal(
    dueTick(spec, new Date("2030-01-01T00:00:00Z"), new Date("2030-01-01T12:00:00Z")),
    null,
    "done already",
  );
});
