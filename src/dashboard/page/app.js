/**
 * The dashboard page's behaviour: routing between the overview and a job's page, fetching the JSON
 * API, drawing the charts as SVG, the actions, and live updates (server-sent events, polling as the
 * fallback). Every value goes in through textContent, attributes or SVG attributes, never parsed as HTML,
 * so a job's command or output can never become markup. Served as `/assets/app.js`; type-checked
 * with the DOM library (see browser.jsonc in this folder).
 */
import {
  ago,
  bytes,
  count,
  fieldText,
  histogram,
  idFromPath,
  jobBody,
  jobPath,
  jobsQuery,
  limitBody,
  limitText,
  seconds,
  STATES,
  throughputBars,
} from "./core.js";
// the server serves src/joblog.js there (browser.jsonc maps it for the type checker)
import { splitAttempts, succeeded } from "/assets/joblog.js";

// What the API answers, as far as the page reads it (docs/dashboard.md has the whole of it).

/**
 * A job as `GET /api/jobs/:id` answers it (every field is shown on its page).
 * @typedef {{
 *   id: string, state: string, command: string, attempts: number, max_retries: number,
 *   priority: number, updated_at: string, [field: string]: unknown
 * }} Job
 */
/**
 * @typedef {{
 *   id: string, pid: number, slots: number, jobs?: string[], heartbeat_at: string, stopping: boolean
 * }} Worker
 */
/**
 * `GET /api/status`
 * @typedef {{
 *   counts: Record<string, number>, workers?: Worker[], config?: Record<string, unknown>,
 *   oldest_pending_age_seconds?: number | null, head: number
 * }} Status
 */
/**
 * @typedef {{
 *   count: number, buckets: { le: number | "+Inf", count: number }[],
 *   p50?: number | null, p90?: number | null, p99?: number | null
 * }} Durations
 */
/** @typedef {{ minutes?: import("./core.js").Minute[], durations?: Durations }} Throughput `GET /api/throughput` */
/** @typedef {{ jobs: Job[], next_cursor: string | null, total?: number | null }} JobsPage `GET /api/jobs` */
/** @typedef {{ output: string, bytes: number, truncated: boolean, running: boolean }} Logs */
/**
 * `GET /api/queues`: one queue
 * @typedef {{ name: string, concurrency: number, paused: boolean, counts: Record<string, number> }} Queue
 */
/**
 * `GET /api/schedules`: one schedule
 * @typedef {{
 *   name: string, cron: string, tz: string, paused: boolean, next_run: string | null,
 *   last_tick: string | null, job: { command: string, queue?: string }
 * }} Schedule
 */
/** @typedef {{ id: string, state: string | null }} Dependency `GET /api/jobs/:id/dependencies` */

const PAGE_SIZE = 25;
const POLL_MS = 2000;
const STATUS_REFRESH_MS = 5000;
const SEARCH_ASKS = 5;
const JOB_POLL_MS = 1000;
const LOG_TAIL = 65536;
const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * The page's element with this id: the page has every one app.js asks for, so a missing one is a
 * bug, said at once.
 * @param {string} id
 * @returns {HTMLElement}
 */
function $(id) {
  return $of(id, HTMLElement);
}

/**
 * The element with this id, of this kind (an input, a button, an SVG).
 * @template {Element} T
 * @param {string} id
 * @param {{ new (): T, prototype: T }} kind
 * @returns {T}
 */
function $of(id, kind) {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) {
    throw new Error("The page has no " + kind.name + " #" + id);
  }
  return found;
}

// ---- DOM building: text is always a text node, attributes always setAttribute ----

/** @typedef {Record<string, string | number | boolean | null | undefined>} Attrs */
/** @typedef {Node | string | null | undefined | false} Child */

/**
 * @template {Element} E
 * @param {E} node
 * @param {Attrs | null | undefined} attrs
 * @param {Child[]} children
 * @returns {E}
 */
function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) node.append(c);
  }
  return node;
}
/**
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {Child[]} children
 */
const el = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
/**
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {Child[]} children
 */
const svg = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

/**
 * A relative time kept fresh by the once-a-second tick.
 * @param {string | null | undefined} iso
 */
function when(iso) {
  return el("time", {
    datetime: iso || "",
    "data-at": iso || "",
    title: iso || "",
  }, ago(iso, Date.now()));
}

/** @param {string} state */
function badge(state) {
  return el("span", { class: "badge badge-" + state }, state);
}

/**
 * The one row a table shows when it has none: `text` across its `colspan` columns.
 * @param {number} colspan
 * @param {string} text
 */
function emptyRow(colspan, text) {
  return el("tr", {}, el("td", { class: "empty", colspan }, text));
}

/**
 * A queue's or a schedule's Pause button, or its Resume button while it is paused.
 * @param {"queue" | "schedule"} kind
 * @param {string} name
 * @param {boolean} paused
 */
function pauseButton(kind, name, paused) {
  return el("button", {
    type: "button",
    class: "small",
    ["data-" + kind + "-pause"]: paused ? null : name,
    ["data-" + kind + "-resume"]: paused ? name : null,
    "aria-label": (paused ? "Resume " : "Pause ") + kind + " " + name,
  }, paused ? "Resume" : "Pause");
}

// ---- the API ----

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * One request to the API: its JSON answer, or an ApiError with the server's sentence.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  /** @type {RequestInit} */
  const init = { method, credentials: "same-origin", headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.assign("/login");
    throw new ApiError(401, "Sign in to use the dashboard");
  }
  /** @type {any} */
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    throw new ApiError(
      res.status,
      data && typeof data.error === "string" ? data.error : "HTTP " + res.status + " from " + path,
    );
  }
  return data;
}

