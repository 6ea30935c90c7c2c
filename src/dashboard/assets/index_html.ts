/**
 * `/assets/index.html`, served for `/` and `/jobs/:id` (the script routes by path). Only structure
 * and labels: every value is filled in by app.js through DOM APIs. No inline script or style, to
 * obey the server's Content-Security-Policy.
 */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>queuectl dashboard</title>
<link rel="icon" type="image/svg+xml" href="/assets/favicon.svg">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/" data-route><img src="/assets/favicon.svg" alt="" width="22" height="22"> queuectl</a>
  <p id="live" class="live" role="status" aria-live="polite" data-mode="connecting">Connecting…</p>
</header>
<p id="notice" class="notice" role="status" aria-live="polite" hidden></p>
<main id="main" tabindex="-1">
<div id="home-view">
  <section class="panel wide" aria-labelledby="counts-h">
    <h2 id="counts-h">Jobs by state</h2>
    <ul id="counts" class="counts" aria-live="polite" aria-label="Jobs by state">
      <li><button type="button" class="count" data-state="pending" aria-pressed="false"><span class="count-n" id="count-pending">-</span> <span class="count-label">pending</span></button></li>
      <li><button type="button" class="count" data-state="processing" aria-pressed="false"><span class="count-n" id="count-processing">-</span> <span class="count-label">processing</span></button></li>
      <li><button type="button" class="count" data-state="completed" aria-pressed="false"><span class="count-n" id="count-completed">-</span> <span class="count-label">completed</span></button></li>
      <li><button type="button" class="count" data-state="failed" aria-pressed="false"><span class="count-n" id="count-failed">-</span> <span class="count-label">failed</span></button></li>
      <li><button type="button" class="count" data-state="dead" aria-pressed="false"><span class="count-n" id="count-dead">-</span> <span class="count-label">dead</span></button></li>
    </ul>
    <p class="muted" id="oldest"></p>
  </section>

  <section class="panel" aria-labelledby="tp-h">
    <h2 id="tp-h">Throughput, last hour</h2>
    <svg id="tp-chart" class="chart" viewBox="0 0 600 180" role="img" aria-labelledby="tp-title tp-desc">
      <title id="tp-title">Jobs completed and failed per minute over the last hour</title>
      <desc id="tp-desc"></desc>
    </svg>
    <p class="legend"><span class="key key-completed"></span>completed <strong id="tp-completed">-</strong>
      <span class="key key-failed"></span>failed <strong id="tp-failed">-</strong></p>
  </section>

  <section class="panel" aria-labelledby="dur-h">
    <h2 id="dur-h">Job durations</h2>
    <svg id="dur-chart" class="chart" viewBox="0 0 600 180" role="img" aria-labelledby="dur-title dur-desc">
      <title id="dur-title">Histogram of job durations</title>
      <desc id="dur-desc"></desc>
    </svg>
    <dl class="percentiles">
      <div><dt>p50</dt><dd id="dur-p50">-</dd></div>
      <div><dt>p90</dt><dd id="dur-p90">-</dd></div>
      <div><dt>p99</dt><dd id="dur-p99">-</dd></div>
      <div><dt>jobs</dt><dd id="dur-count">-</dd></div>
    </dl>
  </section>

  <section class="panel wide" aria-labelledby="jobs-h">
    <div class="panel-head">
      <h2 id="jobs-h">Jobs</h2>
      <button type="button" id="retry-all" class="danger" disabled>Retry all dead</button>
    </div>
    <form id="filters" class="filters" role="search">
      <div class="field">
        <label for="f-state">State</label>
        <select id="f-state" name="state">
          <option value="">all</option>
          <option value="pending">pending</option>
          <option value="processing">processing</option>
          <option value="completed">completed</option>
          <option value="failed">failed</option>
          <option value="dead">dead</option>
        </select>
      </div>
      <div class="field grow">
        <label for="f-q">Search id or command</label>
        <input id="f-q" name="q" type="search" autocomplete="off" spellcheck="false">
      </div>
      <div class="field">
        <label for="f-order">Order</label>
        <select id="f-order" name="order">
          <option value="desc">newest first</option>
          <option value="asc">oldest first</option>
        </select>
      </div>
    </form>
    <div class="table-wrap">
      <table id="jobs" class="jobs">
        <caption class="sr-only">Jobs matching the filters</caption>
        <thead><tr><th scope="col">ID</th><th scope="col">State</th><th scope="col">Command</th><th scope="col">Attempts</th><th scope="col">Priority</th><th scope="col">Updated</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody id="jobs-body"></tbody>
      </table>
    </div>
    <nav class="pager" aria-label="Job pages">
      <button type="button" id="prev" disabled>Previous</button>
      <span id="page-info" aria-live="polite"></span>
      <button type="button" id="next" disabled>Next</button>
    </nav>
  </section>

  <section class="panel tall" aria-labelledby="enqueue-h">
    <h2 id="enqueue-h">Enqueue a job</h2>
    <form id="enqueue" class="enqueue" novalidate>
      <div class="field full">
        <label for="e-command">Command</label>
        <input id="e-command" name="command" required autocomplete="off" spellcheck="false" placeholder="echo hello">
      </div>
      <div class="field">
        <label for="e-id">ID <span class="muted">(optional)</span></label>
        <input id="e-id" name="id" autocomplete="off" spellcheck="false">
      </div>
      <div class="field">
        <label for="e-max-retries">Max retries</label>
        <input id="e-max-retries" name="max_retries" inputmode="numeric" autocomplete="off" placeholder="config default">
      </div>
      <div class="field">
        <label for="e-priority">Priority</label>
        <input id="e-priority" name="priority" inputmode="numeric" autocomplete="off" placeholder="0">
      </div>
      <div class="field">
        <label for="e-timeout">Timeout (s)</label>
        <input id="e-timeout" name="timeout" inputmode="decimal" autocomplete="off" placeholder="config default">
      </div>
      <div class="field full">
        <label for="e-run-at">Run at <span class="muted">(ISO-8601, empty for now)</span></label>
        <input id="e-run-at" name="run_at" autocomplete="off" spellcheck="false" placeholder="2030-01-01T09:00:00Z">
      </div>
      <div class="form-actions full">
        <button type="submit" class="primary">Enqueue</button>
        <p id="enqueue-result" class="result" role="status" aria-live="polite"></p>
      </div>
      <p id="enqueue-error" class="error full" role="alert"></p>
    </form>
  </section>

  <section class="panel" aria-labelledby="workers-h">
    <div class="panel-head">
      <h2 id="workers-h">Workers</h2>
      <button type="button" id="stop-workers" class="danger" disabled>Stop workers</button>
    </div>
    <div class="table-wrap">
      <table class="workers">
        <caption class="sr-only">Active workers</caption>
        <thead><tr><th scope="col">ID</th><th scope="col">PID</th><th scope="col">Slots</th><th scope="col">Jobs in hand</th><th scope="col">Heartbeat</th></tr></thead>
        <tbody id="workers-body"></tbody>
      </table>
    </div>
  </section>

  <section class="panel" aria-labelledby="config-h">
    <h2 id="config-h">Config</h2>
    <dl id="config" class="kv"></dl>
  </section>
</div>

<div id="job-view" hidden>
  <p class="back"><a href="/" data-route>&larr; All jobs</a></p>
  <section class="panel wide" aria-labelledby="job-h">
    <div class="panel-head">
      <h2 id="job-h" tabindex="-1">Job <code id="job-id"></code> <span id="job-state" class="badge"></span></h2>
      <div class="actions">
        <button type="button" id="job-retry" hidden>Retry</button>
        <button type="button" id="job-delete" class="danger">Delete</button>
      </div>
    </div>
    <p id="job-error" class="error" role="alert"></p>
    <dl id="job-fields" class="kv fields"></dl>
  </section>
  <section class="panel wide" aria-labelledby="attempts-h">
    <h2 id="attempts-h">Attempts and output <span id="job-live" class="muted"></span></h2>
    <p id="logs-note" class="muted"></p>
    <div id="attempts" aria-live="off"></div>
  </section>
</div>
</main>
</body>
</html>
`;
