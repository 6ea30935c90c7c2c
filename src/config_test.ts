import assert from "node:assert/strict";
import {
  CONFIG_KEYS,
  configKey,
  configTemplate,
  DEFAULT_CONFIG,
  loadConfig,
  parseConfigText,
  parseConfigValue,
  setConfigValue,
  validateConfig,
} from "./config.ts";
import { UsageError } from "./errors.ts";
import { parseDuration } from "./validate.ts";
import { refuses } from "./test_assertions.ts";
import { withHome } from "../testkit/mod.ts";

/** Each test gets a home that exists already (a directory with nothing in it). */
const HOME = { prefix: "queuectl-config-test-", create: true };

Deno.test("configKey() accepts kebab, snake and camel spellings of a key", () => {
  for (const name of ["max-retries", "max_retries", "maxRetries", "MAX_RETRIES", "Max-Retries"]) {
    assert.strictEqual(configKey(name), "max_retries", name);
  }
  assert.strictEqual(configKey("lease-timeout"), "lease_timeout");
  assert.strictEqual(configKey("pollInterval"), "poll_interval");
  assert.strictEqual(configKey("backoff_max"), "backoff_max");
});

Deno.test("configKey() refuses an unknown key, naming it and listing the known ones", () => {
  refuses(
    () => configKey("retries"),
    /^Unknown config key "retries": expected one of max-retries, backoff-base, backoff-max, job-timeout, lease-timeout, poll-interval, retention-completed, retention-dead$/,
  );
  refuses(() => configKey(""), /^Unknown config key "":/);
  refuses(() => configKey("max retries"), /^Unknown config key "max retries":/);
});

Deno.test("DEFAULT_CONFIG holds every key's default", () => {
  assert.deepStrictEqual(DEFAULT_CONFIG, {
    max_retries: 3,
    backoff_base: 2,
    backoff_max: 3600,
    job_timeout: 0,
    lease_timeout: 30,
    poll_interval: 1,
    retention_completed: 0,
    retention_dead: 0,
  });
});

Deno.test("parseConfigValue() takes a duration or seconds for every key in seconds, and only for them", () => {
  assert.strictEqual(parseConfigValue("retention_completed", "7d"), 604_800);
  assert.strictEqual(parseConfigValue("retention_completed", "12h"), 43_200);
  assert.strictEqual(parseConfigValue("retention_dead", "90"), 90);
  assert.strictEqual(parseConfigValue("retention_dead", "0"), 0);
  assert.strictEqual(parseConfigValue("job_timeout", "5m"), 300);
  assert.strictEqual(parseConfigValue("job_timeout", "5s"), 5);
  assert.strictEqual(parseConfigValue("lease_timeout", "2m"), 120);
  assert.strictEqual(parseConfigValue("poll_interval", "250ms"), 0.25);
  assert.strictEqual(parseConfigValue("backoff_max", "1h"), 3600);
  refuses(
    () => parseConfigValue("retention_dead", "soon"),
    /^Cannot set retention-dead to "soon": it must be a number of seconds or a duration such as 30s, 5m, 2h or 1d$/,
  );
  refuses(
    () => parseConfigValue("job_timeout", "5x"),
    /^Cannot set job-timeout to "5x": it must be a number of seconds or a duration such as 30s, 5m, 2h or 1d$/,
  );
  refuses(() => parseConfigValue("retention_completed", "-1d"), /retention-completed/);
  refuses(
    () => parseConfigValue("job_timeout", "366d"),
    /^Cannot set job-timeout to "366d": it must be at most 31536000$/,
  );
  refuses(
    () => parseConfigValue("lease_timeout", "500ms"),
    /^Cannot set lease-timeout to "500ms": it must be at least 1$/,
  );
  // a count or a factor is no duration
  refuses(
    () => parseConfigValue("max_retries", "5m"),
    /^Cannot set max-retries to "5m": it must be a number$/,
  );
  refuses(
    () => parseConfigValue("backoff_base", "2s"),
    /^Cannot set backoff-base to "2s": it must be a number$/,
  );
});

Deno.test("parseConfigValue() reads a duration-valued key exactly as parseDuration() reads a duration flag", () => {
  const seconds = CONFIG_KEYS.filter((k) => k.duration).map((k) => k.key);
  assert.deepEqual(seconds, [
    "backoff_max",
    "job_timeout",
    "lease_timeout",
    "poll_interval",
    "retention_completed",
    "retention_dead",
  ]);
  for (
    const raw of [
      "90",
      "1.5",
      ".5",
      "2.",
      " 30s ",
      "5m",
      "1.5h",
      "250ms",
      "1d",
      "5x",
      "m",
      "-5",
      "1e3",
      "5 m",
      "",
    ]
  ) {
    let flag: number | null;
    try {
      flag = parseDuration("timeout", raw);
    } catch (e) {
      assert.ok(e instanceof UsageError);
      flag = null;
    }
    let set: number | null;
    try {
      set = parseConfigValue("retention_dead", raw);
    } catch (e) {
      assert.ok(e instanceof UsageError);
      set = null;
    }
    assert.strictEqual(set, flag, JSON.stringify(raw));
  }
});