const enc = encodeURIComponent;

// ---- page state ----

/**
 * @type {{
 *   filters: { state: string, q: string, order: string },
 *   cursors: (string | null)[], page: number, nextCursor: string | null, jobsRequest: number,
 *   status: Status | null, head: number | null, jobId: string | null,
 *   jobTimer: ReturnType<typeof setTimeout> | undefined, job: Job | null,
 *   jobSignature: string | null, deleting: string | null, queues: Queue[],
 * }}
 */
const ui = {
  filters: { state: "", q: "", order: "desc" },
  cursors: [null], // cursors[i] loads page i; Previous pops, Next pushes
  page: 0,
  nextCursor: null,
  jobsRequest: 0,
  status: null,
  head: null,
  jobId: null,
  jobTimer: undefined,
  job: null,
  jobSignature: null,
  /** the job being deleted from its page: not to be asked for again (it would be a 404) */
  deleting: null,
  /** the queues as last shown */
  queues: [],
};

/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;
/**
 * @param {string} text
 * @param {"info" | "error"} [kind]
 */
function notice(text, kind) {
  const n = $("notice");
  n.textContent = text;
  n.setAttribute("data-kind", kind || "info");
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => {
    n.hidden = true;
  }, kind === "error" ? 10000 : 6000);
}
/** @param {unknown} e */
const errorText = (e) => e instanceof Error && e.message ? e.message : String(e);
/** @param {unknown} e */
const showError = (e) => notice(errorText(e), "error");

// ---- overview: counts, workers, config ----

