/**
 * Temporary homes for tests. A home is `<temp dir>/home`: the temp dir exists, the home in it does
 * not until a command creates it (as on a user's first run), and the temp dir around it
 * (`dirOfHome(home)`) is a place for the test's own files: ledgers, markers, job directories.
 *
 * `withHome(body, options?)` is the way a test gets a home it does not keep:
 *
 *     await withHome(async (home) => {
 *       await cliOk(home, ["enqueue", "true"]);
 *     });
 *
 * It makes a fresh temp dir, runs `body` with the home in it, and removes the whole temp dir
 * afterwards, whether `body` returned or threw; it returns what `body` returned. A body that
 * starts processes stops them in its own `finally`, so they are gone before the home is.
 * `tempHome` and `removeHome` are the two halves, for a home that outlives one body.
 */
import { removeLeftCgroups } from "./cgroups.ts";

/** Options of `withHome`. */
export interface HomeOptions {
  /** Start of the temp dir's name, telling whose leftovers are whose. Default: "qctl-test-". */
  prefix?: string;
  /** Create the home itself (mode 0700) before `body` runs. Default: false, the home does not exist yet. */
  create?: boolean;
}

/** Runs `body` with a fresh home in a new temp dir, then removes that temp dir (also when `body` throws). */
export async function withHome<T>(
  body: (home: string) => T | Promise<T>,
  options: HomeOptions = {},
): Promise<T> {
  const home = tempHome(options.prefix);
  try {
    if (options.create) Deno.mkdirSync(home, { mode: 0o700 });
    return await body(home);
  } finally {
    removeHome(home);
  }
}

/** A path for a home in a new temp dir; the home itself is not created. */
export function tempHome(prefix = "qctl-test-"): string {
  const dir = Deno.makeTempDirSync({ prefix });
  return `${dir}/home`;
}

/** The temp directory that holds `home` (made by `tempHome`): a place for the jobs' own files. */
export function dirOfHome(home: string): string {
  return home.replace(/\/home$/, "");
}

/** Removes the temp directory made by `tempHome`, and the cgroups its killed workers left. */
export function removeHome(home: string): void {
  removeLeftCgroups(home);
  try {
    Deno.removeSync(dirOfHome(home), { recursive: true });
  } catch { /* already gone */ }
}
