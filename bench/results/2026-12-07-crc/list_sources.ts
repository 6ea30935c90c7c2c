import { openStore } from "../../../src/store/open.ts";
import { systemClock } from "../../../src/clock.ts";
import type { FileStore } from "../../../src/store/file_store.ts";
const home = Deno.args[0];
const store = openStore(home, {
  clock: systemClock,
  env: () => undefined,
  warn: () => {},
  createHome: false,
}) as FileStore;
await store.counts();
await store.log.read((s) => {
  for (
    const [name, make] of [
      ["live", () => s.inOrderDesc(undefined)],
      ["archive", () => s.archiveView!.jobs("desc", undefined)],
      ["pending", () => s.pending.jobs("desc", undefined)],
    ] as const
  ) {
    const t0 = performance.now();
    const it = (make() as Iterable<unknown>)[Symbol.iterator]();
    it.next();
    const t1 = performance.now();
    for (let i = 0; i < 20; i++) it.next();
    const t2 = performance.now();
    console.log(`${name}: first ${(t1 - t0).toFixed(2)} next 20 ${(t2 - t1).toFixed(2)}`);
  }
});
store.close();
