/**
 * Temporary homes for tests. A home is `<temp dir>/home`: the temp dir exists, the home in it does
 * not until a command creates it (as on a user's first run), and the temp dir around it
 * (`dirOfHome(home)`) is a place for the test's own files: ledgers, markers, job directories.
 */

/** A path for a home in a new temp dir; the home itself is not created. */
export function tempHome(prefix = "qctl-test-"): string {
  const dir = Deno.makeTempDirSync({ prefix });
  return `${dir}/home`;
}

/** The temp directory that holds `home` (made by `tempHome`): a place for the jobs' own files. */
export function dirOfHome(home: string): string {
  return home.replace(/\/home$/, "");
}

/** Removes the temp directory made by `tempHome`. */
export function removeHome(home: string): void {
  try {
    Deno.removeSync(dirOfHome(home), { recursive: true });
  } catch { /* already gone */ }
}