/** @param {Status} s */
function renderStatus(s) {
  ui.status = s;
  ui.head = s.head;
  for (const state of STATES) {
    $("count-" + state).textContent = count(s.counts[state] || 0);
  }
  const age = s.oldest_pending_age_seconds;
  $("oldest").textContent = age === null || age === undefined
    ? "No pending job is due."
    : "Oldest pending job waiting for " + seconds(age) + ".";

  const dead = s.counts.dead || 0;
  const retryAll = $of("retry-all", HTMLButtonElement);
  retryAll.disabled = dead === 0;
  retryAll.textContent = dead > 0 ? "Retry all dead (" + count(dead) + ")" : "Retry all dead";

  const workers = s.workers || [];
  const stop = $of("stop-workers", HTMLButtonElement);
  stop.disabled = workers.every((w) => w.stopping);
  const rows = workers.map((w) =>
    el(
      "tr",
      {},
      el(
        "td",
        { class: "id" },
        el("code", {}, w.id),
        w.stopping ? " " : null,
        w.stopping ? badge("stopping") : null,
      ),
      el("td", { class: "num" }, String(w.pid)),
      el("td", { class: "num" }, String(w.slots)),
      el("td", { class: "in-hand" }, ...jobLinks(w.jobs || [])),
      el("td", { class: "when" }, when(w.heartbeat_at)),
    )
  );
  if (rows.length === 0) {
    rows.push(emptyRow(5, "No worker is running. Start one with: queuectl worker start"));
  }
  $("workers-body").replaceChildren(...rows);

  const config = s.config || {};
  const kv = [];
  for (const [k, v] of Object.entries(config)) {
    kv.push(
      el("dt", {}, k),
      el("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)),
    );
  }
  $("config").replaceChildren(...kv);
}

/**
 * @param {string[]} ids
 * @returns {Child[]}
 */
function jobLinks(ids) {
  if (ids.length === 0) return ["none"];
  /** @type {Child[]} */
  const out = [];
  ids.forEach((id, i) => {
    if (i > 0) out.push(", ");
    out.push(
      el("a", { href: jobPath(id), "data-route": true, class: "mono" }, id),
    );
  });
  return out;
}

async function loadStatus() {
  renderStatus(await api("GET", "/api/status"));
}

// ---- queues and schedules ----

/** @param {Queue[]} queues */
function renderQueues(queues) {
  ui.queues = queues;
  const rows = queues.map((q) =>
    el(
      "tr",
      { "data-queue": q.name },
      el("td", { class: "id" }, el("code", {}, q.name)),
      el("td", {}, q.paused ? badge("paused") : badge("running")),
      el("td", { class: "num limit" }, limitText(q.concurrency)),
      ...STATES.map((s) => el("td", { class: "num", "data-state": s }, count(q.counts[s] || 0))),
      el(
        "td",
        { class: "row-actions" },
        pauseButton("queue", q.name, q.paused),
        " ",
        el("button", {
          type: "button",
          class: "small",
          "data-queue-limit": q.name,
          "aria-label": "Set the concurrency limit of queue " + q.name,
        }, "Limit…"),
      ),
    )
  );
  if (rows.length === 0) rows.push(emptyRow(9, "No queue yet: a queue exists once a job names it."));
  $("queues-body").replaceChildren(...rows);
  $("queue-names").replaceChildren(...queues.map((q) => el("option", { value: q.name })));
}

async function loadQueues() {
  /** @type {{ queues: Queue[] }} */
  const data = await api("GET", "/api/queues");
  renderQueues(data.queues);
}

/** @param {Schedule[]} schedules */
function renderSchedules(schedules) {
  const rows = schedules.map((s) =>
    el(
      "tr",
      { "data-schedule": s.name },
      el("td", { class: "id" }, el("code", {}, s.name)),
      el("td", { class: "mono" }, s.cron, el("span", { class: "muted" }, " " + s.tz)),
      el("td", {}, badge(s.paused ? "paused" : "active")),
      el("td", { class: "when next-run" }, s.next_run ? when(s.next_run) : "-"),
      el("td", { class: "when" }, s.last_tick ? when(s.last_tick) : "-"),
      el("td", { class: "queue" }, s.job.queue ?? "default"),
      el("td", { class: "cmd" }, s.job.command),
      el(
        "td",
        { class: "row-actions" },
        pauseButton("schedule", s.name, s.paused),
        " ",
        el("button", {
          type: "button",
          class: "small danger",
          "data-schedule-remove": s.name,
          "aria-label": "Remove schedule " + s.name,
        }, "Remove"),
      ),
    )
  );
  if (rows.length === 0) {
    rows.push(emptyRow(8, "No schedule. Add one with: queuectl schedule add NAME 'CRON' -- COMMAND"));
  }
  $("schedules-body").replaceChildren(...rows);
}

async function loadSchedules() {
  /** @type {{ schedules: Schedule[] }} */
  const data = await api("GET", "/api/schedules");
  renderSchedules(data.schedules);
}

// ---- charts ----

const CHART_H = 180;

/**
 * Sizes a chart's viewBox to the pixels it is shown at, so its text stays readable on a phone;
 * returns its width.
 * @param {SVGSVGElement} chart
 */
function fitChart(chart) {
  const w = Math.max(
    240,
    Math.round(chart.getBoundingClientRect().width) || 600,
  );
  chart.setAttribute("viewBox", "0 0 " + w + " " + CHART_H);
  return w;
}

/** @type {Throughput | null} */
let lastThroughput = null;

/** @param {Throughput} t */
function renderThroughput(t) {
  lastThroughput = t;
  const minutes = t.minutes || [];
  const chart = $of("tp-chart", SVGSVGElement);
  const keep = [...chart.querySelectorAll("title, desc")];
  const TP_BOX = { x: 34, y: 8, w: fitChart(chart) - 40, h: 146 };
  const { top, bars } = throughputBars(minutes, TP_BOX);
  const base = TP_BOX.y + TP_BOX.h;
  const parts = [
    svg("line", {
      class: "grid",
      x1: TP_BOX.x,
      y1: TP_BOX.y,
      x2: TP_BOX.x + TP_BOX.w,
      y2: TP_BOX.y,
    }),
    svg("line", {
      class: "grid",
      x1: TP_BOX.x,
      y1: TP_BOX.y + TP_BOX.h / 2,
      x2: TP_BOX.x + TP_BOX.w,
      y2: TP_BOX.y + TP_BOX.h / 2,
    }),
    svg("line", {
      class: "axis",
      x1: TP_BOX.x,
      y1: base,
      x2: TP_BOX.x + TP_BOX.w,
      y2: base,
    }),
    svg(
      "text",
      { x: TP_BOX.x - 6, y: TP_BOX.y + 4, "text-anchor": "end" },
      String(top),
    ),
    svg("text", {
      x: TP_BOX.x - 6,
      y: TP_BOX.y + TP_BOX.h / 2 + 4,
      "text-anchor": "end",
    }, String(top / 2)),
    svg("text", { x: TP_BOX.x - 6, y: base + 4, "text-anchor": "end" }, "0"),
    svg("text", { x: TP_BOX.x, y: base + 18 }, "60 min ago"),
    svg("text", {
      x: TP_BOX.x + TP_BOX.w / 2,
      y: base + 18,
      "text-anchor": "middle",
    }, "30 min ago"),
    svg(
      "text",
      { x: TP_BOX.x + TP_BOX.w, y: base + 18, "text-anchor": "end" },
      "now",
    ),
  ];
  for (const b of bars) {
    const m = b.minute;
    const label = m.t.slice(11, 16) + " UTC: " + m.completed + " completed, " +
      m.failed + " failed";
    parts.push(
      svg(
        "rect",
        { class: "bar-" + b.kind, x: b.x, y: b.y, width: b.w, height: b.h },
        svg("title", {}, label),
      ),
    );
  }
  let completed = 0;
  let failed = 0;
  for (const m of minutes) {
    completed += m.completed;
    failed += m.failed;
  }
  if (completed + failed === 0) {
    parts.push(
      svg("text", {
        class: "empty",
        x: TP_BOX.x + TP_BOX.w / 2,
        y: TP_BOX.y + TP_BOX.h / 2 - 14,
        "text-anchor": "middle",
      }, "Nothing finished in the last hour"),
    );
  }
  chart.replaceChildren(...keep, ...parts);
  $of("tp-desc", SVGElement).textContent = completed + " jobs completed and " + failed +
    " failed in the last hour.";
  $("tp-completed").textContent = count(completed);
  $("tp-failed").textContent = count(failed);

  renderDurations(t.durations || { count: 0, buckets: [] });
}

/** @param {Durations} d */
function renderDurations(d) {
  const chart = $of("dur-chart", SVGSVGElement);
  const keep = [...chart.querySelectorAll("title, desc")];
  const bins = histogram(d.buckets);
  const box = { x: 34, y: 8, w: fitChart(chart) - 40, h: 130 };
  const base = box.y + box.h;
  let max = 0;
  for (const b of bins) max = Math.max(max, b.count);
  const parts = [
    svg("line", {
      class: "axis",
      x1: box.x,
      y1: base,
      x2: box.x + box.w,
      y2: base,
    }),
  ];
  const step = box.w / Math.max(1, bins.length);
  bins.forEach((b, i) => {
    const h = max === 0 ? 0 : (b.count / max) * box.h;
    const x = box.x + i * step;
    if (h > 0) {
      parts.push(
        svg(
          "rect",
          {
            class: "bar-duration",
            x: x + 2,
            y: base - h,
            width: Math.max(1, step - 4),
            height: h,
          },
          svg("title", {}, b.label + ": " + b.count + " job(s)"),
        ),
      );
    }
    // label every n-th bucket when they are narrow, so the text never overlaps
    const every = Math.ceil(44 / step);
    if (i % every === 0) {
      parts.push(
        svg(
          "text",
          { x: x + step / 2, y: base + 16, "text-anchor": "middle" },
          b.label,
        ),
      );
    }
  });
  parts.push(
    svg(
      "text",
      { x: box.x - 6, y: box.y + 4, "text-anchor": "end" },
      String(max),
    ),
  );
  parts.push(
    svg("text", { x: box.x - 6, y: base + 4, "text-anchor": "end" }, "0"),
  );
  if (!d.count) {
    parts.push(
      svg(
        "text",
        {
          class: "empty",
          x: box.x + box.w / 2,
          y: box.y + box.h / 2,
          "text-anchor": "middle",
        },
        "No finished job yet",
      ),
    );
  }
  chart.replaceChildren(...keep, ...parts);
  $of("dur-desc", SVGElement).textContent = d.count
    ? d.count + " jobs; median " + seconds(d.p50) + ", 90th percentile " +
      seconds(d.p90) +
      ", 99th percentile " + seconds(d.p99) + "."
    : "No finished job yet.";
  $("dur-p50").textContent = seconds(d.p50);
  $("dur-p90").textContent = seconds(d.p90);
  $("dur-p99").textContent = seconds(d.p99);
  $("dur-count").textContent = count(d.count || 0);
}

async function loadThroughput() {
  renderThroughput(await api("GET", "/api/throughput"));
}

// ---- the job table ----

/** @param {string} id */
function retryButton(id) {
  const b = el("button", {
    type: "button",
    class: "small",
    "data-retry": id,
    "aria-label": "Retry job " + id,
  }, "Retry");
  return b;
}

/**
 * The action a job's row offers in its state: retry a dead job, kill a processing one (unless its
 * kill is asked already), cancel one that waits.
 * @param {Job} j
 */
function rowAction(j) {
  if (j.state === "dead") return retryButton(j.id);
  if (j.state === "processing") {
    return el("button", {
      type: "button",
      class: "small danger",
      "data-kill": j.id,
      "aria-label": "Kill job " + j.id,
      disabled: j.kill !== undefined,
      title: j.kill !== undefined ? "Its kill is asked: its worker is ending it" : null,
    }, "Kill");
  }
  if (j.state === "pending" || j.state === "failed") {
    return el("button", {
      type: "button",
      class: "small danger",
      "data-cancel": j.id,
      "aria-label": "Cancel job " + j.id,
    }, "Cancel");
  }
  return null;
}

/** @param {JobsPage} data */
function renderJobs(data) {
  const rows = (data.jobs || []).map((j) =>
    el(
      "tr",
      { "data-id": j.id },
      el(
        "td",
        { class: "id" },
        el("a", { href: jobPath(j.id), "data-route": true }, j.id),
      ),
      el("td", {}, badge(j.state)),
      el("td", { class: "queue" }, String(j.queue ?? "default")),
      el("td", { class: "cmd" }, j.command),
      el("td", { class: "num" }, j.attempts + "/" + (j.max_retries + 1)),
      el("td", { class: "num" }, String(j.priority)),
      el("td", { class: "when" }, when(j.updated_at)),
      el("td", {}, rowAction(j)),
    )
  );
  // a search that stopped short (see loadJobs) is not over: Next goes on with it
  const unfinished = Boolean(data.next_cursor) && rows.length < PAGE_SIZE;
  if (rows.length === 0) {
    const text = unfinished
      ? "No match so far: Next searches further."
      : ui.page > 0
      ? "No more jobs on this page."
      : "No job matches.";
    rows.push(emptyRow(8, text));
  }
  $("jobs-body").replaceChildren(...rows);
  ui.nextCursor = data.next_cursor || null;
  $of("prev", HTMLButtonElement).disabled = ui.page === 0;
  $of("next", HTMLButtonElement).disabled = ui.nextCursor === null;
  let info = "Page " + (ui.page + 1);
  if (data.total !== null && data.total !== undefined) {
    info += " of " + Math.max(1, Math.ceil(data.total / PAGE_SIZE)) + " · " +
      count(data.total) +
      (data.total === 1 ? " job" : " jobs");
  } else if (unfinished && rows.length > 0) {
    info += " · more may follow";
  }
  $("page-info").textContent = info;
}

/**
 * One page of the table. A search examines a bounded stretch of the queue per request, so a page
 * of one may come back short with a cursor to go on: ask on (for what the page still lacks) a few
 * times, then let Next carry on. Never more than one page of jobs is fetched.
 */
async function loadJobs() {
  const request = ++ui.jobsRequest;
  /** @type {Job[]} */
  const jobs = [];
  let cursor = ui.cursors[ui.page];
  /** @type {JobsPage} */
  let data;
  let asks = 0;
  do {
    data = await api(
      "GET",
      "/api/jobs?" + jobsQuery(ui.filters, cursor, PAGE_SIZE - jobs.length),
    );
    if (request !== ui.jobsRequest) return; // a newer filter or page was asked for meanwhile
    jobs.push(...data.jobs);
    cursor = data.next_cursor;
    asks++;
  } while (
    ui.filters.q && jobs.length < PAGE_SIZE && cursor && asks < SEARCH_ASKS
  );
  renderJobs({ jobs, next_cursor: cursor, total: data.total });
}

function firstPage() {
  ui.cursors = [null];
  ui.page = 0;
  loadJobs().catch(showError);
}

/** @param {string} state */
function setStateFilter(state) {
  ui.filters.state = state;
  $of("f-state", HTMLSelectElement).value = state;
  for (const b of document.querySelectorAll(".count")) {
    b.setAttribute(
      "aria-pressed",
      String(b.getAttribute("data-state") === state),
    );
  }
  firstPage();
}

// ---- the job page ----

/**
 * @param {Job} job
 * @param {Logs | null} logs null when they could not be read: `logsError` says why
 * @param {string | null} logsError
 * @param {Dependency[]} deps the jobs it waits for, with their states
 */
function renderJob(job, logs, logsError, deps) {
  // polled every second while it runs: leave the DOM (a selection, a scroll) alone if nothing changed
  const signature = JSON.stringify([
    job,
    logs && logs.bytes,
    logs && logs.output.length,
    logs && logs.running,
    logsError,
    deps,
  ]);
  if (signature === ui.jobSignature) return;
  ui.jobSignature = signature;
  ui.job = job;
  document.title = "Job " + job.id + " · queuectl";
  $("job-id").textContent = job.id;
  const st = $("job-state");
  st.textContent = job.state;
  st.className = "badge badge-" + job.state;
  $("job-retry").hidden = job.state !== "dead";
  const kill = $of("job-kill", HTMLButtonElement);
  kill.hidden = job.state !== "processing";
  kill.disabled = job.kill !== undefined;
  kill.title = job.kill !== undefined ? "Its kill is asked: its worker is ending it" : "";
  $("job-cancel").hidden = job.state !== "pending" && job.state !== "failed";
  renderDependencies(deps);
  const del = $of("job-delete", HTMLButtonElement);
  del.disabled = job.state === "processing";
  del.title = job.state === "processing" ? "A running job cannot be deleted" : "";

  const now = Date.now();
  /** @type {HTMLElement[]} */
  const fields = [];
  for (const [k, v] of Object.entries(job)) {
    if (k === "output_tail") continue; // shown whole below, with every attempt
    const dd = el("dd", { "data-field": k }, fieldText(k, v, now));
    fields.push(el("dt", {}, k), dd);
  }
  $("job-fields").replaceChildren(...fields);

  const running = job.state === "processing" || Boolean(logs && logs.running);
  $("job-live").textContent = running ? "(live)" : "";
  const box = $("attempts");
  if (logs === null) {
    $("logs-note").textContent = "";
    box.replaceChildren(el("p", { class: "error" }, logsError));
    return;
  }
  const sections = splitAttempts(logs.output, logs.truncated);
  $("logs-note").textContent = logs.truncated
    ? "Showing the last " + bytes(LOG_TAIL) + " of " + bytes(logs.bytes) +
      " of output."
    : "";
  const parts = sections.map((s, i) => {
    const last = i === sections.length - 1;
    const title = s.attempt === null ? "Earlier output (cut)" : "Attempt " + s.attempt + " of " + s.of;
    let end = s.end;
    let ok = s.end === null ? "running" : String(succeeded(s.end));
    if (end === null) end = last && running ? "running…" : "no closing line";
    if (s.end === null && !(last && running)) ok = "false";
    return el(
      "section",
      { class: "attempt", "data-attempt": s.attempt === null ? "" : s.attempt },
      el(
        "h3",
        {},
        title,
        s.at
          ? el(
            "span",
            { class: "meta" },
            "started " + s.at + " · worker " + s.worker,
          )
          : null,
      ),
      el("pre", {}, s.output || "(no output)"),
      el("p", { class: "end", "data-ok": ok }, end),
    );
  });
  if (parts.length === 0) {
    parts.push(
      el(
        "p",
        { class: "muted" },
        job.attempts === 0 ? "Not started yet." : "No output.",
      ),
    );
  }
  // live output: a reader at the end of it stays at the end as it grows
  const before = box.querySelector(".attempt:last-child pre");
  const follow = before === null ||
    before.scrollTop + before.clientHeight >= before.scrollHeight - 4;
  box.replaceChildren(...parts);
  const after = box.querySelector(".attempt:last-child pre");
  if (after !== null && follow) after.scrollTop = after.scrollHeight;
}

/** @param {Dependency[]} deps */
function renderDependencies(deps) {
  $("job-deps-box").hidden = deps.length === 0;
  $("job-deps").replaceChildren(...deps.map((d) =>
    el(
      "li",
      { "data-dep": d.id },
      el("a", { href: jobPath(d.id), "data-route": true, class: "mono" }, d.id),
      " ",
      d.state === null ? el("span", { class: "muted" }, "(deleted)") : badge(d.state),
    )
  ));
}

async function loadJob() {
  const id = ui.jobId;
  if (id === null || id === ui.deleting) return;
  const path = "/api/jobs/" + enc(id);
  /** @type {Job} */
  let job;
  try {
    job = await api("GET", path);
  } catch (e) {
    if (ui.jobId !== id) return;
    stopJobPoll();
    $("job-error").textContent = errorText(e);
    $("job-fields").replaceChildren();
    $("attempts").replaceChildren();
    $("job-state").textContent = "";
    $("job-state").className = "badge";
    $("job-retry").hidden = true;
    $("job-kill").hidden = true;
    $("job-cancel").hidden = true;
    $("job-deps-box").hidden = true;
    $of("job-delete", HTMLButtonElement).disabled = true;
    return;
  }
  /** @type {Logs | null} */
  let logs = null;
  /** @type {string | null} */
  let logsError = null;
  if (ui.deleting === id || ui.jobId !== id) return;
  try {
    logs = await api("GET", path + "/logs?tail=" + LOG_TAIL);
  } catch (e) {
    logsError = errorText(e);
  }
  /** @type {Dependency[]} */
  let deps = [];
  if (Array.isArray(job.after) && job.after.length > 0) {
    /** @type {{ dependencies: Dependency[] }} */
    const answer = await api("GET", path + "/dependencies");
    deps = answer.dependencies;
  }
  if (ui.jobId !== id) return;
  $("job-error").textContent = "";
  renderJob(job, logs, logsError, deps);
  // its output grows without a store change, so a running job is polled
  if (job.state === "processing" || (logs && logs.running)) scheduleJobPoll();
  else stopJobPoll();
}

function scheduleJobPoll() {
  clearTimeout(ui.jobTimer);
  ui.jobTimer = setTimeout(() => loadJob().catch(showError), JOB_POLL_MS);
}
function stopJobPoll() {
  clearTimeout(ui.jobTimer);
  ui.jobTimer = undefined;
}

// ---- routing (history.pushState; the server serves index.html for /jobs/:id) ----

function route() {
  const id = idFromPath(location.pathname);
  stopJobPoll();
  if (id !== null) {
    ui.jobId = id;
    ui.job = null;
    ui.jobSignature = null;
    $("home-view").hidden = true;
    $("job-view").hidden = false;
    $("job-id").textContent = id;
    $("job-state").textContent = "";
    $("job-error").textContent = "";
    $("job-fields").replaceChildren();
    $("job-deps-box").hidden = true;
    $("attempts").replaceChildren(el("p", { class: "muted" }, "Loading…"));
    document.title = "Job " + id + " · queuectl";
  } else {
    ui.jobId = null;
    $("job-view").hidden = true;
    $("home-view").hidden = false;
    document.title = "queuectl dashboard";
  }
  requestRefresh();
}

/** @param {string} href */
function navigate(href) {
  history.pushState(null, "", href);
  route();
  if (ui.jobId !== null) $("job-h").focus();
  else globalThis.scrollTo(0, 0);
}

document.addEventListener("click", (ev) => {
  const a = ev.target instanceof Element ? ev.target.closest("a[data-route]") : null;
  if (
    !a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey ||
    ev.shiftKey || ev.altKey
  ) {
    return;
  }
  ev.preventDefault();
  navigate(a.getAttribute("href") ?? "/");
});
globalThis.addEventListener("popstate", route);

// ---- refresh, coalesced: one run at a time, and one more if anything asked meanwhile ----

/** @type {Promise<void> | null} */
let refreshing = null;
let again = false;

/** @returns {Promise<void>} */
function requestRefresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      const tasks = ui.jobId === null
        ? [loadStatus(), loadQueues(), loadSchedules(), loadThroughput(), loadJobs()]
        : [loadJob()];
      await Promise.all(tasks.map((p) => p.catch(showError)));
    } while (again);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// ---- live: server-sent events, polling /api/status as the fallback ----

