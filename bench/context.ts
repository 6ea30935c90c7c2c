/**
 * What every step of the bench receives: the sizes, where the repository, the CLI under test and
 * the scratch directory are, a progress line, and the child processes still running (killed on
 * Ctrl-C). Built once by main.ts.
 */
import type { Sizes } from "./options.ts";

export interface Bench {
  readonly sizes: Sizes;
  /** absolute path of the repository */
  readonly repo: string;
  /**
   * The CLI under test, as `deno task install` installs it: the bundle's main.js, built from the
   * repository's sources into `tmp` when the run starts (scripts/build.ts)
   */
  readonly main: string;
  /** the CLI from the sources: the repository's main.ts (the start-up figures' second row) */
  readonly source: string;
  /** every home and file of the run lives under here; removed at the end */
  readonly tmp: string;
  /** children spawned and not yet exited */
  readonly children: Set<Deno.ChildProcess>;
  /** one line on stderr, prefixed with the time since the bench started */
  progress(line: string): void;
  /** the same, but only when no line was printed for 2 s: for rounds of a long step */
  tick(line: string): void;
}

export function createBench(sizes: Sizes, repo: string): Bench {
  const started = performance.now();
  let last = started;
  const progress = (line: string) => {
    last = performance.now();
    const at = ((last - started) / 1000).toFixed(1).padStart(6);
    console.error(`[${at}s] ${line}`);
  };
  const tmp = Deno.makeTempDirSync({ prefix: "queuectl-bench-" });
  return {
    sizes,
    repo,
    main: `${tmp}/bundle/main.js`,
    source: `${repo}/main.ts`,
    tmp,
    children: new Set(),
    progress,
    tick(line: string) {
      if (performance.now() - last >= 2000) progress(line);
    },
  };
}

/** A fresh, empty scratch directory for one scenario; `remove()` deletes it and all it holds. */
export function scratch(bench: Bench, name: string): { dir: string; remove(): void } {
  const dir = Deno.makeTempDirSync({ dir: bench.tmp, prefix: `${name}-` });
  return {
    dir,
    remove: () => Deno.removeSync(dir, { recursive: true }),
  };
}
