// The single-file HTML report: charts, shaded phases, the summary tables and the verdict. Everything it needs
// is inlined (uPlot's JS and CSS are read from node_modules when rendering), so it opens offline and can be
// attached to a CI run as one artifact.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IntervalReport, RunSummary, TimelineEvent } from '../metrics/types.js';
import { buildChartData } from './chartData.js';
import { drawReport } from './htmlClient.js';
import { REPORT_CSS } from './htmlStyle.js';
import { buildSummaryModel, type Cell, type SummaryModel, type TableModel } from './summaryModel.js';

export interface HtmlReportInput {
  summary: RunSummary;
  intervals: readonly IntervalReport[];
  events: TimelineEvent[];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe for both element text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

/** JSON that cannot end its <script> element early or be read as markup, whatever strings it holds. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Inline script text must not contain "</script"; fail loudly rather than emit a broken page. */
function scriptText(source: string, origin: string): string {
  if (/<\/script/i.test(source)) throw new Error(`${origin} contains "</script" and cannot be inlined`);
  return source;
}

function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const read = (file: string): string => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  return { js: scriptText(read('uPlot.iife.min.js'), 'uPlot'), css: read('uPlot.min.css') };
}

/** An element holding a model cell; the cell's tone becomes a CSS class. */
function cellHtml(tag: string, cell: Cell, classes: string[] = []): string {
  const all = [...classes, ...(cell.tone ? [`tone-${cell.tone}`] : [])];
  const cls = all.length > 0 ? ` class="${all.join(' ')}"` : '';
  return `<${tag}${cls}>${escapeHtml(cell.text)}</${tag}>`;
}

function groupRow(table: TableModel): string {
  if (!table.columns.some((c) => c.group)) return '';
  const cells: string[] = [];
  for (let i = 0; i < table.columns.length; ) {
    const group = table.columns[i]!.group;
    let j = i + 1;
    while (group && j < table.columns.length && table.columns[j]!.group === group) j++;
    const span = j - i > 1 ? ` colspan="${j - i}"` : '';
    cells.push(group ? `<th${span} class="group">${escapeHtml(group)}</th>` : `<th${span}></th>`);
    i = j;
  }
  return `<tr>${cells.join('')}</tr>`;
}

function tableHtml(table: TableModel): string {
  const align = (i: number): string[] => (table.columns[i]!.align === 'left' ? ['left'] : []);
  const head = table.columns.map((c, i) => cellHtml('th', { text: c.header }, align(i))).join('');
  const body = table.rows
    .map((row) => `<tr>${row.map((cell, i) => cellHtml('td', cell, align(i))).join('')}</tr>`)
    .join('\n');
  return `<section class="card">
<h2>${escapeHtml(table.title)}</h2>
<div class="scroll"><table id="table-${escapeHtml(table.id)}">
<thead>${groupRow(table)}<tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table></div>
${table.note ? `<p class="note">${escapeHtml(table.note)}</p>` : ''}
</section>`;
}

function headerHtml(model: SummaryModel): string {
  const verdict = model.passed ? 'PASS' : 'FAIL';
  const facts = model.headline.map(
    (h) => `<div class="fact"><div class="fact-label">${escapeHtml(h.label)}</div>` +
      `${cellHtml('div', h.value, ['fact-value'])}</div>`,
  );
  return `<header class="top">
<div><h1>Resize test report</h1><div class="sub">${escapeHtml(model.title)}</div></div>
<div class="verdict verdict-${verdict.toLowerCase()}" id="verdict">
${verdict}<small>exit code ${model.exitCode}</small></div>
</header>
${model.failures.length > 0 ? `<ul class="failures" id="failures">${model.failures.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>` : ''}
<section class="facts">${facts.join('\n')}</section>`;
}

function chartsHtml(charts: { id: string; title: string }[]): string {
  const figures = charts.map(
    (c) => `<figure class="chart"><figcaption>${escapeHtml(c.title)}</figcaption>` +
      `<div class="plot" id="chart-${escapeHtml(c.id)}"></div></figure>`,
  );
  return `<section class="card charts">
<div class="legend-key">
<span class="key"><i class="swatch phase-steady"></i>steady</span>
<span class="key"><i class="swatch phase-resizing"></i>resizing</span>
<span class="key"><i class="swatch phase-waiting"></i>waiting</span>
<span class="key"><i class="line event-up"></i>node up / added</span>
<span class="key"><i class="line event-down"></i>node down / removed</span>
<span class="key"><i class="line event-resize"></i>resize submitted / completed</span>
<span class="key"><i class="line event-loss"></i>lost or corrupt row</span>
<span class="hint">times in UTC · hover a band or marker for details · drag to zoom, double-click to reset</span>
</div>
${figures.join('\n')}
</section>`;
}

function thresholdsHtml(model: SummaryModel): string {
  const items = model.thresholds.map((t) => {
    const badge = t.passed ? '<span class="badge tone-green">PASS</span>' : '<span class="badge tone-red">FAIL</span>';
    return `<li>${badge}${escapeHtml(t.text)}</li>`;
  });
  const verification = model.verification ? cellHtml('p', model.verification) : '<p>not run</p>';
  return `<div class="two-col">
<section class="card"><h2>Thresholds</h2>
<ul class="thresholds" id="thresholds">${items.length > 0 ? items.join('\n') : '<li>none set</li>'}</ul></section>
<section class="card"><h2>Verification sweep</h2><div id="verification">${verification}</div></section>
</div>`;
}

function warningsHtml(warnings: string[]): string {
  if (warnings.length === 0) return '';
  const items = warnings.map((w) => `<li>${escapeHtml(w)}</li>`);
  return `<section class="card"><h2>Warnings</h2><ul class="warnings">${items.join('\n')}</ul></section>`;
}

function settingsHtml(settings: Record<string, unknown>): string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
  const rows = Object.entries(settings).map(
    ([k, v]) => `<tr><th class="left">${escapeHtml(k)}</th><td class="left">${escapeHtml(text(v))}</td></tr>`,
  );
  return `<section class="card"><h2>Settings</h2>
<details><summary>${rows.length} settings (secrets redacted)</summary>
<table class="settings">${rows.join('\n')}</table></details></section>`;
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const { summary, intervals, events } = input;
  const model = buildSummaryModel(summary);
  const data = buildChartData(summary, intervals, events);
  const uplot = uplotAssets();
  const verdict = model.passed ? 'PASS' : 'FAIL';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${verdict} · ${model.title} · ${summary.startedAt}`)}</title>
<style>${uplot.css}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${headerHtml(model)}
${chartsHtml(data.charts)}
${model.tables.map(tableHtml).join('\n')}
${thresholdsHtml(model)}
${warningsHtml(model.warnings)}
${settingsHtml(summary.settings)}
<footer>Generated by ${escapeHtml(model.title)} · ${escapeHtml(summary.endedAt)}</footer>
</main>
<script type="application/json" id="data">${jsonForScript(data)}</script>
<script>${uplot.js}</script>
<script>${scriptText(`(${drawReport.toString()})();`, 'report script')}</script>
</body>
</html>
`;
}
