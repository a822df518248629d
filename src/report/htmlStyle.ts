// The report's stylesheet. Phase and marker colours are defined once here and used by both the chart overlay
// and the legend, so the key always matches the chart.

export const REPORT_CSS = `
:root {
  --bg: #f4f5f7; --card: #fff; --ink: #1f2328; --muted: #656d76; --line: #d8dee4;
  --green: #1a7f37; --red: #cf222e; --yellow: #9a6700; --cyan: #0969da;
  --steady: rgba(46, 160, 67, 0.07); --resizing: rgba(247, 144, 9, 0.16); --waiting: rgba(110, 118, 129, 0.12); --stopped: rgba(218, 54, 51, 0.10);
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 15px; margin: 0 0 10px; }
.sub, .note, .hint, footer { color: var(--muted); font-size: 12.5px; }
.note { margin: 8px 0 0; }
footer { margin-top: 20px; text-align: center; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin: 14px 0; }
.top { display: flex; justify-content: space-between; align-items: center; gap: 16px; }
.verdict { font-size: 26px; font-weight: 700; letter-spacing: 0.06em; color: #fff; border-radius: 8px;
  padding: 8px 20px; text-align: center; line-height: 1.1; }
.verdict small { display: block; font-size: 11px; font-weight: 500; letter-spacing: 0; opacity: 0.9; }
.verdict-pass { background: var(--green); }
.verdict-fail { background: var(--red); }
.failures { margin: 8px 0 0; padding: 8px 8px 8px 28px; border-left: 4px solid var(--red); background: #fff5f5; color: var(--red); }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; margin-top: 16px; }
.fact { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.fact-label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.fact-value { font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; }
.legend-key { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; margin-bottom: 6px; font-size: 12.5px; }
.key { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 18px; height: 12px; border: 1px solid var(--line); }
.line { display: inline-block; width: 3px; height: 14px; }
.hint { margin-left: auto; }
.chart { margin: 14px 0 4px; }
.chart figcaption { font-weight: 600; margin-bottom: 4px; }
.plot { width: 100%; }
.uplot { font-family: inherit; }
.u-legend { font-size: 12px; }
.overlay { position: absolute; inset: 0; pointer-events: none; }
.phase-band { position: absolute; top: 0; bottom: 0; pointer-events: auto; border-left: 1px solid rgba(0,0,0,0.06); }
.phase-band span { position: absolute; top: 2px; left: 4px; font-size: 11px; color: var(--muted); white-space: nowrap;
  overflow: hidden; max-width: calc(100% - 6px); }
.phase-steady { background: var(--steady); }
.phase-resizing { background: var(--resizing); }
.phase-waiting { background: var(--waiting); }
.phase-scaler-stopped { background: var(--stopped); }
.phase-load-only { background: transparent; }
.event-marker { position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px; pointer-events: auto; opacity: 0.75; }
.event-up { background: var(--green); }
.event-down { background: var(--red); }
.event-resize { background: #8250df; }
.event-loss { background: #ff0000; width: 3px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 5px 10px; text-align: right; white-space: nowrap; }
thead th { color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); }
thead th.group { text-align: center; border-bottom: 2px solid var(--line); }
tbody tr:nth-child(even) { background: #f8f9fa; }
tbody tr:hover { background: #eef4ff; }
.left { text-align: left; }
.tone-green { color: var(--green); font-weight: 600; }
.tone-red { color: var(--red); font-weight: 600; }
.tone-yellow { color: var(--yellow); }
.tone-cyan { color: var(--cyan); }
.tone-dim { color: var(--muted); }
.tone-bold { font-weight: 700; }
.two-col { display: grid; grid-template-columns: 1fr 1fr; gap: 0 14px; }
.two-col .card { margin: 14px 0 0; }
@media (max-width: 900px) { .two-col { grid-template-columns: 1fr; } }
ul.thresholds, ul.warnings { margin: 0; padding: 0; list-style: none; }
ul.thresholds li, ul.warnings li { padding: 4px 0; }
ul.warnings li::before { content: "⚠ "; color: var(--yellow); }
.badge { display: inline-block; min-width: 44px; margin-right: 10px; padding: 1px 6px; border-radius: 4px; text-align: center;
  font-size: 12px; border: 1px solid currentColor; }
details summary { cursor: pointer; color: var(--muted); }
table.settings { width: auto; margin-top: 8px; }
table.settings th, table.settings td { padding: 2px 12px 2px 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
`;
