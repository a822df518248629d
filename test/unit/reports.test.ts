import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtChange, fmtCount, fmtDuration, fmtMs, fmtRate, visibleWidth } from '../../src/report/format.js';
import { escapeHtml, jsonForScript, renderHtmlReport } from '../../src/report/html.js';
import { NdjsonWriter, readNdjson } from '../../src/report/ndjson.js';
import { renderStatusLine } from '../../src/report/statusLine.js';
import { renderSummaryTable } from '../../src/report/summaryTable.js';
import { writeRunReports } from '../../src/report/writeReports.js';
import { buildSampleRun } from '../fixtures/sampleRun.js';
import { ERROR_COLORS } from '../../src/report/chartData.js';
import { ERROR_CLASSES } from '../../src/metrics/types.js';

const ANSI = /\u001b\[/;

test('format helpers pick precision by magnitude', () => {
  assert.equal(fmtMs(0.5), '0.50ms');
  assert.equal(fmtMs(12.34), '12.3ms');
  assert.equal(fmtMs(250.4), '250ms');
  assert.equal(fmtMs(12_345), '12.3s');
  assert.equal(fmtCount(1234567), '1,234,567');
  assert.equal(fmtRate(7.25), '7.3');
  assert.equal(fmtRate(12345.6), '12,346');
  assert.equal(fmtDuration(412_000), '6m 52s');
  assert.equal(fmtDuration(3_780_000), '1h 03m');
  assert.equal(fmtDuration(null), '–');
  assert.equal(fmtChange(80, 100), '−20.0%');
  assert.equal(fmtChange(1, 0), '–');
});

test('summary table has a row for each phase in every per-phase table, with aligned columns', () => {
  const { summary } = buildSampleRun();
  const text = renderSummaryTable(summary, { color: false });
  const lines = text.split('\n');
  for (const title of ['Throughput and data per phase', 'Errors per phase by class', 'Latency per phase']) {
    const start = lines.indexOf(title);
    assert.ok(start >= 0, `section ${title}`);
    const rule = lines.findIndex((l, i) => i > start && l.startsWith('──'));
    const rows = lines.slice(rule + 1, rule + 1 + summary.phases.length);
    summary.phases.forEach((p, i) => assert.ok(rows[i]!.startsWith(p.label.split(' (')[0]!), `${title}: ${p.label}`));
    // Right-aligned numbers end in the same column on every row, so every row is as long as the rule.
    const ruleWidth = visibleWidth(lines[rule]!);
    for (const row of rows) assert.equal(visibleWidth(row), ruleWidth, `${title}: "${row}"`);
  }
  for (const key of summary.byPhaseKey.map((k) => k.key)) assert.match(text, new RegExp(`^${key} `, 'm'));
  assert.match(text, /FAIL {2}write p99 during resize/);
  assert.match(text, /verdict +FAIL \(exit code 3\)/);
  assert.match(text, /OK: read back/);
  for (const line of lines) assert.ok(visibleWidth(line) <= 120, `fits 120 columns: "${line}"`);
});

test('summary table uses ANSI colour only when asked', () => {
  const { summary } = buildSampleRun();
  assert.doesNotMatch(renderSummaryTable(summary, { color: false }), ANSI);
  assert.match(renderSummaryTable(summary, { color: true }), ANSI);
});

test('baseline change is measured against the first steady phase', () => {
  const { summary } = buildSampleRun();
  const text = renderSummaryTable(summary, { color: false });
  const base = summary.phases[0]!.writes.rowsPerSec;
  const grow = summary.byPhaseKey.find((k) => k.key === 'resize 1→2')!;
  const row = text.split('\n').find((l) => l.startsWith('resize 1→2 '))!;
  assert.ok(row.includes(fmtChange(grow.writes.rowsPerSec, base)), row);
});

test('status line shows phase, rates, latencies, nonzero errors, loader and scaler state', () => {
  const { intervals } = buildSampleRun();
  const calm = intervals[0]!;
  const line = renderStatusLine(calm, 'holding 30s', { color: false });
  assert.match(line, /^cycle 1 · steady@1 · writes [\d,]+ rows\/s in-flight \d+\/64 p50 [\d.]+ms p99 [\d.]+ms/);
  assert.match(line, /reads 500 of 500\/s p50 [\d.]+ms p99 [\d.]+ms/);
  assert.match(line, /loader cpu \d+% busiest thread \d+% loop p99 [\d.]+ms rss \d+MB · scaler holding 30s$/);
  assert.doesNotMatch(line, /errors|missing|corrupt/);
  assert.doesNotMatch(line, ANSI);

  const stressed = intervals.find((iv) => iv.writes.retriedErrors.busy > 0 && iv.reads.errors.timeout > 0)!;
  const bad = { ...stressed, reads: { ...stressed.reads, missing: 2, corrupt: 1 } };
  const line2 = renderStatusLine(bad, 'polling', { color: true });
  assert.match(line2, /request 4711/);
  assert.match(line2, new RegExp(`write errors busy ${stressed.writes.retriedErrors.busy}`));
  assert.doesNotMatch(line2, /unavailable|bootstrapping/);
  assert.match(line2, /read errors timeout \d+/);
  assert.match(line2, /missing 2 corrupt 1/);
  assert.match(line2, ANSI);

  const stopped = renderStatusLine({ ...calm, phase: { kind: 'scaler-stopped', cycle: 1, nodes: 2, reason: 'Cloud API error tls' } }, 'stopped: fatal', { color: true });
  assert.ok(stopped.startsWith('\x1b[31mcycle 1 · scaler stopped: Cloud API error tls'), JSON.stringify(stopped.slice(0, 60)));
});

test('open-loop writes: the status line shows rows/s of the target and the rows behind only when there are any', () => {
  const { intervals } = buildSampleRun();
  const iv = intervals[0]!;
  const onTime = { ...iv, writes: { ...iv.writes, rowsPerSec: 9_990, targetRowsPerSec: 10_000, rowsDue: 50_000, rowsSent: 50_000, behindRows: 0 } };
  const line = renderStatusLine(onTime, 'holding 30s', { color: false });
  assert.match(line, /writes 9,990 of 10,000 rows\/s in-flight/);
  assert.doesNotMatch(line, /behind/);
  const stalled = { ...onTime, writes: { ...onTime.writes, rowsPerSec: 1_200, behindRows: 25_000 } };
  assert.match(renderStatusLine(stalled, 'polling', { color: false }), /writes behind 25,000 rows \(3s\)/);
  assert.doesNotMatch(renderStatusLine(iv, 'polling', { color: false }), / of [\d,]+ rows\/s|behind/, 'closed loop: no target, no backlog');
});

test('open-loop writes: the summary names the target and shows the rows behind per phase and the rows due', () => {
  const { summary } = buildSampleRun();
  const open = <T extends { writes: typeof summary.overall.writes }>(s: T, behindRows: number): T => ({
    ...s,
    writes: { ...s.writes, targetRowsPerSec: 2 * s.writes.rowsPerSec, rowsDue: 2 * s.writes.rows, rowsSent: s.writes.rows, behindRows },
  });
  const openSummary = { ...summary, overall: open(summary.overall, 4321), phases: summary.phases.map((p, i) => open(p, i * 1000)), byPhaseKey: summary.byPhaseKey.map((k) => open(k, 0)) };
  const text = renderSummaryTable(openSummary, { color: false });
  const lines = text.split('\n');
  const start = lines.indexOf('Throughput and data per phase');
  assert.match(lines[start + 2]!, /rows\/s  behind  failed rows/);
  const rule = lines.findIndex((l, i) => i > start && l.startsWith('──'));
  const last = openSummary.phases.length - 1;
  assert.match(lines[rule + 1 + last]!, new RegExp(` ${fmtRate(openSummary.phases[last]!.writes.rowsPerSec)} +${fmtCount(last * 1000)} `));
  const target = Math.max(...openSummary.phases.map((p) => p.writes.targetRowsPerSec));
  assert.ok(lines.includes(`open-loop writes at ${fmtRate(target)} rows/s; behind: the most rows due and not yet sent at an interval end`));
  assert.match(text, new RegExp(`rows written +${fmtCount(summary.overall.writes.rows)} of ${fmtCount(2 * summary.overall.writes.rows)} due .*open-loop\\); up to 4,321 rows behind`));
  for (const line of lines) assert.ok(visibleWidth(line) <= 120, `fits 120 columns: "${line}"`);
  assert.doesNotMatch(renderSummaryTable(summary, { color: false }), /behind|due \(/, 'closed loop: no schedule figures');
});

test('NDJSON writer appends one object per line and reads back in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ndjson-'));
  try {
    const path = join(dir, 'timeline.ndjson');
    const w = new NdjsonWriter(path);
    const records = Array.from({ length: 5000 }, (_, i) => ({ type: 'interval', at: i, text: `line\n${i} "q"` }));
    for (const r of records) w.write(r);
    await w.close();
    assert.equal((await readFile(path, 'utf8')).split('\n').length, records.length + 1);
    assert.deepEqual(await readNdjson(path), records);
    // A second writer appends rather than truncating an earlier timeline.
    const w2 = new NdjsonWriter(path);
    w2.write({ type: 'run-end', at: 9 });
    await w2.close();
    assert.equal((await readNdjson(path)).length, records.length + 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('HTML report escapes labels and settings, and embedded JSON cannot close its script', () => {
  const run = buildSampleRun();
  const evil = '</script><img src=x onerror=alert(1)>&"\'';
  run.summary.phases[0]!.label = evil;
  run.summary.phases[0]!.key = evil;
  run.summary.warnings.push(evil);
  run.summary.settings['EVIL'] = evil;
  const html = renderHtmlReport(run);
  assert.ok(!html.includes('<img src=x'), 'raw markup from data must not appear');
  assert.ok(html.includes(escapeHtml(evil)));
  const dataBlock = /<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html)![1]!;
  assert.ok(!dataBlock.includes('<'));
  assert.equal(JSON.parse(dataBlock).phases[0].label, evil);
  assert.equal(jsonForScript('\u2028<'), '"\\u2028\\u003c"');
  assert.equal((html.match(/<\/script>/g) ?? []).length, 3, 'only the three script elements close');
});

test('HTML report loads nothing from the network', () => {
  const html = renderHtmlReport(buildSampleRun());
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  assert.doesNotMatch(html, /@import|url\(\s*["']?(https?:)?\/\//i);
  assert.match(html, /<script type="application\/json" id="data">/);
  assert.match(html, /var uPlot=/, 'uPlot is inlined');
});

test('writeRunReports writes summary.json and report.html into a new folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reports-'));
  try {
    const run = buildSampleRun();
    const out = await writeRunReports(join(dir, 'nested', 'run-1'), run);
    assert.deepEqual(JSON.parse(await readFile(out.summaryJson, 'utf8')), run.summary);
    assert.match(await readFile(out.html, 'utf8'), /^<!doctype html>/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('every reason the run failed is listed under the verdict in the terminal and the HTML report', () => {
  const run = buildSampleRun();
  run.summary.exitCode = 6;
  run.summary.failures = [
    { kind: 'run-incomplete', id: 'scaler-fatal', message: 'the scaler stopped on an error it could not get past: <unauthorized>', exitCode: 6 },
    { kind: 'threshold', id: 'write-p99', message: 'write p99 during resize 61.2ms (limit ≤ 50ms) in resize 1→2', exitCode: 3 },
  ];
  const lines = renderSummaryTable(run.summary, { color: false }).split('\n');
  const at = lines.findIndex((l) => /^verdict\s+FAIL \(exit code 6\)$/.test(l));
  assert.ok(at >= 0, lines.slice(0, 12).join('\n'));
  assert.match(lines[at + 1]!, /^\s+✗ the scaler stopped on an error it could not get past: <unauthorized>$/);
  assert.match(lines[at + 2]!, /^\s+✗ write p99 during resize/);
  const html = renderHtmlReport(run);
  assert.match(html, /<ul class="failures" id="failures"><li>the scaler stopped on an error it could not get past: &lt;unauthorized&gt;<\/li><li>write p99/);
  // a passing run shows no failure list, and a non-zero exit code alone is never shown as PASS
  const passing = buildSampleRun();
  passing.summary.exitCode = 0;
  passing.summary.failures = [];
  passing.summary.thresholds = passing.summary.thresholds.map((t) => ({ ...t, passed: true }));
  assert.doesNotMatch(renderHtmlReport(passing), /id="failures"/);
  assert.match(renderSummaryTable(passing.summary, { color: false }), /verdict\s+PASS \(exit code 0\)/);
});

test('the change column compares against the baseline phase the summary names, the same one the throughput threshold uses', () => {
  const { summary } = buildSampleRun();
  const later = summary.phases.find((p) => p.index > 0 && p.phase.kind === 'steady')!;
  summary.baselineIndex = later.index;
  const text = renderSummaryTable(summary, { color: false });
  const grow = summary.byPhaseKey.find((k) => k.key === 'resize 1→2')!;
  const row = text.split('\n').find((l) => l.startsWith('resize 1→2 '))!;
  assert.ok(row.includes(fmtChange(grow.writes.rowsPerSec, later.writes.rowsPerSec)), row);
  assert.ok(text.includes(`(${later.label})`), 'the note names that phase');
  summary.baselineIndex = null;
  assert.match(renderSummaryTable(summary, { color: false }), /no baseline to compare against/);
});

test('every error class has its own chart colour', () => {
  const colours = ERROR_CLASSES.map((k) => ERROR_COLORS[k]);
  for (const [i, colour] of colours.entries()) assert.match(colour ?? '', /^#[0-9a-f]{6}$/i, `no colour for ${ERROR_CLASSES[i]}`);
  assert.equal(new Set(colours).size, colours.length, 'two classes share a colour');
});

test('the headline shows the whole run and the time of load the rates are over', () => {
  const { summary } = buildSampleRun();
  const start = Date.parse(summary.startedAt);
  summary.endedAt = new Date(start + summary.overall.durationMs + 113_000).toISOString();
  const text = renderSummaryTable(summary, { color: false });
  const run = text.split('\n').find((l) => l.startsWith('run '))!;
  assert.ok(run.includes(`(${fmtDuration(summary.overall.durationMs + 113_000)}, of which load ${fmtDuration(summary.overall.durationMs)})`), run);
  const rows = text.split('\n').find((l) => l.startsWith('rows written '))!;
  assert.ok(rows.includes(`(${fmtRate(summary.overall.writes.rowsPerSec)}/s during load)`), rows);
});