Deno.test("parseConfigValue() reads valid numbers", () => {
  assert.strictEqual(parseConfigValue("max_retries", "5"), 5);
  assert.strictEqual(parseConfigValue("max_retries", " 0 "), 0);
  assert.strictEqual(parseConfigValue("max_retries", "1e3"), 1000);
  assert.strictEqual(parseConfigValue("backoff_base", "1.5"), 1.5);
  assert.strictEqual(parseConfigValue("poll_interval", "0.25"), 0.25);
  assert.strictEqual(parseConfigValue("lease_timeout", "1"), 1);
  assert.strictEqual(parseConfigValue("job_timeout", "0"), 0);
});

Deno.test("parseConfigValue() refuses text that is not a number", () => {
  for (const raw of ["abc", "", " ", "5s", "0x10", "Infinity", "NaN", "1,5"]) {
    refuses(
      () => parseConfigValue("max_retries", raw),
      new RegExp(
        `^Cannot set max-retries to "${raw.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}": it must be a number$`,
      ),
    );
  }
});

Deno.test("parseConfigValue() refuses negative, fractional and out-of-range values, naming the key", () => {
  refuses(
    () => parseConfigValue("max_retries", "-1"),
    /^Cannot set max-retries to "-1": it must be at least 0$/,
  );
  refuses(
    () => parseConfigValue("max_retries", "1.5"),
    /^Cannot set max-retries to "1.5": it must be a whole number$/,
  );
  refuses(
    () => parseConfigValue("max_retries", "1001"),
    /^Cannot set max-retries to "1001": it must be at most 1000$/,
  );
  refuses(
    () => parseConfigValue("lease_timeout", "0.5"),
    /^Cannot set lease-timeout to "0.5": it must be at least 1$/,
  );
  refuses(
    () => parseConfigValue("backoff_max", "0"),
    /^Cannot set backoff-max to "0": it must be greater than 0$/,
  );
  refuses(
    () => parseConfigValue("poll_interval", "0.01"),
    /^Cannot set poll-interval to "0.01": it must be at least 0.05$/,
  );
  refuses(
    () => parseConfigValue("backoff_base", "1e400"),
    /^Cannot set backoff-base to "1e400": it must be a number$/,
  );
});

Deno.test("parseConfigValue() accepts every key's default and bounds", () => {
  for (const spec of CONFIG_KEYS) {
    assert.strictEqual(parseConfigValue(spec.key, String(spec.default)), spec.default, spec.key);
    assert.strictEqual(parseConfigValue(spec.key, String(spec.max)), spec.max, spec.key);
    if (!spec.exclusive) assert.strictEqual(parseConfigValue(spec.key, String(spec.min)), spec.min, spec.key);
  }
});

Deno.test("parseConfigText() reads comments, trailing commas and any key spelling", () => {
  const text = `// settings
{
  /* block comment */
  "max-retries": 5, // line comment
  "backoffBase": 3,
  "lease_timeout": 10,
}
`;
  assert.deepStrictEqual(parseConfigText(text, "config.jsonc"), {
    ...DEFAULT_CONFIG,
    max_retries: 5,
    backoff_base: 3,
    lease_timeout: 10,
  });
});

Deno.test("parseConfigText() of an empty object gives the defaults", () => {
  assert.deepStrictEqual(parseConfigText("{}", "c.jsonc"), DEFAULT_CONFIG);
});

Deno.test("parseConfigText() refuses an unknown key, naming the file and the key", () => {
  refuses(
    () => parseConfigText('{ "max_retries": 1, "colour": "blue" }', "/home/q/config.jsonc"),
    /^Cannot read \/home\/q\/config\.jsonc: Unknown config key "colour"/,
  );
});

Deno.test("parseConfigText() refuses a bad value, naming the file, the key and the value", () => {
  refuses(
    () => parseConfigText('{ "max_retries": -2 }', "c.jsonc"),
    /^Cannot read c\.jsonc: max-retries is -2, but it must be at least 0$/,
  );
  refuses(
    () => parseConfigText('{ "lease-timeout": "30" }', "c.jsonc"),
    /^Cannot read c\.jsonc: lease-timeout is "30", but it must be a number$/,
  );
  refuses(
    () => parseConfigText('{ "max_retries": 2.5 }', "c.jsonc"),
    /max-retries is 2\.5, but it must be a whole number/,
  );
  refuses(() => parseConfigText('{ "poll_interval": null }', "c.jsonc"), /poll-interval is null/);
});

Deno.test("parseConfigText() refuses text that is not one JSONC object", () => {
  refuses(
    () => parseConfigText("{ max_retries: 1 }", "c.jsonc"),
    /^Cannot read c\.jsonc: it is not valid JSONC/,
  );
  refuses(() => parseConfigText("", "c.jsonc"), /^Cannot read c\.jsonc: it is not valid JSONC/);
  refuses(() => parseConfigText("[1, 2]", "c.jsonc"), /^Cannot read c\.jsonc: it must hold one JSON object$/);
  refuses(() => parseConfigText("null", "c.jsonc"), /it must hold one JSON object/);
  refuses(() => validateConfig(3, "c.jsonc"), /it must hold one JSON object/);
});

