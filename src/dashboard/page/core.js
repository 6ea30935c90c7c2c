/**
 * The page's pure helpers (formatting, chart geometry, request building): no DOM and no fetch, so
 * `src/dashboard/page_core_test.ts` imports this very file in Deno. Served as `/assets/core.js`;
 * the job log's format is `/assets/joblog.js` (src/joblog.js).
 */
export const STATES = ["pending", "processing", "completed", "failed", "dead"];

/** Fields of a job that hold an ISO time. */
export const TIME_FIELDS = ["run_at", "created_at", "updated_at", "lease_until", "started_at", "finished_at"];

/**
 * "3 s ago", "in 2 min", "never" for null.
 * @param {string | null | undefined} iso
 * @param {number} now milliseconds since the epoch
 * @returns {string}
 */
export function ago(iso, now) {
  if (iso === null || iso === undefined) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const diff = Math.round((now - t) / 1000);
  const s = Math.abs(diff);
  let text;
  if (s < 60) text = s + " s";
  else if (s < 3600) text = Math.floor(s / 60) + " min";
  else if (s < 86400) text = Math.floor(s / 3600) + " h";
  else text = Math.floor(s / 86400) + " d";
  return diff < 0 ? "in " + text : text + " ago";
}

/**
 * A duration in seconds as text: "120 ms", "1.50 s", "2 min 3 s"; "-" for null.
 * @param {number | null | undefined} x
 * @returns {string}
 */
export function seconds(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "-";
  if (x < 1) return Math.round(x * 1000) + " ms";
  if (x < 10) return x.toFixed(2) + " s";
  if (x < 60) return x.toFixed(1) + " s";
  const m = Math.floor(x / 60);
  const rest = Math.round(x - m * 60);
  if (m < 60) return rest ? m + " min " + rest + " s" : m + " min";
  return m % 60 ? Math.floor(m / 60) + " h " + (m % 60) + " min" : m / 60 + " h";
}

/**
 * A bucket bound for an axis label: "100ms", "2.5s", "15m", "1h".
 * @param {number} x
 * @returns {string}
 */
export function shortSeconds(x) {
  if (x < 1) return Math.round(x * 1000) + "ms";
  if (x < 60) return x + "s";
  if (x < 3600) return Math.round((x / 60) * 10) / 10 + "m";
  return Math.round((x / 3600) * 10) / 10 + "h";
}

/**
 * 1234567 -> "1,234,567" without depending on the browser's locale.
 * @param {number} n
 * @returns {string}
 */
