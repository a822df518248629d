// `compare BASE_RUN NEW_RUN`: the change between two runs per phase kind (steady@N, resize A→B), and whether a
// change passes a tolerance the user set, so a pipeline can gate on it.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { totalErrors } from '../metrics/span.js';
import type { RunSummary, SpanStats } from '../metrics/types.js';
import { fmtChange, fmtDuration, fmtMs, fmtRate, paint, relativeChange } from './format.js';
import { renderTextTable } from './textTable.js';

/** Bad input to compare: a one-line message naming the argument. */
export class CompareInputError extends Error {}

/** Largest allowed worsening per phase kind, in percent of the base run's figure; undefined means not gated. */
export interface CompareTolerances {
  maxThroughputDropPct?: number;
  maxP99RisePct?: number;
  maxResizeTimeRisePct?: number;
}

interface Figures {
  rowsPerSec: number;
  writeP50: number;
  writeP99: number;
  readP50: number;
  readP99: number;
  errors: number;
  requests: number;
  /** Mean of the completed resizes of this kind, ms; null for a steady phase or when none completed. */
  resizeMs: number | null;
}

export interface Breach {
  key: string;
  measure: string;
  /** The flag that set the tolerance. */
  flag: string;
  /** Relative change of the figure, in percent (positive = rose). */
  changePct: number;
  limitPct: number;
}

export interface Comparison {
  rows: { key: string; base: Figures | null; next: Figures | null }[];
  breaches: Breach[];
}

