/**
 * Fills a home's log with enqueue records, one job each, through the store's own code (FileStore,
 * in this process, the default compaction threshold of 256 KB), until the log holds `--bytes` bytes
 * since the last compaction: a home a user fills one `enqueue` at a time, just before its next
 * compaction. Prints one JSON line: `{"records": N, "bytes": B}`.
 *
 *   deno run --allow-all bench/log_home.ts --home DIR --bytes 235000
 */
import { FileStore } from "../src/store/file_store.ts";
import { homePaths, scanGenerations } from "../src/store/paths.ts";
import { flagValue } from "./helper_args.ts";

export async function fillLog(home: string, bytes: number): Promise<{ records: number; bytes: number }> {
  const store = new FileStore(home);
  const log = () => {
    const gens = scanGenerations(home).wals;
    return Deno.statSync(homePaths(home).wal(Math.max(...gens))).size;
  };
  try {
    let records = 0;
    for (let size = 0; size < bytes; size = log()) {
      await store.enqueue([{ command: `echo log record ${records}` }], { max_retries: 3 });
      records++;
    }
    return { records, bytes: log() };
  } finally {
    store.close();
  }
}

if (import.meta.main) {
  const arg = (name: string) => flagValue(Deno.args, name);
  const home = arg("--home");
  const bytes = Number(arg("--bytes"));
  if (!home || !(bytes > 0)) {
    console.error("usage: log_home.ts --home DIR --bytes N");
    Deno.exit(2);
  }
  console.log(JSON.stringify(await fillLog(home, bytes)));
}
