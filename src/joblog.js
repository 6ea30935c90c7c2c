/**
 * The job log's line format, written by the worker (src/worker/execute.ts) and read by the
 * dashboard page (src/dashboard/page/app.js): the one place it is defined. Pure; plain JavaScript
 * with JSDoc types, so Deno imports it as it is and the server hands the very same file to the
 * browser (`/assets/joblog.js`).
 *
 * A job's log holds its attempts one after another, each framed by two lines of its own:
 *
 *     === attempt N of M · <start, ISO-8601 UTC> · worker <worker id> ===
 *     <what the attempt wrote to stdout and stderr, as it wrote it>
 *     === <ending> · <seconds, two decimals>s ===
 *
 * where <ending> is `exit code <code>`, `timeout`, `killed` or `lost`. An attempt that could not
 * start ends with `=== could not start: <why> ===` instead. The closing line always starts a line
 * of its own; output that did not end its last line is followed by a newline first (the writer's
 * job, see execute.ts). A job may print lines that look like these: a reader takes a closing line
 * only as the last line of an attempt, and a header only in the exact shape above.
 */

/**
 * The line that opens an attempt.
 * @param {number} attempt 1 for the first
 * @param {number} of attempts the job may have in all (max_retries + 1)
 * @param {Date} startedAt
 * @param {string} worker
 * @returns {string} without its newline
 */
export function attemptHeader(attempt, of, startedAt, worker) {
  return `=== attempt ${attempt} of ${of} · ${startedAt.toISOString()} · worker ${worker} ===`;
}

/**
 * The line that closes an attempt that ran: how it ended and how long it took.
 * @param {{ kind: "exited", code: number } | { kind: "timeout" | "killed" | "lost" }} outcome
 * @param {number} seconds
 * @returns {string} without its newline
 */
export function closingLine(outcome, seconds) {
  const ending = outcome.kind === "exited" ? `exit code ${outcome.code}` : outcome.kind;
  return `=== ${ending} · ${seconds.toFixed(2)}s ===`;
}

/**
 * The line that closes an attempt that could not start.
 * @param {string} why
 * @returns {string} without its newline
 */
export function notStartedLine(why) {
  return `=== could not start: ${why} ===`;
}

/**
 * Whether a closing line's text (Section.end) says the attempt exited 0.
 * @param {string | null} end
 * @returns {boolean}
 */
export function succeeded(end) {
  return end !== null && /^exit code 0\b/.test(end);
}

/**
 * One attempt's part of a log, as `splitAttempts` reads it.
 * @typedef {object} Section
 * @property {number | null} attempt null for the cut text before a tail's first header
 * @property {number | null} of
 * @property {string | null} at
 * @property {string | null} worker
 * @property {boolean} partial
 * @property {string | null} end the closing line's text between "=== " and " ===", null while running
 * @property {string} output
 */

/** `attemptHeader`'s line */
const HEADER = /^=== attempt (\d+) of (\d+) · (.+?) · worker (\S+) ===$/;
/** `closingLine`'s or `notStartedLine`'s, when it is the last line of an attempt */
const FOOTER = /^=== (.+) ===$/;

/**
 * Splits a job's log (or the tail of one) into one section per attempt. When the log is a tail
 * (truncated), text before the first header is a section of its own, marked partial. A closing
 * line counts only as the last line of a section: a job may print "=== x ===" itself.
 * @param {string | null | undefined} output
 * @param {boolean} truncated
 * @returns {Section[]}
 */
export function splitAttempts(output, truncated) {
  const lines = String(output || "").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  /** @type {(Omit<Section, "end" | "output"> & { lines: string[] })[]} */
  const sections = [];
  /** @type {(typeof sections)[number] | null} */
  let current = null;
  for (const line of lines) {
    const h = HEADER.exec(line);
    if (h) {
      current = {
        attempt: Number(h[1]),
        of: Number(h[2]),
        at: h[3],
        worker: h[4],
        lines: [],
        partial: false,
      };
      sections.push(current);
      continue;
    }
    if (current === null) {
      current = {
        attempt: null,
        of: null,
        at: null,
        worker: null,
        lines: [],
        partial: Boolean(truncated),
      };
      sections.push(current);
    }
    current.lines.push(line);
  }
  return sections.map((s) => {
    const last = s.lines[s.lines.length - 1];
    const f = last === undefined ? null : FOOTER.exec(last);
    const body = f ? s.lines.slice(0, -1) : s.lines;
    return {
      attempt: s.attempt,
      of: s.of,
      at: s.at,
      worker: s.worker,
      partial: s.partial,
      end: f ? f[1] : null,
      output: body.length ? body.join("\n") + "\n" : "",
    };
  });
}
