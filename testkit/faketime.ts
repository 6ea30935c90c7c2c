/**
 * A wall clock the test steps, for processes it starts: libfaketime (Debian package `faketime`)
 * preloaded, reading its offset from a file on every call (FAKETIME_NO_CACHE), the monotonic
 * clock left alone (FAKETIME_DONT_FAKE_MONOTONIC), as an NTP step or a resumed VM leaves it.
 * `step(seconds)` moves the wall clock of every process started with `env` at once. Linux.
 */
import { processAlive } from "./process.ts";

export interface SteppedClock {
  /** the environment that puts a process on this clock */
  env: Record<string, string>;
  /** sets the offset from the real wall clock, in seconds (absolute, not added) */
  step(seconds: number): void;
  dispose(): void;
}

/**
 * Removes the semaphore and shared memory a `faketime` wrapper left in /dev/shm when it was killed
 * (named after its pid), for every pid no longer alive: a new wrapper that gets a recycled pid
 * fails on them ("faketime: sem_open: File exists"), which stopped a torture step's clock
 * (2026-12-06: 310 such pairs, 400 wrappers in a row failed 2 times). Those of live wrappers stay.
 */
export function clearStaleFaketime(): void {
  let names: string[];
  try {
    names = [...Deno.readDirSync("/dev/shm")].map((e) => e.name);
  } catch {
    return; // no /dev/shm: nothing to collide with
  }
  for (const name of names) {
    const m = name.match(/^(?:faketime_shm_|sem\.faketime_sem_)(\d+)$/);
    if (!m || processAlive(Number(m[1]))) continue;
    try {
      Deno.removeSync(`/dev/shm/${name}`);
    } catch { /* removed meanwhile, or not ours to remove */ }
  }
}

/** The libfaketime library `faketime` preloads; throws a sentence saying what to install. */
export async function faketimePreload(): Promise<string> {
  clearStaleFaketime();
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
      LD_PRELOAD: await faketimePreload(),
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_NO_CACHE: "1",
      FAKETIME_DONT_FAKE_MONOTONIC: "1",
    },
    step,
    dispose: () => Deno.removeSync(dir, { recursive: true }),
  };
}
