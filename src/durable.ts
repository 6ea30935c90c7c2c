/**
 * Durable replacement of a whole file: write a temp name, fsync it, rename it into place, fsync
 * the directory. A crash at any step leaves either the old file or the new one, never a mix.
 */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export function syncDir(dir: string): void {
  const handle = Deno.openSync(dir, { read: true });
  try {
    handle.syncSync();
  } finally {
    handle.close();
  }
}

export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** The steps of a replacement, named for a test that stops the process between two of them. */
export type ReplaceStep = "written" | "synced" | "renamed" | "dir-synced";

export function replaceFileDurably(
  path: string,
  data: Uint8Array | string,
  after: (step: ReplaceStep) => void = () => {},
): void {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  replaceFileDurablyStreamed(path, (write) => write(bytes), after);
}

/**
 * The same replacement, for content too large to hold in one buffer: `fill` hands it over in
 * pieces. An error thrown by `fill` itself (say, a damaged input it reads) passes through as it
 * is, the temp file removed; an error of the file system names the file, as above.
 */
export function replaceFileDurablyStreamed(
  path: string,
  fill: (write: (bytes: Uint8Array) => void) => void,
  after: (step: ReplaceStep) => void = () => {},
): void {
  const tmp = `${path}.${Deno.pid}.tmp`;
  const file = Deno.openSync(tmp, { write: true, create: true, truncate: true, mode: FILE_MODE });
  let failedIo = false;
  const write = (bytes: Uint8Array) => {
    try {
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    } catch (e) {
      failedIo = true;
      throw e;
    }
  };
  try {
    fill(write);
    after("written");
    failedIo = true;
    file.syncSync();
  } catch (e) {
    // a full disk must not keep a half-written temp file (and its space) after the failure
    try {
      Deno.removeSync(tmp);
    } catch { /* not there */ }
    // name the file: "No space left on device" alone does not say where
    if (failedIo) throw new Error(`${(e as Error).message} while writing ${path}`, { cause: e });
    throw e;
  } finally {
    file.close();
  }
  after("synced");
  Deno.renameSync(tmp, path);
  after("renamed");
  syncDir(dirOf(path));
  after("dir-synced");
}

/** Creates `path` (and parents) if missing; a new directory's entry is made durable too. */
export function ensureDir(path: string): void {
  if (exists(path)) return;
  Deno.mkdirSync(path, { recursive: true, mode: DIR_MODE });
  syncDir(dirOf(path));
}

/**
 * Creates directory `path` if missing, but never its parent: a directory of the home (logs/,
 * workers/) made anew when someone removed it, never the home itself, which a worker must not
 * create (it stops when its home is gone). Throws NotFound when the parent is gone.
 */
export function ensureSubdir(path: string): void {
  if (exists(path)) return;
  try {
    Deno.mkdirSync(path, { mode: DIR_MODE });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return;
    throw e;
  }
  syncDir(dirOf(path));
}

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Reads up to `buf.length` bytes at `position` (fewer only at the end of the file); returns how many. */
export function readAt(file: Deno.FsFile, position: number, buf: Uint8Array): number {
  file.seekSync(position, Deno.SeekMode.Start);
  let got = 0;
  while (got < buf.length) {
    const n = file.readSync(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got;
}
