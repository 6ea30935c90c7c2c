/**
 * Output files no job needs any more: a slot's output file (`logs/<worker>-slot-<n>[-<k>].out`,
 * src/worker/output.ts) holds the output of many jobs, so it can go only once no attempt of an
 * existing job points into it (the state's `outputs` counts them) and no worker can still write
 * to it: a file of a live worker is kept while it is the newest part of its slot (the one the
 * slot appends to next; a claim names it only after it exists). Called under the store's
 * exclusive lock with a caught-up state, so no claim can name a file meanwhile.
 */
import { type HomePaths, parseSlotOutput } from "./paths.ts";

/**
 * Removes the unused output files of `logs/`; returns their names. `used` is the state's count
 * of attempts per file, `liveWorker(id)` whether worker `id` may still write, `removed` is called
 * after each removal (the crash seam).
 */
export function removeUnusedOutputs(
  paths: HomePaths,
  used: ReadonlyMap<string, number>,
  liveWorker: (id: string) => boolean,
  removed: () => void = () => {},
): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(paths.logsDir)];
  } catch {
    return [];
  }
  const files: Array<{ name: string; worker: string; slot: string; part: number }> = [];
  const newest = new Map<string, number>();
  for (const e of entries) {
    const slot = e.isFile ? parseSlotOutput(e.name) : null;
    if (!slot) continue;
    const file = { name: e.name, ...slot };
    files.push(file);
    const key = `${file.worker} ${file.slot}`;
    newest.set(key, Math.max(newest.get(key) ?? 0, file.part));
  }
  const alive = new Map<string, boolean>();
  const gone: string[] = [];
  for (const f of files) {
    if ((used.get(f.name) ?? 0) > 0) continue;
    if (!alive.has(f.worker)) alive.set(f.worker, liveWorker(f.worker));
    if (alive.get(f.worker) && newest.get(`${f.worker} ${f.slot}`) === f.part) continue;
    try {
      Deno.removeSync(paths.runOutput(f.name));
      gone.push(f.name);
      removed();
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return gone;
}
