import assert from "node:assert/strict";
import { type OffsetAt, parseTimeInput } from "./time_input.ts";

/** The zone `name` (IANA), from the runtime's time zone data: whatever TZ this process has. */
function zone(name: string): OffsetAt {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: name,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  return (ms) => {
    const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, Number(p.value)]));
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return (wall - Math.floor(ms / 1000) * 1000) / 60_000;
  };
}

const NEW_YORK = zone("America/New_York");
const KOLKATA = zone("Asia/Kolkata");
const LORD_HOWE = zone("Australia/Lord_Howe");

function iso(text: string, offsetAt: OffsetAt): string {
  const time = parseTimeInput(text, offsetAt);
  assert.ok("ms" in time, `${text}: ${JSON.stringify(time)}`);
  return new Date(time.ms).toISOString();
}

Deno.test("parseTimeInput() reads a date alone and a date-time without an offset alike, in the zone given", () => {
  for (
    const [offsetAt, midnight] of [[NEW_YORK, "2030-01-01T05:00:00.000Z"], [
      KOLKATA,
      "2029-12-31T18:30:00.000Z",
    ]] as const
  ) {
    for (const text of ["2030-01-01", "2030-01-01T00:00", "2030-01-01 00:00:00", "2030-01-01t00:00:00.000"]) {
      assert.equal(iso(text, offsetAt), midnight, text);
    }
  }
  // summer: New York is at -04:00, Kolkata still at +05:30
  assert.equal(iso("2030-07-01 09:30", NEW_YORK), "2030-07-01T13:30:00.000Z");
  assert.equal(iso("2030-07-01 09:30", KOLKATA), "2030-07-01T04:00:00.000Z");
});

Deno.test("parseTimeInput() reads a time with Z or an offset as that instant, whatever the zone", () => {
  for (const offsetAt of [NEW_YORK, KOLKATA]) {
    assert.equal(iso("2030-01-01T00:00:00Z", offsetAt), "2030-01-01T00:00:00.000Z");
    assert.equal(iso("2030-01-01T00:00z", offsetAt), "2030-01-01T00:00:00.000Z");
    assert.equal(iso("2030-01-01T09:00:00+01:00", offsetAt), "2030-01-01T08:00:00.000Z");
    assert.equal(iso("2030-01-01T09:00:00-0230", offsetAt), "2030-01-01T11:30:00.000Z");
    assert.equal(iso("2030-01-01 09:00:00.1234Z", offsetAt), "2030-01-01T09:00:00.123Z");
  }
});

Deno.test("parseTimeInput() refuses what is not ISO-8601 or not in the calendar", () => {
  for (
    const text of [
      "",
      "tomorrow",
      "2030-1-01",
      "12:00",
      "2030-01-01T",
      "2030-01-01Z",
      "2030-02-29",
      "2028-02-30",
      "2030-04-31T00:00",
      "2030-13-01",
      "2030-00-10",
      "2030-01-01T24:00",
      "2030-01-01T23:60",
      "2030-01-01T23:59:60",
      "2030-01-01T00:00+24:00",
      "2030-01-01T00:00:00Z junk",
    ]
  ) {
    assert.deepEqual(parseTimeInput(text, NEW_YORK), { problem: "not ISO-8601" }, text);
  }
  assert.equal(iso("2028-02-29", KOLKATA), "2028-02-28T18:30:00.000Z");
  assert.equal(iso("2000-02-29T00:00Z", KOLKATA), "2000-02-29T00:00:00.000Z");
});

Deno.test("parseTimeInput() refuses a wall-clock time the zone skips, and takes the first of one it repeats", () => {
  // New York: 2030-03-10 02:00 EST becomes 03:00 EDT; 2030-11-03 02:00 EDT becomes 01:00 EST
  assert.deepEqual(parseTimeInput("2030-03-10T02:30", NEW_YORK), { problem: "skipped" });
  assert.equal(iso("2030-03-10T01:59", NEW_YORK), "2030-03-10T06:59:00.000Z");
  assert.equal(iso("2030-03-10T03:00", NEW_YORK), "2030-03-10T07:00:00.000Z");
  assert.equal(iso("2030-11-03T01:30", NEW_YORK), "2030-11-03T05:30:00.000Z");
  assert.equal(iso("2030-11-03T01:30-05:00", NEW_YORK), "2030-11-03T06:30:00.000Z");
  // Lord Howe moves by 30 minutes
  assert.deepEqual(parseTimeInput("2030-10-06T02:15", LORD_HOWE), { problem: "skipped" });
  // the same wall time is fine in a zone that skips nothing
  assert.equal(iso("2030-03-10T02:30", KOLKATA), "2030-03-09T21:00:00.000Z");
});

Deno.test("parseTimeInput() reads a day whose midnight is skipped as starting when the clocks go forward", () => {
  // Havana moved its clocks from 00:00 to 01:00 on 2030-03-10 (second Sunday of March)
  const havana = zone("America/Havana");
  assert.deepEqual(parseTimeInput("2030-03-10T00:30", havana), { problem: "skipped" });
  assert.equal(iso("2030-03-10", havana), "2030-03-10T05:00:00.000Z");
});
