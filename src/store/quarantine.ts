/**
 * What every repair shares: the writers' lock, and side files. A side file keeps damaged bytes
 * verbatim beside the store, under a name no store module reads (`<file>.quarantined-<time>`),
 * so a repair deletes nothing a person might still want.
 */
import { FILE_MODE, syncDir } from "../durable.ts";
import { fileName, type HomePaths } from "./paths.ts";

/** Runs `fn` holding the store's exclusive lock, as every writer does. */
export async function underLock<T>(paths: HomePaths, fn: () => T | Promise<T>): Promise<T> {
  const lock = await Deno.open(paths.lock, { read: true, write: true, create: true, mode: FILE_MODE });
  try {
    await lock.lock(true);
    return await fn();
  } finally {
    lock.close();
  }
}

/** Writes `bytes` durably to a new side file of `name`; returns the side file's name. */
export function writeSideFile(paths: HomePaths, name: string, bytes: Uint8Array, now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  for (let k = 1;; k++) {
    const side = paths.quarantined(name, stamp, k);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(side, { write: true, createNew: true, mode: FILE_MODE });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) continue;
      throw e;
    }
    try {
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
      file.syncSync();
    } finally {
      file.close();
    }
    syncDir(paths.home);
    return fileName(side);
  }
}

/** Job ids a damaged line still shows (`"id":"…"`): the best a report can say of an unreadable line. */
export function idsIn(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  return [...new Set([...text.matchAll(/"id":"([A-Za-z0-9._:@+-]{1,128})"/g)].map((m) => m[1]))];
}