/** @type {EventSource | null} */
let events = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let pollTimer;
/** @type {number | null} */
let polledHead = null;

/**
 * @param {"live" | "polling" | "offline"} mode
 * @param {string} text
 */
function setLive(mode, text) {
  const live = $("live");
  if (live.getAttribute("data-mode") === mode && live.textContent === text) {
    return; // no repeat announcements
  }
  live.setAttribute("data-mode", mode);
  live.textContent = text;
}

function connect() {
  if (typeof EventSource !== "function") {
    startPolling();
    return;
  }
  const source = new EventSource("/api/events");
  events = source;
  source.addEventListener("open", () => {
    stopPolling();
    setLive("live", "Live");
  });
  source.addEventListener("change", (ev) => {
    let head = null;
    try {
      head = JSON.parse(ev.data).head;
    } catch {
      head = null;
    }
    // the event sent on connect repeats the head the page already shows
    if (ui.jobId === null && head !== null && head === ui.head && !refreshing) {
      return;
    }
    requestRefresh();
  });
  source.addEventListener("error", () => {
    startPolling();
    if (events && events.readyState === EventSource.CLOSED) {
      // the browser gave up (e.g. a proxy that does not stream): try again later, poll meanwhile
      events = null;
      setTimeout(connect, 10000);
    }
  });
}