Deno.test("configTemplate() parses back to DEFAULT_CONFIG and documents every key", () => {
  const text = configTemplate();
  assert.deepStrictEqual(parseConfigText(text, "template"), DEFAULT_CONFIG);
  for (const spec of CONFIG_KEYS) {
    assert.ok(text.includes(`"${spec.key}"`), spec.key);
    assert.ok(text.includes(spec.doc), spec.key);
  }
});

Deno.test("loadConfig() of a missing file gives the defaults", async () => {
  await withHome(async (home) => {
    const config = await loadConfig(`${home}/config.jsonc`);
    assert.deepStrictEqual(config, DEFAULT_CONFIG);
    config.max_retries = 99; // a copy: the shared defaults stay untouched
    assert.strictEqual(DEFAULT_CONFIG.max_retries, 3);
  }, HOME);
});

Deno.test("loadConfig() reads and validates an existing file", async () => {
  await withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    await Deno.writeTextFile(file, '// mine\n{ "backoff-max": 60 }\n');
    assert.deepStrictEqual(await loadConfig(file), { ...DEFAULT_CONFIG, backoff_max: 60 });
    await Deno.writeTextFile(file, '{ "backoff-max": 0 }\n');
    await assert.rejects(
      loadConfig(file),
      (e: unknown) =>
        e instanceof UsageError && e.message.includes(file) && /backoff-max is 0/.test(e.message),
    );
  }, HOME);
});

Deno.test("setConfigValue() changes one key and keeps the file's comments", async () => {
  await withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    await Deno.writeTextFile(
      file,
      `// my queue settings
{
  // be patient
  "lease_timeout": 60,
  "max_retries": 1 // few retries
}
`,
    );
    await setConfigValue(file, "max_retries", 7, `${home}/config.lock`);
    const text = await Deno.readTextFile(file);
    assert.ok(text.includes("// my queue settings"), text);
    assert.ok(text.includes("// be patient"), text);
    assert.ok(text.includes("// few retries"), text);
    assert.deepStrictEqual(parseConfigText(text, file), {
      ...DEFAULT_CONFIG,
      lease_timeout: 60,
      max_retries: 7,
    });
    assert.deepStrictEqual(await loadConfig(file), { ...DEFAULT_CONFIG, lease_timeout: 60, max_retries: 7 });
  }, HOME);
});

Deno.test("setConfigValue() edits the key under the spelling the file already uses, adding no duplicate", async () => {
  await withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    await Deno.writeTextFile(
      file,
      `// top comment
{
  "max-retries": 5,
  "backoff-base": 3
}
`,
    );
    await setConfigValue(file, "max_retries", 9, `${home}/config.lock`);
    const text = await Deno.readTextFile(file);
    assert.ok(text.includes("// top comment"), text);
    assert.ok(text.includes('"max-retries": 9'), text);
    assert.strictEqual(text.match(/max.retries/gi)?.length, 1, text);
    assert.deepStrictEqual(parseConfigText(text, file), {
      ...DEFAULT_CONFIG,
      max_retries: 9,
      backoff_base: 3,
    });
  }, HOME);
});

Deno.test("setConfigValue() replacing another spelling of a key keeps the comment of the key after it", async () => {
  await withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    await Deno.writeTextFile(
      file,
      `{
  "max-retries": 5,
  // base comment
  "backoff-base": 3
}
`,
    );
    await setConfigValue(file, "max_retries", 9, `${home}/config.lock`);
    const text = await Deno.readTextFile(file);
    assert.ok(text.includes("// base comment"), text);
    assert.deepStrictEqual(parseConfigText(text, file), {
      ...DEFAULT_CONFIG,
      max_retries: 9,
      backoff_base: 3,
    });
  }, HOME);
});

Deno.test("setConfigValue() on a missing file writes the documented template with the new value", async () => {
  await withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    await setConfigValue(file, "poll_interval", 0.5, `${home}/config.lock`);
    const text = await Deno.readTextFile(file);
    assert.ok(text.startsWith("// queuectl settings"), text);
    assert.deepStrictEqual(parseConfigText(text, file), { ...DEFAULT_CONFIG, poll_interval: 0.5 });
    assert.deepStrictEqual([...Deno.readDirSync(home)].map((e) => e.name).sort(), [
      "config.jsonc",
      "config.lock",
    ]);
  }, HOME);
});

Deno.test("setConfigValue() refuses to edit a file that is already broken, leaving it as it was", async () => {
  await withHome(async (home) => {
    const file = `${home}/config.jsonc`;
    const broken = '{ "colour": "blue" }\n';
    await Deno.writeTextFile(file, broken);
    await assert.rejects(
      setConfigValue(file, "max_retries", 2, `${home}/config.lock`),
      (e: unknown) => e instanceof UsageError && /Unknown config key "colour"/.test(e.message),
    );
    assert.strictEqual(await Deno.readTextFile(file), broken);
    assert.deepStrictEqual(
      [...Deno.readDirSync(home)].map((e) => e.name),
      ["config.jsonc"],
      "no lock file either",
    );
  }, HOME);
});
