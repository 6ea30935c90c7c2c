/**
 * The job log's line format, written by the log reader (src/output/job_log.ts, which frames each
 * attempt's output for `logs` and the dashboard) and read by the dashboard page
 * (src/dashboard/page/app.js): the one place it is defined. Pure; plain JavaScript
 * with JSDoc types, so Deno imports it as it is and the server hands the very same file to the
 * browser (`/assets/joblog.js`).
 *
 * A job's log holds its attempts one after another, each framed by two lines of its own:
 *
 *     === attempt N of M · <start, ISO-8601 UTC> · worker <worker id> ===
 *     <what the attempt wrote to stdout and stderr, as it wrote it>
 *     === <result> · <seconds, two decimals>s ===
 *
 * where <result> is how the attempt ended as job.ts words it (`exit code 3`, `timed out after 5s`,
 * `worker lost`). An attempt that could not start ends with `=== could not start: <why> ===`
 * instead. The closing line always starts a line of its own; output that did not end its last
 * line is followed by a newline first (the writer's job). A job may print lines that look like these: a reader takes a closing line
 * only as the last line of an attempt, and a header only in the exact shape above.
 */

/**
 * The line that opens an attempt.
 * @param {number} attempt 1 for the first
 * @param {number} of attempts the job may have in all (max_retries + 1)
 * @param {string} startedAt ISO-8601
 * @param {string} worker
 * @returns {string} without its newline
 */
export function attemptHeader(attempt, of, startedAt, worker) {
  return `=== attempt ${attempt} of ${of} · ${new Date(startedAt).toISOString()} · worker ${worker} ===`;
}

/** The start of the result of an attempt that could not start (job.ts, `describeOutcome`). */
const NOT_STARTED = "could not start: ";

/**
 * The line that closes an attempt that ended: its result (`exit code 0`, `timed out after 5s`,
 * `worker lost`, ... as job.ts words it) and how long it took; an attempt that could not start
 * has no duration.
 * @param {string} result
 * @param {string} startedAt ISO-8601
 * @param {string} finishedAt ISO-8601
 * @returns {string} without its newline
 */
export function closingLine(result, startedAt, finishedAt) {
  if (result.startsWith(NOT_STARTED)) return `=== ${result} ===`;
  // a wall clock stepped back between start and end must not print a negative duration
  const seconds = Math.max(0, (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000);
  return `=== ${result} · ${seconds.toFixed(2)}s ===`;
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
/** `closingLine`'s (of a run that ended, or that never started), when it is the last line of an attempt */
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