function startPolling() {
  if (pollTimer !== undefined) return;
  setLive("polling", "Polling every " + POLL_MS / 1000 + " s");
  pollTimer = setInterval(pollStatus, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = undefined;
}

async function pollStatus() {
  try {
    /** @type {Status} */
    const s = await api("GET", "/api/status");
    if (ui.jobId === null) renderStatus(s);
    if (pollTimer !== undefined) {
      setLive("polling", "Polling every " + POLL_MS / 1000 + " s");
    }
    if (s.head !== polledHead) {
      polledHead = s.head;
      requestRefresh();
    }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      setLive("offline", "Offline: " + errorText(e));
    }
  }
}

// ---- actions ----

/**
 * Runs `work` with `button` disabled meanwhile; an error is shown, and the page refreshed after.
 * @param {HTMLButtonElement} button
 * @param {() => Promise<void>} work
 */
async function act(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (e) {
    showError(e);
  } finally {
    button.disabled = false;
    requestRefresh();
  }
}

/** @param {string} id */
async function retryJob(id) {
  /** @type {Job} */
  const job = await api("POST", "/api/jobs/" + enc(id) + "/retry");
  notice("Job " + job.id + " is pending again.");
}

/**
 * Kills a processing job, once confirmed: its worker ends it, and it goes to the DLQ.
 * @param {HTMLButtonElement} button
 * @param {string} id
 */
