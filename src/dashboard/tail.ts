/**
 * The end of a job's output file. The file can be gigabytes: only the last `max` bytes are read,
 * from the end; a UTF-8 character cut by the start of the window is dropped, not mangled.
 */
export interface Tail {
  output: string;
  /** the file's size */
  bytes: number;
  /** true when `output` starts after the file's first byte */
  truncated: boolean;
}

export async function readTail(path: string, max: number): Promise<Tail> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { output: "", bytes: 0, truncated: false };
    throw e;
  }
  try {
    const size = (await file.stat()).size;
    const start = Math.max(0, size - max);
    const buf = new Uint8Array(size - start);
    await file.seek(start, Deno.SeekMode.Start);
    let got = 0;
    while (got < buf.length) {
      const n = await file.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    let from = 0;
    // skip continuation bytes (10xxxxxx) of a character that began before the window
    if (start > 0) { while (from < got && from < 4 && (buf[from] & 0xc0) === 0x80) from++; }
    return {
      output: new TextDecoder().decode(buf.subarray(from, got)),
      bytes: size,
      truncated: start + from > 0,
    };
  } finally {
    file.close();
  }
}