export function count(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A size in bytes as text: "512 bytes", "64 KiB", "1.5 MiB".
 * @param {number} n
 * @returns {string}
 */
export function bytes(n) {
  if (n < 1024) return n + " bytes";
  if (n < 1024 * 1024) return Math.round(n / 1024) + " KiB";
  return Math.round((n / (1024 * 1024)) * 10) / 10 + " MiB";
}

/**
 * The smallest of 1, 2, 5, 10, 20, 50, ... that is at least n (an axis top).
 * @param {number} n
 * @returns {number}
 */
export function niceCeil(n) {
  if (!(n > 1)) return 1;
  let p = 1;
  for (;;) {
    for (const m of [1, 2, 5]) if (m * p >= n) return m * p;
    p *= 10;
  }
}

const r2 = (/** @type {number} */ x) => Math.round(x * 100) / 100;

/** @typedef {{ t: string, completed: number, failed: number }} Minute one minute of /api/throughput */
/** @typedef {{ x: number, y: number, w: number, h: number }} Box */
/** @typedef {Box & { kind: "completed" | "failed", minute: Minute }} Bar */

/**
 * Stacked bars (completed below, failed above) for the per-minute throughput, inside box
 * {x, y, w, h} of an SVG viewBox. Returns the axis top and one rect per non-zero value.
 * @param {Minute[]} minutes
 * @param {Box} box
 * @returns {{ top: number, bars: Bar[] }}
 */
export function throughputBars(minutes, box) {
  let max = 0;
  for (const m of minutes) max = Math.max(max, m.completed + m.failed);
  const top = niceCeil(max);
  const step = box.w / Math.max(1, minutes.length);
  const width = r2(Math.max(1, step - 1));
  /** @type {Bar[]} */
  const bars = [];
  minutes.forEach((m, i) => {
    const x = r2(box.x + i * step);
    const hc = (m.completed / top) * box.h;
    const hf = (m.failed / top) * box.h;
    const base = box.y + box.h;
    if (m.completed > 0) {
      bars.push({ kind: "completed", x, y: r2(base - hc), w: width, h: r2(hc), minute: m });
    }
    if (m.failed > 0) bars.push({ kind: "failed", x, y: r2(base - hc - hf), w: width, h: r2(hf), minute: m });
  });
  return { top, bars };
}

/**
 * Cumulative Prometheus-style buckets [{le, count}] as one bar per bucket: [{label, count}].
 * @param {{ le: number | "+Inf", count: number }[] | undefined} buckets
 * @returns {{ label: string, count: number }[]}
 */
export function histogram(buckets) {
  const out = [];
  let prevCount = 0;
  let prevLe = 0;
  for (const b of buckets || []) {
    const label = b.le === "+Inf" ? "> " + shortSeconds(prevLe) : "≤ " + shortSeconds(b.le);
    out.push({ label, count: Math.max(0, b.count - prevCount) });
    prevCount = b.count;
    if (b.le !== "+Inf") prevLe = b.le;
  }
  return out;
}

/**
 * The JSON body of POST /api/jobs from the enqueue form's strings. Empty fields are left out (the
 * server applies its defaults); numbers are sent as numbers, anything else as typed, so that the
 * server's validation sentence names the field and the bad value.
 * @param {Record<string, string | undefined>} fields
 * @returns {Record<string, string | number>}
 */
export function jobBody(fields) {
  /** @type {Record<string, string | number>} */
  const body = { command: fields.command === undefined ? "" : fields.command };
  const id = (fields.id || "").trim();
  if (id !== "") body.id = id;
  for (const key of ["max_retries", "priority", "timeout"]) {
    const v = (fields[key] || "").trim();
    if (v !== "") body[key] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  const runAt = (fields.run_at || "").trim();
  if (runAt !== "") body.run_at = runAt;
  return body;
}

/**
 * The query string of GET /api/jobs for the table's filters and one page's cursor.
 * @param {{ state: string, q: string, order: string }} filters
 * @param {string | null} cursor
 * @param {number} limit
 * @returns {string}
 */
export function jobsQuery(filters, cursor, limit) {
  const p = new URLSearchParams();
  if (filters.state) p.set("state", filters.state);
  if (filters.q) p.set("q", filters.q);
  p.set("order", filters.order === "asc" ? "asc" : "desc");
  p.set("limit", String(limit));
  if (cursor) p.set("cursor", cursor);
  return p.toString();
}

/**
 * The page path of a job, and back.
 * @param {string} id
 * @returns {string}
 */
export function jobPath(id) {
  return "/jobs/" + encodeURIComponent(id);
}

/**
 * @param {string} pathname
 * @returns {string | null}
 */
export function idFromPath(pathname) {
  const m = /^\/jobs\/([^/]+)\/?$/.exec(pathname);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}

/**
 * How the job page shows one field's value.
 * @param {string} key
 * @param {unknown} value
 * @param {number} now
 * @returns {string}
 */
export function fieldText(key, value, now) {
  if (value === null || value === undefined) return "-";
  if (TIME_FIELDS.includes(key)) return value + " (" + ago(String(value), now) + ")";
  if (key === "timeout") return value + " s";
  if (Array.isArray(value) || typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * A queue's concurrency limit as the page shows it.
 * @param {number} concurrency
 * @returns {string}
 */
export function limitText(concurrency) {
  return concurrency === 0 ? "no limit" : String(concurrency);
}

/**
 * The JSON body of POST /api/queues/:name/concurrency from the limit field: a whole number is sent
 * as a number, anything else as typed, so the server's sentence names the bad value.
 * @param {string} text
 * @returns {{ concurrency: number | string }}
 */
export function limitBody(text) {
  const v = text.trim();
  return { concurrency: /^\d{1,15}$/.test(v) ? Number(v) : v };
}