function killJob(button, id) {
  if (
    !confirm("Kill job " + id + "? Everything it started is stopped, and it goes to the DLQ without a retry.")
  ) {
    return;
  }
  act(button, async () => {
    await api("POST", "/api/jobs/" + enc(id) + "/kill");
    notice("Asked the worker running job " + id + " to kill it.");
  });
}

/**
 * Cancels a waiting job, once confirmed: it goes to the DLQ without running.
 * @param {HTMLButtonElement} button
 * @param {string} id
 */
function cancelJob(button, id) {
  if (
    !confirm("Cancel job " + id + "? It goes to the DLQ without running, with the jobs that wait for it.")
  ) {
    return;
  }
  act(button, async () => {
    await api("POST", "/api/jobs/" + enc(id) + "/cancel");
    notice("Cancelled job " + id + ": it is in the DLQ.");
  });
}

/**
 * The button of a click inside `root` that carries attribute `name`, or null.
 * @param {Event} ev
 * @param {string} name
 */
function buttonWith(ev, name) {
  const b = ev.target instanceof Element ? ev.target.closest("button[" + name + "]") : null;
  return b instanceof HTMLButtonElement ? b : null;
}

function wireQueuesAndSchedules() {
  $("queues-body").addEventListener("click", (ev) => {
    const pause = buttonWith(ev, "data-queue-pause");
    const resume = buttonWith(ev, "data-queue-resume");
    const limit = buttonWith(ev, "data-queue-limit");
    if (pause) {
      const name = pause.getAttribute("data-queue-pause") ?? "";
      act(pause, async () => {
        await api("POST", "/api/queues/" + enc(name) + "/pause");
        notice(
          "Paused queue " + name + ": none of its jobs starts until it is resumed; running ones finish.",
        );
      });
    } else if (resume) {
      const name = resume.getAttribute("data-queue-resume") ?? "";
      act(resume, async () => {
        await api("POST", "/api/queues/" + enc(name) + "/resume");
        notice("Resumed queue " + name + ".");
      });
    } else if (limit) {
      const name = limit.getAttribute("data-queue-limit") ?? "";
      $of("limit-queue", HTMLInputElement).value = name;
      const value = $of("limit-value", HTMLInputElement);
      const row = ui.queues.find((q) => q.name === name);
      value.value = row ? String(row.concurrency) : "";
      value.focus();
      value.select();
    }
  });

  const form = $of("limit-form", HTMLFormElement);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const name = $of("limit-queue", HTMLInputElement).value.trim();
    const value = $of("limit-value", HTMLInputElement).value;
    $("limit-error").textContent = "";
    const submit = $of("limit-set", HTMLButtonElement);
    submit.disabled = true;
    api("POST", "/api/queues/" + enc(name) + "/concurrency", limitBody(value))
      .then((/** @type {Queue} */ q) => {
        notice(
          "Queue " + q.name + ": " + (q.concurrency === 0 ? "no concurrency limit" : "at most " +
            q.concurrency + " job(s) at once") +
            ".",
        );
        $of("limit-value", HTMLInputElement).value = "";
      })
      .catch((e) => {
        $("limit-error").textContent = errorText(e);
      })
      .finally(() => {
        submit.disabled = false;
        requestRefresh();
      });
  });

  $("schedules-body").addEventListener("click", (ev) => {
    const pause = buttonWith(ev, "data-schedule-pause");
    const resume = buttonWith(ev, "data-schedule-resume");
    const remove = buttonWith(ev, "data-schedule-remove");
    if (pause) {
      const name = pause.getAttribute("data-schedule-pause") ?? "";
      act(pause, async () => {
        await api("POST", "/api/schedules/" + enc(name) + "/pause");
        notice("Paused schedule " + name + ": its ticks are skipped until it is resumed.");
      });
    } else if (resume) {
      const name = resume.getAttribute("data-schedule-resume") ?? "";
      act(resume, async () => {
        await api("POST", "/api/schedules/" + enc(name) + "/resume");
        notice("Resumed schedule " + name + " from its next tick.");
      });
    } else if (remove) {
      const name = remove.getAttribute("data-schedule-remove") ?? "";
      if (!confirm("Remove schedule " + name + "? The jobs it enqueued stay.")) return;
      act(remove, async () => {
        await api("DELETE", "/api/schedules/" + enc(name));
        notice("Removed schedule " + name + ".");
      });
    }
  });
}

