/**
 * `/assets/app.js`: the page's behaviour: routing between the overview and a job's page, fetching
 * the JSON API, drawing the charts as SVG, the actions, and live updates (server-sent events,
 * polling as the fallback). Every value goes in through textContent, attributes or SVG attributes,
 * never innerHTML, so a job's command or output can never become markup. Plain browser JS in a
 * string (no build step); no backticks or `${` inside, so the TS template literal stays verbatim.
 */
export const APP_JS = String.raw`// queuectl dashboard
import {
  ago, bytes, count, fieldText, histogram, idFromPath, jobBody, jobPath, jobsQuery, seconds, splitAttempts,
  STATES, throughputBars,
} from "./core.js";

const PAGE_SIZE = 25;
const POLL_MS = 2000;
const STATUS_REFRESH_MS = 5000;
const SEARCH_ASKS = 5;
const JOB_POLL_MS = 1000;
const LOG_TAIL = 65536;
const SVG_NS = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);

// ---- DOM building: text is always a text node, attributes always setAttribute ----

function build(node, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}
const el = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
const svg = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

/** A relative time kept fresh by the once-a-second tick. */
function when(iso) {
  return el("time", { datetime: iso || "", "data-at": iso || "", title: iso || "" }, ago(iso, Date.now()));
}

function badge(state) {
  return el("span", { class: "badge badge-" + state }, state);
}

// ---- the API ----

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.assign("/login");
    throw new ApiError(401, "Sign in to use the dashboard");
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    throw new ApiError(res.status, data && typeof data.error === "string" ? data.error : "HTTP " + res.status + " from " + path);
  }
  return data;
}

const enc = encodeURIComponent;

// ---- page state ----

const ui = {
  filters: { state: "", q: "", order: "desc" },
  cursors: [null], // cursors[i] loads page i; Previous pops, Next pushes
  page: 0,
  nextCursor: null,
  jobsRequest: 0,
  status: null,
  head: null,
  jobId: null,
  jobTimer: null,
  job: null,
  jobSignature: null,
  /** the job being deleted from its page: not to be asked for again (it would be a 404) */
  deleting: null,
};

let noticeTimer = null;
function notice(text, kind) {
  const n = $("notice");
  n.textContent = text;
  n.setAttribute("data-kind", kind || "info");
  n.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { n.hidden = true; }, kind === "error" ? 10000 : 6000);
}
const showError = (e) => notice(e && e.message ? e.message : String(e), "error");

// ---- overview: counts, workers, config ----

function renderStatus(s) {
  ui.status = s;
  ui.head = s.head;
  for (const state of STATES) {
    $("count-" + state).textContent = count(s.counts[state] || 0);
  }
  const age = s.oldest_pending_age_seconds;
  $("oldest").textContent = age === null || age === undefined ? "No pending job is due." : "Oldest pending job waiting for " + seconds(age) + ".";

  const dead = s.counts.dead || 0;
  const retryAll = $("retry-all");
  retryAll.disabled = dead === 0;
  retryAll.textContent = dead > 0 ? "Retry all dead (" + count(dead) + ")" : "Retry all dead";

  const workers = s.workers || [];
  const stop = $("stop-workers");
  stop.disabled = workers.every((w) => w.stopping);
  const rows = workers.map((w) =>
    el("tr", {},
      el("td", { class: "id" }, el("code", {}, w.id), w.stopping ? " " : null, w.stopping ? badge("stopping") : null),
      el("td", { class: "num" }, String(w.pid)),
      el("td", { class: "num" }, String(w.slots)),
      el("td", { class: "in-hand" }, ...jobLinks(w.jobs || [])),
      el("td", { class: "when" }, when(w.heartbeat_at)))
  );
  if (rows.length === 0) {
    rows.push(el("tr", {}, el("td", { class: "empty", colspan: 5 }, "No worker is running. Start one with: queuectl worker start")));
  }
  $("workers-body").replaceChildren(...rows);

  const config = s.config || {};
  const kv = [];
  for (const [k, v] of Object.entries(config)) kv.push(el("dt", {}, k), el("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v)));
  $("config").replaceChildren(...kv);
}

function jobLinks(ids) {
  if (ids.length === 0) return ["none"];
  const out = [];
  ids.forEach((id, i) => {
    if (i > 0) out.push(", ");
    out.push(el("a", { href: jobPath(id), "data-route": true, class: "mono" }, id));
  });
  return out;
}

async function loadStatus() {
  renderStatus(await api("GET", "/api/status"));
}

// ---- charts ----

const CHART_H = 180;

/**
 * Sizes a chart's viewBox to the pixels it is shown at, so its text stays readable on a phone;
 * returns its width.
 */
function fitChart(chart) {
  const w = Math.max(240, Math.round(chart.getBoundingClientRect().width) || 600);
  chart.setAttribute("viewBox", "0 0 " + w + " " + CHART_H);
  return w;
}

let lastThroughput = null;

function renderThroughput(t) {
  lastThroughput = t;
  const minutes = t.minutes || [];
  const chart = $("tp-chart");
  const keep = [...chart.querySelectorAll("title, desc")];
  const TP_BOX = { x: 34, y: 8, w: fitChart(chart) - 40, h: 146 };
  const { top, bars } = throughputBars(minutes, TP_BOX);
  const base = TP_BOX.y + TP_BOX.h;
  const parts = [
    svg("line", { class: "grid", x1: TP_BOX.x, y1: TP_BOX.y, x2: TP_BOX.x + TP_BOX.w, y2: TP_BOX.y }),
    svg("line", { class: "grid", x1: TP_BOX.x, y1: TP_BOX.y + TP_BOX.h / 2, x2: TP_BOX.x + TP_BOX.w, y2: TP_BOX.y + TP_BOX.h / 2 }),
    svg("line", { class: "axis", x1: TP_BOX.x, y1: base, x2: TP_BOX.x + TP_BOX.w, y2: base }),
    svg("text", { x: TP_BOX.x - 6, y: TP_BOX.y + 4, "text-anchor": "end" }, String(top)),
    svg("text", { x: TP_BOX.x - 6, y: TP_BOX.y + TP_BOX.h / 2 + 4, "text-anchor": "end" }, String(top / 2)),
    svg("text", { x: TP_BOX.x - 6, y: base + 4, "text-anchor": "end" }, "0"),
    svg("text", { x: TP_BOX.x, y: base + 18 }, "60 min ago"),
    svg("text", { x: TP_BOX.x + TP_BOX.w / 2, y: base + 18, "text-anchor": "middle" }, "30 min ago"),
    svg("text", { x: TP_BOX.x + TP_BOX.w, y: base + 18, "text-anchor": "end" }, "now"),
  ];
  for (const b of bars) {
    const m = b.minute;
    const label = m.t.slice(11, 16) + " UTC: " + m.completed + " completed, " + m.failed + " failed";
    parts.push(svg("rect", { class: "bar-" + b.kind, x: b.x, y: b.y, width: b.w, height: b.h }, svg("title", {}, label)));
  }
  let completed = 0;
  let failed = 0;
  for (const m of minutes) {
    completed += m.completed;
    failed += m.failed;
  }
  if (completed + failed === 0) {
    parts.push(svg("text", { class: "empty", x: TP_BOX.x + TP_BOX.w / 2, y: TP_BOX.y + TP_BOX.h / 2 - 14, "text-anchor": "middle" }, "Nothing finished in the last hour"));
  }
  chart.replaceChildren(...keep, ...parts);
  $("tp-desc").textContent = completed + " jobs completed and " + failed + " failed in the last hour.";
  $("tp-completed").textContent = count(completed);
  $("tp-failed").textContent = count(failed);

  renderDurations(t.durations || { count: 0, buckets: [] });
}

function renderDurations(d) {
  const chart = $("dur-chart");
  const keep = [...chart.querySelectorAll("title, desc")];
  const bins = histogram(d.buckets);
  const box = { x: 34, y: 8, w: fitChart(chart) - 40, h: 130 };
  const base = box.y + box.h;
  let max = 0;
  for (const b of bins) max = Math.max(max, b.count);
  const parts = [svg("line", { class: "axis", x1: box.x, y1: base, x2: box.x + box.w, y2: base })];
  const step = box.w / Math.max(1, bins.length);
  bins.forEach((b, i) => {
    const h = max === 0 ? 0 : (b.count / max) * box.h;
    const x = box.x + i * step;
    if (h > 0) {
      parts.push(svg("rect", { class: "bar-duration", x: x + 2, y: base - h, width: Math.max(1, step - 4), height: h },
        svg("title", {}, b.label + ": " + b.count + " job(s)")));
    }
    // label every n-th bucket when they are narrow, so the text never overlaps
    const every = Math.ceil(44 / step);
    if (i % every === 0) {
      parts.push(svg("text", { x: x + step / 2, y: base + 16, "text-anchor": "middle" }, b.label));
    }
  });
  parts.push(svg("text", { x: box.x - 6, y: box.y + 4, "text-anchor": "end" }, String(max)));
  parts.push(svg("text", { x: box.x - 6, y: base + 4, "text-anchor": "end" }, "0"));
  if (!d.count) {
    parts.push(svg("text", { class: "empty", x: box.x + box.w / 2, y: box.y + box.h / 2, "text-anchor": "middle" }, "No finished job yet"));
  }
  chart.replaceChildren(...keep, ...parts);
  $("dur-desc").textContent = d.count
    ? d.count + " jobs; median " + seconds(d.p50) + ", 90th percentile " + seconds(d.p90) + ", 99th percentile " + seconds(d.p99) + "."
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

function retryButton(id) {
  const b = el("button", { type: "button", class: "small", "data-retry": id, "aria-label": "Retry job " + id }, "Retry");
  return b;
}

function renderJobs(data) {
  const rows = (data.jobs || []).map((j) =>
    el("tr", { "data-id": j.id },
      el("td", { class: "id" }, el("a", { href: jobPath(j.id), "data-route": true }, j.id)),
      el("td", {}, badge(j.state)),
      el("td", { class: "cmd" }, j.command),
      el("td", { class: "num" }, j.attempts + "/" + (j.max_retries + 1)),
      el("td", { class: "num" }, String(j.priority)),
      el("td", { class: "when" }, when(j.updated_at)),
      el("td", {}, j.state === "dead" ? retryButton(j.id) : null))
  );
  // a search that stopped short (see loadJobs) is not over: Next goes on with it
  const unfinished = Boolean(data.next_cursor) && rows.length < PAGE_SIZE;
  if (rows.length === 0) {
    const text = unfinished ? "No match so far: Next searches further." : ui.page > 0 ? "No more jobs on this page." : "No job matches.";
    rows.push(el("tr", {}, el("td", { class: "empty", colspan: 7 }, text)));
  }
  $("jobs-body").replaceChildren(...rows);
  ui.nextCursor = data.next_cursor || null;
  $("prev").disabled = ui.page === 0;
  $("next").disabled = ui.nextCursor === null;
  let info = "Page " + (ui.page + 1);
  if (data.total !== null && data.total !== undefined) {
    info += " of " + Math.max(1, Math.ceil(data.total / PAGE_SIZE)) + " · " + count(data.total) + (data.total === 1 ? " job" : " jobs");
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
  const jobs = [];
  let cursor = ui.cursors[ui.page];
  let data;
  let asks = 0;
  do {
    data = await api("GET", "/api/jobs?" + jobsQuery(ui.filters, cursor, PAGE_SIZE - jobs.length));
    if (request !== ui.jobsRequest) return; // a newer filter or page was asked for meanwhile
    jobs.push(...data.jobs);
    cursor = data.next_cursor;
    asks++;
  } while (ui.filters.q && jobs.length < PAGE_SIZE && cursor && asks < SEARCH_ASKS);
  renderJobs({ jobs, next_cursor: cursor, total: data.total });
}

function firstPage() {
  ui.cursors = [null];
  ui.page = 0;
  loadJobs().catch(showError);
}

function setStateFilter(state) {
  ui.filters.state = state;
  $("f-state").value = state;
  for (const b of document.querySelectorAll(".count")) {
    b.setAttribute("aria-pressed", String(b.getAttribute("data-state") === state));
  }
  firstPage();
}

// ---- the job page ----

function renderJob(job, logs, logsError) {
  // polled every second while it runs: leave the DOM (a selection, a scroll) alone if nothing changed
  const signature = JSON.stringify([job, logs && logs.bytes, logs && logs.output.length, logs && logs.running, logsError]);
  if (signature === ui.jobSignature) return;
  ui.jobSignature = signature;
  ui.job = job;
  document.title = "Job " + job.id + " · queuectl";
  $("job-id").textContent = job.id;
  const st = $("job-state");
  st.textContent = job.state;
  st.className = "badge badge-" + job.state;
  $("job-retry").hidden = job.state !== "dead";
  const del = $("job-delete");
  del.disabled = job.state === "processing";
  del.title = job.state === "processing" ? "A running job cannot be deleted" : "";

  const now = Date.now();
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
  if (logsError) {
    $("logs-note").textContent = "";
    box.replaceChildren(el("p", { class: "error" }, logsError));
    return;
  }
  const sections = splitAttempts(logs.output, logs.truncated);
  $("logs-note").textContent = logs.truncated
    ? "Showing the last " + bytes(LOG_TAIL) + " of " + bytes(logs.bytes) + " of output."
    : "";
  const parts = sections.map((s, i) => {
    const last = i === sections.length - 1;
    const title = s.attempt === null ? "Earlier output (cut)" : "Attempt " + s.attempt + " of " + s.of;
    let end = s.end;
    let ok = s.end === null ? "running" : String(/^exit code 0\b/.test(s.end));
    if (end === null) end = last && running ? "running…" : "no closing line";
    if (s.end === null && !(last && running)) ok = "false";
    return el("section", { class: "attempt", "data-attempt": s.attempt === null ? "" : s.attempt },
      el("h3", {}, title, s.at ? el("span", { class: "meta" }, "started " + s.at + " · worker " + s.worker) : null),
      el("pre", {}, s.output || "(no output)"),
      el("p", { class: "end", "data-ok": ok }, end));
  });
  if (parts.length === 0) {
    parts.push(el("p", { class: "muted" }, job.attempts === 0 ? "Not started yet." : "No output."));
  }
  // live output: a reader at the end of it stays at the end as it grows
  const before = box.querySelector(".attempt:last-child pre");
  const follow = before === null || before.scrollTop + before.clientHeight >= before.scrollHeight - 4;
  box.replaceChildren(...parts);
  const after = box.querySelector(".attempt:last-child pre");
  if (after !== null && follow) after.scrollTop = after.scrollHeight;
}

async function loadJob() {
  const id = ui.jobId;
  if (id === null || id === ui.deleting) return;
  const path = "/api/jobs/" + enc(id);
  let job;
  try {
    job = await api("GET", path);
  } catch (e) {
    if (ui.jobId !== id) return;
    stopJobPoll();
    $("job-error").textContent = e.message;
    $("job-fields").replaceChildren();
    $("attempts").replaceChildren();
    $("job-state").textContent = "";
    $("job-state").className = "badge";
    $("job-retry").hidden = true;
    $("job-delete").disabled = true;
    return;
  }
  let logs = null;
  let logsError = null;
  if (ui.deleting === id || ui.jobId !== id) return;
  try {
    logs = await api("GET", path + "/logs?tail=" + LOG_TAIL);
  } catch (e) {
    logsError = e.message;
  }
  if (ui.jobId !== id) return;
  $("job-error").textContent = "";
  renderJob(job, logs, logsError);
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
  ui.jobTimer = null;
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

function navigate(href) {
  history.pushState(null, "", href);
  route();
  if (ui.jobId !== null) $("job-h").focus();
  else window.scrollTo(0, 0);
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-route]");
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", route);

// ---- refresh, coalesced: one run at a time, and one more if anything asked meanwhile ----

let refreshing = null;
let again = false;

function requestRefresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      const tasks = ui.jobId === null ? [loadStatus(), loadThroughput(), loadJobs()] : [loadJob()];
      await Promise.all(tasks.map((p) => p.catch(showError)));
    } while (again);
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// ---- live: server-sent events, polling /api/status as the fallback ----

let events = null;
let pollTimer = null;
let polledHead = null;

function setLive(mode, text) {
  const live = $("live");
  if (live.getAttribute("data-mode") === mode && live.textContent === text) return; // no repeat announcements
  live.setAttribute("data-mode", mode);
  live.textContent = text;
}

function connect() {
  if (typeof EventSource !== "function") {
    startPolling();
    return;
  }
  events = new EventSource("/api/events");
  events.addEventListener("open", () => {
    stopPolling();
    setLive("live", "Live");
  });
  events.addEventListener("change", (ev) => {
    let head = null;
    try {
      head = JSON.parse(ev.data).head;
    } catch {
      head = null;
    }
    // the event sent on connect repeats the head the page already shows
    if (ui.jobId === null && head !== null && head === ui.head && !refreshing) return;
    requestRefresh();
  });
  events.addEventListener("error", () => {
    startPolling();
    if (events && events.readyState === EventSource.CLOSED) {
      // the browser gave up (e.g. a proxy that does not stream): try again later, poll meanwhile
      events = null;
      setTimeout(connect, 10000);
    }
  });
}

function startPolling() {
  if (pollTimer !== null) return;
  setLive("polling", "Polling every " + POLL_MS / 1000 + " s");
  pollTimer = setInterval(pollStatus, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

async function pollStatus() {
  try {
    const s = await api("GET", "/api/status");
    if (ui.jobId === null) renderStatus(s);
    if (pollTimer !== null) setLive("polling", "Polling every " + POLL_MS / 1000 + " s");
    if (s.head !== polledHead) {
      polledHead = s.head;
      requestRefresh();
    }
  } catch (e) {
    if (e.status !== 401) setLive("offline", "Offline: " + e.message);
  }
}

// ---- actions ----

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

async function retryJob(id) {
  const job = await api("POST", "/api/jobs/" + enc(id) + "/retry");
  notice("Job " + job.id + " is pending again.");
}

function wireActions() {
  $("jobs-body").addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-retry]");
    if (b) act(b, () => retryJob(b.getAttribute("data-retry")));
  });

  $("retry-all").addEventListener("click", (ev) => {
    const dead = ui.status ? ui.status.counts.dead : 0;
    if (!confirm("Retry all " + dead + " dead job(s)? They become pending with their attempts reset.")) return;
    act(ev.currentTarget, async () => {
      const r = await api("POST", "/api/dlq/retry");
      notice("Retried " + r.retried.length + " dead job(s).");
    });
  });

  $("stop-workers").addEventListener("click", (ev) => {
    const n = ui.status ? ui.status.workers.length : 0;
    if (!confirm("Stop all " + n + " worker(s)? They finish their running jobs, then exit.")) return;
    act(ev.currentTarget, async () => {
      const r = await api("POST", "/api/workers/stop");
      notice("Asked " + r.stopping + " worker(s) to stop.");
    });
  });

  $("job-retry").addEventListener("click", (ev) => {
    const id = ui.jobId;
    act(ev.currentTarget, () => retryJob(id));
  });

  $("job-delete").addEventListener("click", (ev) => {
    const id = ui.jobId;
    if (!confirm("Delete job " + id + "? Its record and its output are removed for good.")) return;
    const button = ev.currentTarget;
    button.disabled = true;
    stopJobPoll();
    ui.deleting = id;
    api("DELETE", "/api/jobs/" + enc(id))
      .then(() => {
        notice("Deleted job " + id + ".");
        navigate("/");
      })
      .catch((e) => {
        button.disabled = false;
        $("job-error").textContent = e.message;
      })
      .finally(() => {
        ui.deleting = null;
      });
  });

  $("enqueue").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const submit = form.querySelector("button[type=submit]");
    const fields = {};
    for (const [k, v] of new FormData(form)) fields[k] = String(v);
    $("enqueue-error").textContent = "";
    $("enqueue-result").replaceChildren();
    submit.disabled = true;
    try {
      const job = await api("POST", "/api/jobs", jobBody(fields));
      form.reset();
      $("enqueue-result").replaceChildren("Enqueued ", el("a", { href: jobPath(job.id), "data-route": true, class: "mono" }, job.id), ".");
      requestRefresh();
    } catch (e) {
      $("enqueue-error").textContent = e.message;
    } finally {
      submit.disabled = false;
    }
  });
}

function wireFilters() {
  $("filters").addEventListener("submit", (ev) => ev.preventDefault());
  $("f-state").addEventListener("change", (ev) => setStateFilter(ev.currentTarget.value));
  $("f-order").addEventListener("change", (ev) => {
    ui.filters.order = ev.currentTarget.value;
    firstPage();
  });
  let debounce = null;
  $("f-q").addEventListener("input", (ev) => {
    const q = ev.currentTarget.value.trim();
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (q === ui.filters.q) return;
      ui.filters.q = q;
      firstPage();
    }, 300);
  });
  for (const b of document.querySelectorAll(".count")) {
    b.addEventListener("click", () => {
      const state = b.getAttribute("data-state");
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
  route();
  connect();
  setInterval(tick, 1000);
  let resize = null;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => {
      if (lastThroughput !== null && ui.jobId === null) renderThroughput(lastThroughput);
    }, 150);
  });
  // heartbeats and workers that come and go are not store changes: re-read the status now and then
  setInterval(() => {
    if (ui.jobId === null && pollTimer === null) loadStatus().catch(() => {});
  }, STATUS_REFRESH_MS);
  // the chart's minutes move on even when the store does not change
  setInterval(() => {
    if (ui.jobId === null) loadThroughput().catch(() => {});
  }, 30000);
}

start();
`;
