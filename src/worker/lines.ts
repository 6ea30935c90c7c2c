/**
 * Reads a child's output pipe line by line (a runner's messages, a helper's answer).
 *
 * It reads into one buffer of its own, given back by each read (a "byob" reader): the default
 * reader of a Deno pipe allocates 64 KiB for every read, and a worker's runner pipes are read
 * twice a job, which on a long drain held a worker at 220 MB resident instead of about 100
 * (bench/results/2026-12-06-analysis.md, section 8).
 */
const CHUNK = 4096;

export class Lines {
  readonly #reader: ReadableStreamBYOBReader;
  readonly #decoder = new TextDecoder();
  #buffer = new Uint8Array(CHUNK);
  #text = "";
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader({ mode: "byob" });
  }

  /** The next line without its newline, or null at the end (a last line without one is dropped). */
  async next(): Promise<string | null> {
    let at = this.#text.indexOf("\n");
    while (at < 0 && !this.#ended) {
      try {
        const { value, done } = await this.#reader.read(this.#buffer);
        if (value) this.#buffer = new Uint8Array(value.buffer); // the read took the buffer; this is it back
        if (done || !value) this.#ended = true;
        else {
          const from = this.#text.length;
          this.#text += this.#decoder.decode(value, { stream: true });
          at = this.#text.indexOf("\n", from);
        }
      } catch {
        this.#ended = true; // the pipe failed: no more lines
      }
    }
    if (at < 0) return null;
    const line = this.#text.slice(0, at);
    this.#text = this.#text.slice(at + 1);
    return line;
  }

  /** Stops reading (the pipe is released). */
  async close(): Promise<void> {
    this.#ended = true;
    await this.#reader.cancel().catch(() => {});
  }
}