function wireActions() {
  $("jobs-body").addEventListener("click", (ev) => {
    const retry = buttonWith(ev, "data-retry");
    const kill = buttonWith(ev, "data-kill");
    const cancel = buttonWith(ev, "data-cancel");
    if (retry) act(retry, () => retryJob(retry.getAttribute("data-retry") ?? ""));
    else if (kill) killJob(kill, kill.getAttribute("data-kill") ?? "");
    else if (cancel) cancelJob(cancel, cancel.getAttribute("data-cancel") ?? "");
  });

  const retryAll = $of("retry-all", HTMLButtonElement);
  retryAll.addEventListener("click", () => {
    const dead = ui.status ? ui.status.counts.dead : 0;
    if (
      !confirm(
        "Retry all " + dead +
          " dead job(s)? They become pending with their attempts reset.",
      )
    ) {
      return;
    }
    act(retryAll, async () => {
      const r = await api("POST", "/api/dlq/retry");
      notice("Retried " + r.retried.length + " dead job(s).");
    });
  });

  const stopWorkers = $of("stop-workers", HTMLButtonElement);
  stopWorkers.addEventListener("click", () => {
    const n = ui.status ? (ui.status.workers || []).length : 0;
    if (
      !confirm(
        "Stop all " + n +
          " worker(s)? They finish their running jobs, then exit.",
      )
    ) return;
    act(stopWorkers, async () => {
      const r = await api("POST", "/api/workers/stop");
      notice("Asked " + r.stopping + " worker(s) to stop.");
    });
  });

  const jobRetry = $of("job-retry", HTMLButtonElement);
  jobRetry.addEventListener("click", () => {
    const id = ui.jobId;
    if (id !== null) act(jobRetry, () => retryJob(id));
  });

  const jobKill = $of("job-kill", HTMLButtonElement);
  jobKill.addEventListener("click", () => {
    if (ui.jobId !== null) killJob(jobKill, ui.jobId);
  });
  const jobCancel = $of("job-cancel", HTMLButtonElement);
  jobCancel.addEventListener("click", () => {
    if (ui.jobId !== null) cancelJob(jobCancel, ui.jobId);
  });

  const jobDelete = $of("job-delete", HTMLButtonElement);
  jobDelete.addEventListener("click", () => {
    const id = ui.jobId;
    if (id === null) return;
    if (
      !confirm(
        "Delete job " + id +
          "? Its record and its output are removed for good.",
      )
    ) return;
    jobDelete.disabled = true;
    stopJobPoll();
    ui.deleting = id;
    api("DELETE", "/api/jobs/" + enc(id))
      .then(() => {
        notice("Deleted job " + id + ".");
        navigate("/");
      })
      .catch((e) => {
        jobDelete.disabled = false;
        $("job-error").textContent = errorText(e);
      })
      .finally(() => {
        ui.deleting = null;
      });
  });

  const form = $of("enqueue", HTMLFormElement);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const submit = form.querySelector("button[type=submit]");
    if (!(submit instanceof HTMLButtonElement)) {
      throw new Error("The enqueue form has no submit button");
    }
    /** @type {Record<string, string>} */
    const fields = {};
    for (const [k, v] of new FormData(form)) fields[k] = String(v);
    $("enqueue-error").textContent = "";
    $("enqueue-result").replaceChildren();
    submit.disabled = true;
    try {
      /** @type {Job} */
      const job = await api("POST", "/api/jobs", jobBody(fields));
      form.reset();
      $("enqueue-result").replaceChildren(
        "Enqueued ",
        el(
          "a",
          { href: jobPath(job.id), "data-route": true, class: "mono" },
          job.id,
        ),
        ".",
      );
      requestRefresh();
    } catch (e) {
      $("enqueue-error").textContent = errorText(e);
    } finally {
      submit.disabled = false;
    }
  });
}

