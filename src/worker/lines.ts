/** Reads a child's output pipe line by line (a runner's messages, a helper's answer). */
export class Lines {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #text = "";
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next line without its newline, or null at the end (a last line without one is dropped). */
  async next(): Promise<string | null> {
    let at = this.#text.indexOf("\n");
    while (at < 0 && !this.#ended) {
      try {
        const { value, done } = await this.#reader.read();
        if (done) this.#ended = true;
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
