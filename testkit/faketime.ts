/**
 * A wall clock the test steps, for processes it starts: libfaketime (Debian package `faketime`)
 * preloaded, reading its offset from a file on every call (FAKETIME_NO_CACHE), the monotonic
 * clock left alone (FAKETIME_DONT_FAKE_MONOTONIC), as an NTP step or a resumed VM leaves it.
 * `step(seconds)` moves the wall clock of every process started with `env` at once. Linux.
 */
export interface SteppedClock {
  /** the environment that puts a process on this clock */
  env: Record<string, string>;
  /** sets the offset from the real wall clock, in seconds (absolute, not added) */
  step(seconds: number): void;
  dispose(): void;
}

/** The libfaketime library `faketime` preloads; throws a sentence saying what to install. */
async function preload(): Promise<string> {
  try {
    const out = await new Deno.Command("faketime", {
      args: ["-f", "+0", "/bin/sh", "-c", 'echo "$LD_PRELOAD"'],
      stdin: "null",
      stderr: "null",
    }).output();
    const lib = new TextDecoder().decode(out.stdout).trim();
    if (out.success && lib.includes("faketime")) return lib;
  } catch { /* not installed */ }
  throw new Error("Cannot step the wall clock: faketime is not installed (Debian package faketime)");
}

export async function steppedClock(): Promise<SteppedClock> {
  const dir = Deno.makeTempDirSync({ prefix: "qctl-clock-" });
  const file = `${dir}/offset`;
  const step = (seconds: number) => Deno.writeTextFileSync(file, `${seconds >= 0 ? "+" : ""}${seconds}\n`);
  step(0);
  return {
    env: {
      LD_PRELOAD: await preload(),
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    },
    step,
    dispose: () => Deno.removeSync(dir, { recursive: true }),
  };
}
