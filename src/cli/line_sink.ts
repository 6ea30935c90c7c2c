/**
 * Lines written to a stream that may go away under a long-running command: a terminal that was
 * closed answers every write with EIO, a pipe whose reader exited with EPIPE. Such a failure must
 * not end a worker (its jobs still have to finish and be recorded): the stream counts as gone and
 * later lines are dropped. Any other failure (a full disk under a redirected stdout) drops only
 * the line it happened to.
 */
import type { Streams } from "./context.ts";
import { isStreamGone } from "../stream_gone.ts";

export class LineSink {
  readonly #out: Streams;
  #gone = false;
  /** lines that could not be written */
  dropped = 0;

  constructor(out: Streams) {
    this.#out = out;
  }

  /** The stream went away (see the top of this file): nothing more is written to it. */
  get gone(): boolean {
    return this.#gone;
  }

  /** Writes `line` and a newline; never throws. */
  write(line: string): void {
    if (this.#gone) {
      this.dropped++;
      return;
    }
    try {
      this.#out.write(line + "\n");
    } catch (e) {
      this.dropped++;
      if (isStreamGone(e)) this.#gone = true;
    }
  }
}
