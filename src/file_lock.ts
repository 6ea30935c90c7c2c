/**
 * An exclusive OS lock (flock, through `Deno.FsFile.lock`) on a file, held for the length of one
 * body: processes that take it on the same file run their bodies one at a time. The file is
 * created (0600) if missing and never removed; its content is unused. The kernel releases the
 * lock when the holder closes the file or dies, so a crashed holder never blocks the next one.
 */
import { FILE_MODE } from "./durable.ts";

export async function withFileLock<T>(path: string, body: () => T | Promise<T>): Promise<T> {
  const file = Deno.openSync(path, { read: true, write: true, create: true, mode: FILE_MODE });
  try {
    await file.lock(true);
    return await body();
  } finally {
    file.close(); // releases the lock
  }
}