function wireFilters() {
  $("filters").addEventListener("submit", (ev) => ev.preventDefault());
  const state = $of("f-state", HTMLSelectElement);
  state.addEventListener("change", () => setStateFilter(state.value));
  const order = $of("f-order", HTMLSelectElement);
  order.addEventListener("change", () => {
    ui.filters.order = order.value;
    firstPage();
  });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let debounce;
  const search = $of("f-q", HTMLInputElement);
  search.addEventListener("input", () => {
    const q = search.value.trim();
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (q === ui.filters.q) return;
      ui.filters.q = q;
      firstPage();
    }, 300);
  });
  for (const b of document.querySelectorAll(".count")) {
    b.addEventListener("click", () => {
      const state = b.getAttribute("data-state") ?? "";
      setStateFilter(ui.filters.state === state ? "" : state);
    });
  }
  $("next").addEventListener("click", () => {
    if (ui.nextCursor === null) return;
    ui.cursors = ui.cursors.slice(0, ui.page + 1);
    ui.cursors.push(ui.nextCursor);
    ui.page += 1;
    loadJobs().catch(showError);
  });
  $("prev").addEventListener("click", () => {
    if (ui.page === 0) return;
    ui.page -= 1;
    ui.cursors = ui.cursors.slice(0, ui.page + 1);
    loadJobs().catch(showError);
  });
}

// relative times ("3 s ago") move on by themselves
function tick() {
  const now = Date.now();
  for (const t of document.querySelectorAll("time[data-at]")) {
    const at = t.getAttribute("data-at");
    if (at) t.textContent = ago(at, now);
  }
}

function start() {
  wireFilters();
  wireActions();
  wireQueuesAndSchedules();
  route();
  connect();
  setInterval(tick, 1000);
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let resize;
  globalThis.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => {
      if (lastThroughput !== null && ui.jobId === null) {
        renderThroughput(lastThroughput);
      }
    }, 150);
  });
  // heartbeats and workers that come and go are not store changes: re-read the status now and then
  setInterval(() => {
    if (ui.jobId === null && pollTimer === undefined) {
      loadStatus().catch(() => {});
    }
  }, STATUS_REFRESH_MS);
  // the chart's minutes move on even when the store does not change
  setInterval(() => {
    if (ui.jobId === null) loadThroughput().catch(() => {});
  }, 30000);
}

start();
