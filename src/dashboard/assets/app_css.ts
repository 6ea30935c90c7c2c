/**
 * `/assets/app.css`: the page's only styles (the CSP allows no inline style). Light and dark via
 * `prefers-color-scheme`; one column below 760 px, where tables scroll inside their own box so the
 * page body never scrolls sideways.
 */
export const APP_CSS = `:root {
  color-scheme: light dark;
  --bg: #f4f6f8;
  --fg: #1b1f24;
  --muted: #59636e;
  --panel: #ffffff;
  --border: #d5dbe1;
  --accent: #1f5fd1;
  --accent-fg: #ffffff;
  --row: #f7f9fb;
  --pending: #8a5a00;
  --processing: #0b6b8a;
  --completed: #1a7f37;
  --failed: #c2410c;
  --dead: #b42318;
  --danger: #b42318;
  --bar-completed: #2da44e;
  --bar-failed: #e5534b;
  --bar-duration: #5b8def;
  --focus: #1f5fd1;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116;
    --fg: #e6edf3;
    --muted: #9aa5b1;
    --panel: #161b22;
    --border: #30363d;
    --accent: #4493f8;
    --accent-fg: #0e1116;
    --row: #1c222b;
    --pending: #e3b341;
    --processing: #39c5cf;
    --completed: #3fb950;
    --failed: #f0883e;
    --dead: #ff7b72;
    --danger: #ff7b72;
    --bar-completed: #3fb950;
    --bar-failed: #f85149;
    --bar-duration: #6ca4f8;
    --focus: #79b8ff;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  overflow-wrap: anywhere;
}
a { color: var(--accent); }
code, pre, .mono { font-family: var(--mono); font-size: 0.9em; }
h2 { font-size: 1.05rem; margin: 0 0 0.75rem; }
h3 { font-size: 0.95rem; margin: 0 0 0.4rem; }
.muted { color: var(--muted); }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.skip { position: absolute; left: -999px; top: 0; }
.skip:focus { left: 0.5rem; top: 0.5rem; background: var(--panel); padding: 0.5rem; z-index: 2; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
[hidden] { display: none !important; }

.top {
  display: flex; align-items: center; justify-content: space-between; gap: 1rem;
  padding: 0.6rem 1rem; background: var(--panel); border-bottom: 1px solid var(--border);
}
.brand { display: inline-flex; align-items: center; gap: 0.4rem; font-weight: 700; color: var(--fg); text-decoration: none; }
.live { margin: 0; font-size: 0.85rem; color: var(--muted); }
.live::before {
  content: ""; display: inline-block; width: 0.6rem; height: 0.6rem; border-radius: 50%;
  margin-right: 0.4rem; background: var(--muted); vertical-align: 0;
}
.live[data-mode="live"]::before { background: var(--completed); }
.live[data-mode="polling"]::before { background: var(--pending); }
.live[data-mode="offline"]::before { background: var(--dead); }
.notice {
  margin: 0.75rem auto 0; max-width: 1200px; padding: 0.5rem 0.75rem; border-radius: 6px;
  background: var(--panel); border: 1px solid var(--accent);
}
.notice[data-kind="error"] { border-color: var(--danger); color: var(--danger); }

main { max-width: 1200px; margin: 0 auto; padding: 1rem; }
main:focus { outline: none; }
#home-view {
  display: grid; gap: 1rem; grid-template-columns: repeat(2, minmax(0, 1fr));
}
.panel {
  background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 1rem;
  min-width: 0;
}
.panel.wide { grid-column: 1 / -1; }
.panel.tall { grid-row: span 2; }
#job-view .panel + .panel { margin-top: 1rem; }
.panel-head { display: flex; align-items: baseline; justify-content: space-between; gap: 0.75rem; flex-wrap: wrap; }
.panel-head h2 { margin-bottom: 0.75rem; }
.back { margin: 0 0 0.75rem; }

.counts { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.75rem; grid-template-columns: repeat(5, minmax(0, 1fr)); }
.count {
  width: 100%; display: flex; flex-direction: column; align-items: flex-start; gap: 0.1rem;
  padding: 0.7rem 0.8rem; border: 1px solid var(--border); border-left-width: 4px; border-radius: 6px;
  background: var(--row); color: var(--fg); font: inherit; text-align: left; cursor: pointer;
}
.count[aria-pressed="true"] { outline: 2px solid var(--accent); }
.count[data-state="pending"] { border-left-color: var(--pending); }
.count[data-state="processing"] { border-left-color: var(--processing); }
.count[data-state="completed"] { border-left-color: var(--completed); }
.count[data-state="failed"] { border-left-color: var(--failed); }
.count[data-state="dead"] { border-left-color: var(--dead); }
.count-n { font-size: 1.6rem; font-weight: 700; font-variant-numeric: tabular-nums; line-height: 1.1; }
.count-label { color: var(--muted); font-size: 0.85rem; }
#oldest { margin: 0.6rem 0 0; font-size: 0.9rem; }

.chart { width: 100%; height: auto; display: block; }
.chart .axis { stroke: var(--border); stroke-width: 1; }
.chart .grid { stroke: var(--border); stroke-width: 1; stroke-dasharray: 3 3; }
.chart text { fill: var(--muted); font-size: 11px; font-family: system-ui, sans-serif; }
.chart .bar-completed { fill: var(--bar-completed); }
.chart .bar-failed { fill: var(--bar-failed); }
.chart .bar-duration { fill: var(--bar-duration); }
.chart .empty { fill: var(--muted); font-size: 14px; }
.legend { margin: 0.5rem 0 0; font-size: 0.9rem; display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.5rem; }
.legend strong { margin-right: 0.8rem; font-variant-numeric: tabular-nums; }
.key { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; }
.key-completed { background: var(--bar-completed); }
.key-failed { background: var(--bar-failed); }
.percentiles { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; margin: 0.5rem 0 0; }
.percentiles div { display: flex; gap: 0.4rem; }
.percentiles dt { color: var(--muted); }
.percentiles dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }

.filters { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-end; margin-bottom: 0.75rem; }
.field { display: flex; flex-direction: column; gap: 0.2rem; min-width: 0; }
.field.grow { flex: 1 1 12rem; }
label { font-size: 0.85rem; font-weight: 600; }
input, select, button { font: inherit; color: inherit; }
input, select {
  padding: 0.4rem 0.5rem; border: 1px solid var(--border); border-radius: 6px; background: var(--bg);
  min-width: 0; max-width: 100%;
}
button {
  padding: 0.4rem 0.8rem; border: 1px solid var(--border); border-radius: 6px; background: var(--row);
  cursor: pointer;
}
button:disabled { opacity: 0.5; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); font-weight: 600; }
button.danger { color: var(--danger); border-color: var(--danger); background: transparent; }
button.small { padding: 0.15rem 0.5rem; font-size: 0.85rem; }
.actions { display: flex; gap: 0.5rem; flex-wrap: wrap; }

/* relative: the visually hidden labels inside are positioned in here, not stretching the page */
.table-wrap { position: relative; overflow-x: auto; max-width: 100%; border: 1px solid var(--border); border-radius: 6px; }
/* cells keep their words whole (the box scrolls instead); only commands and job lists wrap */
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; overflow-wrap: normal; }
th, td {
  text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--border); vertical-align: top;
  white-space: nowrap;
}
thead th { background: var(--row); font-size: 0.8rem; color: var(--muted); white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.id a { font-family: var(--mono); }
td.cmd {
  font-family: var(--mono); font-size: 0.85rem; min-width: 14rem; max-width: 32rem;
  white-space: pre-wrap; overflow-wrap: anywhere;
}
td.in-hand { white-space: normal; min-width: 10rem; }
td.when { white-space: nowrap; }
td.empty { color: var(--muted); text-align: center; padding: 1rem; white-space: normal; }
.badge {
  display: inline-block; padding: 0.05rem 0.45rem; border-radius: 999px; font-size: 0.78rem; font-weight: 600;
  border: 1px solid currentColor; white-space: nowrap;
}
.badge-pending { color: var(--pending); }
.badge-processing { color: var(--processing); }
.badge-completed { color: var(--completed); }
.badge-failed { color: var(--failed); }
.badge-dead { color: var(--dead); }
.badge-stopping { color: var(--muted); }
.pager { display: flex; align-items: center; justify-content: space-between; gap: 0.75rem; margin-top: 0.75rem; }
#page-info { color: var(--muted); font-size: 0.9rem; text-align: center; }

.enqueue { display: grid; gap: 0.6rem 0.75rem; grid-template-columns: repeat(2, minmax(0, 1fr)); }
.enqueue .full { grid-column: 1 / -1; }
.form-actions { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; }
.result { margin: 0; }
.error { margin: 0; color: var(--danger); font-weight: 600; }
.error:empty, .result:empty { display: none; }

.kv { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.3rem 1rem; margin: 0; }
.kv dt { color: var(--muted); font-family: var(--mono); font-size: 0.85rem; }
.kv dd { margin: 0; font-family: var(--mono); font-size: 0.85rem; }
.fields { margin-top: 0.5rem; }

.attempt { border: 1px solid var(--border); border-radius: 6px; padding: 0.6rem 0.75rem; margin: 0 0 0.75rem; }
.attempt h3 { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; align-items: baseline; }
.attempt .meta { font-weight: 400; color: var(--muted); font-size: 0.85rem; }
.attempt pre {
  margin: 0.4rem 0; padding: 0.5rem; background: var(--bg); border-radius: 4px; max-height: 28rem;
  overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere;
}
.attempt .end { margin: 0; font-size: 0.85rem; font-weight: 600; }
.attempt .end[data-ok="true"] { color: var(--completed); }
.attempt .end[data-ok="false"] { color: var(--danger); }
.attempt .end[data-ok="running"] { color: var(--processing); }

@media (max-width: 760px) {
  main { padding: 0.6rem; }
  #home-view { grid-template-columns: minmax(0, 1fr); gap: 0.6rem; }
  .panel.tall { grid-row: auto; }
  .counts { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.5rem; }
  .counts li:last-child { grid-column: 1 / -1; }
  .panel { padding: 0.75rem; }
  .enqueue { grid-template-columns: minmax(0, 1fr); }
  .kv { grid-template-columns: minmax(0, 1fr); gap: 0 0; }
  .kv dd { margin-bottom: 0.4rem; }
  .top { padding: 0.5rem 0.6rem; }
}
`;