/** Reads a run folder's summary.json; `what` names the argument in errors (BASE_RUN, NEW_RUN). */
export function readRunSummary(what: string, dir: string): RunSummary {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CompareInputError(`${what} ${dir}: no such folder`);
  const file = join(dir, 'summary.json');
  if (!existsSync(file)) throw new CompareInputError(`${what} ${dir}: not a run folder (no summary.json)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CompareInputError(`${what} ${file}: not valid JSON`);
  }
  const s = parsed as Partial<RunSummary> | null;
  if (!s || !Array.isArray(s.byPhaseKey) || !Array.isArray(s.resizes) || s.tool?.name !== 'scylla-resize-test') {
    throw new CompareInputError(`${what} ${file}: not a scylla-resize-test summary`);
  }
  return s as RunSummary;
}

function figures(span: SpanStats, resizeDurations: number[]): Figures {
  const w = span.writes;
  const r = span.reads;
  const errors = totalErrors(w.retriedErrors) + totalErrors(r.errors);
  return {
    rowsPerSec: w.rowsPerSec,
    writeP50: w.batchLatency.p50,
    writeP99: w.batchLatency.p99,
    readP50: r.responseLatency.p50,
    readP99: r.responseLatency.p99,
    errors,
    requests: w.batches + w.failedBatches + r.completed + totalErrors(r.errors),
    resizeMs: resizeDurations.length > 0 ? resizeDurations.reduce((a, b) => a + b, 0) / resizeDurations.length : null,
  };
}

function byKey(s: RunSummary): Map<string, Figures> {
  const durations = new Map<string, number[]>();
  for (const r of s.resizes) {
    if (r.outcome !== 'completed' || r.durationMs === null) continue;
    const key = `resize ${r.from}→${r.to}`;
    durations.set(key, [...(durations.get(key) ?? []), r.durationMs]);
  }
  // "waiting" is the scaler waiting for health, not a phase to compare.
  return new Map(s.byPhaseKey.filter((p) => p.key !== 'waiting').map((p) => [p.key, figures(p, durations.get(p.key) ?? [])]));
}

export function compareRuns(base: RunSummary, next: RunSummary, tol: CompareTolerances): Comparison {
  const a = byKey(base);
  const b = byKey(next);
  const keys = [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
  if (!keys.some((k) => a.has(k) && b.has(k))) {
    throw new CompareInputError(`no phase kind in common: BASE_RUN has ${[...a.keys()].join(', ') || 'none'}; NEW_RUN has ${[...b.keys()].join(', ') || 'none'}`);
  }
  const breaches: Breach[] = [];
  // A drop is a worsening of throughput (worse = -1), a rise of latency and resize time (worse = 1).
  const gate = (key: string, measure: string, was: number | null, now: number | null, flag: string, limitPct: number | undefined, worse: 1 | -1): void => {
    if (limitPct === undefined || was === null || now === null) return;
    const change = relativeChange(now, was);
    if (change === null) return;
    if (change * worse * 100 > limitPct) breaches.push({ key, measure, flag, changePct: change * 100, limitPct });
  };
  for (const key of keys) {
    const x = a.get(key);
    const y = b.get(key);
    if (!x || !y) continue;
    gate(key, 'rows/s', x.rowsPerSec, y.rowsPerSec, '--max-throughput-drop', tol.maxThroughputDropPct, -1);
    gate(key, 'write p99', x.writeP99, y.writeP99, '--max-p99-rise', tol.maxP99RisePct, 1);
    gate(key, 'read p99', x.readP99, y.readP99, '--max-p99-rise', tol.maxP99RisePct, 1);
    gate(key, 'resize time', x.resizeMs, y.resizeMs, '--max-resize-time-rise', tol.maxResizeTimeRisePct, 1);
  }
  return { rows: keys.map((key) => ({ key, base: a.get(key) ?? null, next: b.get(key) ?? null })), breaches };
}

function errorCell(f: Figures): string {
  return `${f.errors}${f.requests > 0 ? ` (${((f.errors / f.requests) * 100).toFixed(2)}%)` : ''}`;
}

/** The comparison as a terminal table, then one line per tolerance passed (or that none was). */
export function renderComparison(c: Comparison, names: { base: string; next: string }, color: boolean): string {
  const measures: { name: string; cell: (f: Figures) => string; value: (f: Figures) => number | null }[] = [
    { name: 'rows/s', cell: (f) => fmtRate(f.rowsPerSec), value: (f) => f.rowsPerSec },
    { name: 'write p50', cell: (f) => fmtMs(f.writeP50), value: (f) => f.writeP50 },
    { name: 'write p99', cell: (f) => fmtMs(f.writeP99), value: (f) => f.writeP99 },
    { name: 'read p50', cell: (f) => fmtMs(f.readP50), value: (f) => f.readP50 },
    { name: 'read p99', cell: (f) => fmtMs(f.readP99), value: (f) => f.readP99 },
    { name: 'errors', cell: errorCell, value: (f) => f.errors },
    { name: 'resize time', cell: (f) => fmtDuration(f.resizeMs), value: (f) => f.resizeMs },
  ];
  const rows: string[][] = [];
  for (const { key, base, next } of c.rows) {
    if (!base || !next) {
      rows.push([key, `only in ${base ? 'base' : 'new'} run`, '', '', '', '']);
      continue;
    }
    let first = true;
    for (const m of measures) {
      if (m.name === 'resize time' && base.resizeMs === null && next.resizeMs === null) continue;
      const breach = c.breaches.find((b) => b.key === key && b.measure === m.name);
      const was = m.value(base);
      const now = m.value(next);
      rows.push([
        first ? key : '',
        m.name,
        m.cell(base),
        m.cell(next),
        was === null || now === null ? '–' : fmtChange(now, was),
        breach ? paint(`FAIL (limit ${breach.limitPct}%)`, 'red', color) : '',
      ]);
      first = false;
    }
  }
  const table = renderTextTable(
    [
      { header: 'phase', align: 'left' },
      { header: 'measure', align: 'left' },
      { header: names.base },
      { header: names.next },
      { header: 'change' },
      { header: '', align: 'left' },
    ],
    rows,
  );
  const verdict =
    c.breaches.length === 0
      ? paint('compare: every change is within the tolerances', 'green', color)
      : c.breaches
          .map((b) => paint(`compare: ${b.key} ${b.measure} ${b.changePct > 0 ? '+' : '−'}${Math.abs(b.changePct).toFixed(1)}% is beyond ${b.flag} ${b.limitPct}`, 'red', color))
          .join('\n');
  return `${table.join('\n')}\n${verdict}`;
}
