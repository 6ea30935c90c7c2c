import assert from "node:assert/strict";
import { DEFAULT_TRIALS, OptionError, parseOptions } from "./options.ts";
import { renderTable } from "./table.ts";

const STEPS = ["kill", "crash", "exactly"];

Deno.test("parseOptions() defaults: every step, 1000 trials, a drawn seed", () => {
  const o = parseOptions([], STEPS, () => 99);
  assert.deepEqual(o, {
    help: false,
    trials: DEFAULT_TRIALS,
    seed: 99,
    seedDrawn: true,
    quick: false,
    json: false,
    only: STEPS,
  });
});

Deno.test("parseOptions() reads every flag, with a value after a space or an equals sign", () => {
  const o = parseOptions(["--trials", "5", "--seed=7", "--quick", "--json", "--only", "exactly,kill"], STEPS);
  assert.equal(o.trials, 5);
  assert.equal(o.seed, 7);
  assert.equal(o.seedDrawn, false);
  assert.equal(o.quick, true);
  assert.equal(o.json, true);
  assert.deepEqual(o.only, ["kill", "exactly"], "in the order of the step list");
  assert.equal(parseOptions(["-h"], STEPS).help, true);
});

Deno.test("parseOptions() refuses bad values naming the flag", () => {
  const bad: Array<[string[], RegExp]> = [
    [["--trials", "0"], /Invalid --trials "0": it must be an integer from 1/],
    [["--trials", "1.5"], /Invalid --trials "1.5"/],
    [["--trials"], /Invalid --trials: it needs a value/],
    [["--seed", "-1"], /Invalid --seed "-1"/],
    [["--seed", "4294967296"], /Invalid --seed "4294967296"/],
    [["--only", "kill,nope"], /Invalid --only "kill,nope": expected steps among kill, crash, exactly/],
    [["--only="], /Invalid --only ""/],
    [["--fast"], /Unknown argument "--fast"/],
  ];
  for (const [args, message] of bad) {
    assert.throws(
      () => parseOptions(args, STEPS),
      (e: unknown) => e instanceof OptionError && message.test((e as Error).message),
    );
  }
});

Deno.test("renderTable() lists every figure of every step and ends with the violation count", () => {
  const text = renderTable([
    { name: "kill", figures: [{ label: "trials", value: 3 }], violations: ["x", "y"], seconds: 1.25 },
    { name: "crash", figures: [{ label: "points", value: "17" }], violations: [], seconds: 2 },
  ]);
  const lines = text.trimEnd().split("\n");
  assert.match(lines[0], /^step\s+figure\s+value$/);
  assert.match(lines[2], /^kill\s+trials\s+3$/);
  assert.match(lines[3], /^kill\s+seconds\s+1\.3$/);
  assert.match(lines[4], /^crash\s+points\s+17$/);
  assert.equal(lines.at(-1), "violations: 2");
});
