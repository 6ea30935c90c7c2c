/** The Store conformance suite (tests/store/store_conformance.ts) against the embedded FileStore. */
import { FileStore } from "../../src/store/file_store.ts";
import type { Clock } from "../../src/store/log.ts";
import { storeConformance } from "./store_conformance.ts";

/** A FileStore in a temp home of its own, removed when the store is closed. */
class TempFileStore extends FileStore {
  readonly #dir: string;
  constructor(clock: Clock) {
    const dir = Deno.makeTempDirSync({ prefix: "qctl-conformance-" });
    super(`${dir}/home`, { clock });
    this.#dir = dir;
  }
  override close(): void {
    super.close();
    Deno.removeSync(this.#dir, { recursive: true });
  }
}

storeConformance("FileStore", (clock) => new TempFileStore(clock));

// the same suite with automatic compaction after almost every write: snapshots must not change
// any answer
storeConformance("FileStore compacting constantly", (clock) => {
  const dir = Deno.makeTempDirSync({ prefix: "qctl-conformance-" });
  const store = new FileStore(`${dir}/home`, { clock, compactAfterBytes: 1 });
  const close = store.close.bind(store);
  store.close = () => {
    close();
    Deno.removeSync(dir, { recursive: true });
  };
  return store;
});
