/** The Store conformance suite (tests/store/store_conformance.ts) against the embedded FileStore. */
import { FileStore } from "../../src/store/file_store.ts";
import type { Clock } from "../../src/clock.ts";
import { removeHome, tempHome } from "../../testkit/mod.ts";
import { storeConformance } from "./store_conformance.ts";

/** A FileStore in a temp home of its own, removed when the store is closed. */
class TempFileStore extends FileStore {
  readonly #home: string;
  constructor(clock: Clock) {
    const home = tempHome("qctl-conformance-");
    super(home, { clock });
    this.#home = home;
  }
  override close(): void {
    super.close();
    removeHome(this.#home);
  }
}

storeConformance("FileStore", (clock) => new TempFileStore(clock));

// the same suite with automatic compaction after almost every write, every plain pending job moved
// into a pending segment by each (pendingMin 1): snapshots and segments must not change any answer
storeConformance("FileStore compacting constantly", (clock) => {
  const home = tempHome("qctl-conformance-");
  const store = new FileStore(home, { clock, compactAfterBytes: 1, pendingMin: 1 });
  const close = store.close.bind(store);
  store.close = () => {
    close();
    removeHome(home);
  };
  return store;
});
