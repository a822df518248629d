// What the final summary says, decided once: the terminal table and the HTML report both render this model, so
// they cannot disagree about which numbers appear or how they are rounded.

import { phaseLabel } from '../phase.js';
import {
  ERROR_CLASSES,
  type ErrorClass,
  type ErrorCounts,
  type PhaseReport,
  type RunSummary,
  type ShardLine,
  type SpanStats,
} from '../metrics/types.js';
import {
  fmtChange,
  fmtClock,
  fmtCount,
  fmtDuration,
  fmtMs,
  fmtRate,
  fmtTimeRange,
  relativeChange,
  type Tone,
} from './format.js';
import { addErrorCounts, totalErrors } from '../metrics/span.js';
import { LOADER_CPU_LIMIT_PERCENT, LOADER_LOOP_LIMIT_MS } from '../metrics/loaderHealth.js';
import type { Column } from './textTable.js';

export interface Cell {
  text: string;
  tone?: Tone;
  /** A shorter form for narrow outputs (the terminal); `text` stays complete. */
  short?: string;
}

export interface TableModel {
  /** Stable name, used as the HTML table's id. */
  id: string;
  title: string;
  note?: string;
  columns: Column[];
  rows: Cell[][];
}

export interface SummaryModel {
  title: string;
  passed: boolean;
  exitCode: number;
  /** Why the run failed, the reason that set the exit code first; empty when it passed. */
  failures: string[];
  headline: { label: string; value: Cell }[];
  tables: TableModel[];
  verification: Cell | null;
  thresholds: { passed: boolean; text: string }[];
  warnings: string[];
}

// A change smaller than this is noise between intervals, not something to draw the eye to.
const NOTABLE_CHANGE = 0.1;
const MAX_LOSSES_LISTED = 10;

const c = (text: string, tone?: Tone): Cell => (tone ? { text, tone } : { text });
const countCell = (n: number, bad: Tone = 'red'): Cell => c(fmtCount(n), n > 0 ? bad : undefined);

function isPassed(summary: RunSummary): boolean {
  return summary.exitCode === 0 && summary.failures.length === 0;
}

function readsCell(s: SpanStats): Cell {
  // The loader falling short of its own schedule is a finding in itself, so it is highlighted.
  const short = s.reads.targetPerSec > 0 && s.reads.readsPerSec < s.reads.targetPerSec * 0.95;
  return c(`${fmtRate(s.reads.readsPerSec)}/${fmtRate(s.reads.targetPerSec)}`, short ? 'yellow' : undefined);
}

/** Written rows/s; with open-loop writes (one target for the whole run, named in the note) short of it is highlighted. */
function writesCell(s: SpanStats): Cell {
  const w = s.writes;
  return c(fmtRate(w.rowsPerSec), w.targetRowsPerSec > 0 && w.rowsPerSec < w.targetRowsPerSec * 0.95 ? 'yellow' : undefined);
}

function phaseCell(p: PhaseReport): Cell {
  // The request id is in the resizes table; without it the label fits a terminal column.
  const short = p.phase.kind === 'resizing' ? phaseLabel({ ...p.phase, requestId: null }) : p.label;
  return { text: p.label, short };
}

function throughputTable(phases: PhaseReport[]): TableModel {
  const target = Math.max(0, ...phases.map((p) => p.writes.targetRowsPerSec));
  const openLoop = target > 0;
  return {
    id: 'phases',
    title: 'Throughput and data per phase',
    ...(openLoop
      ? { note: `open-loop writes at ${fmtRate(target)} rows/s; behind: the most rows due and not yet sent at an interval end` }
      : {}),
    columns: [
      { header: 'phase', align: 'left' },
      { header: 'duration' },
      { header: 'rows/s', group: 'writes' },
      ...(openLoop ? [{ header: 'behind', group: 'writes' }] : []),
      { header: 'failed rows', group: 'writes' },
      { header: 'reads/s', group: 'reads' },
      { header: 'missing', group: 'reads' },
      { header: 'not yet visible', group: 'reads' },
      { header: 'corrupt', group: 'reads' },
      { header: 'busy', group: 'loader' },
      { header: 'loop p99', group: 'loader' },
    ],
    rows: phases.map((p) => [
      phaseCell(p),
      c(fmtDuration(p.durationMs)),
      writesCell(p),
      ...(openLoop ? [countCell(p.writes.behindRows, 'yellow')] : []),
      countCell(p.writes.failedRows),
      readsCell(p),
      countCell(p.reads.missing),
      countCell(p.reads.notYetVisible, 'yellow'),
      countCell(p.reads.corrupt),
      c(`${p.loader.busiestThreadPercent.toFixed(0)}%`, p.loader.busiestThreadPercent >= LOADER_CPU_LIMIT_PERCENT ? 'red' : undefined),
      c(fmtMs(p.loader.eventLoopDelayP99Ms), p.loader.eventLoopDelayP99Ms >= LOADER_LOOP_LIMIT_MS ? 'red' : undefined),
    ]),
  };
}

/** One column per error class that occurred at all, so a clean run shows no error columns. */
function errorsTable(phases: PhaseReport[]): TableModel | null {
  const seen = (pick: (p: PhaseReport) => ErrorCounts): ErrorClass[] =>
    ERROR_CLASSES.filter((k) => phases.some((p) => pick(p)[k] > 0));
  const writeClasses = seen((p) => p.writes.retriedErrors);
  const readClasses = seen((p) => p.reads.errors);
  if (writeClasses.length + readClasses.length === 0) return null;
  return {
    id: 'errors',
    title: 'Errors per phase by class',
    note: 'write errors were retried; rows of batches that failed for good are counted as failed rows above',
    columns: [
      { header: 'phase', align: 'left' },
      ...writeClasses.map((k) => ({ header: k, group: 'write errors' })),
      ...readClasses.map((k) => ({ header: k, group: 'read errors' })),
    ],
    rows: phases.map((p) => [
      phaseCell(p),
      ...writeClasses.map((k) => countCell(p.writes.retriedErrors[k], 'yellow')),
      ...readClasses.map((k) => countCell(p.reads.errors[k], 'yellow')),
    ]),
  };
}

function latencyTable(phases: PhaseReport[]): TableModel {
  return {
    id: 'latency',
    title: 'Latency per phase',
    note: phases.some((p) => p.writes.targetRowsPerSec > 0)
      ? 'read and (open-loop) write latency count from the intended start (so they include stalls); service time from the send'
      : 'read response time counts from the intended start (so it includes stalls); service time from the actual send',
    columns: [
      { header: 'phase', align: 'left' },
      { header: 'p50', group: 'write row latency' },
      { header: 'p90', group: 'write row latency' },
      { header: 'p99', group: 'write row latency' },
      { header: 'p99.9', group: 'write row latency' },
      { header: 'max', group: 'write row latency' },
      { header: 'p50', group: 'read response' },
      { header: 'p99', group: 'read response' },
      { header: 'p99.9', group: 'read response' },
      { header: 'p99', group: 'service' },
    ],
    rows: phases.map((p) => {
      const w = p.writes.rowLatency;
      const r = p.reads.responseLatency;
      return [
        phaseCell(p),
        ...[w.p50, w.p90, w.p99, w.p999, w.max, r.p50, r.p99, r.p999, p.reads.serviceLatency.p99].map((v) =>
          c(fmtMs(v)),
        ),
      ];
    }),
  };
}

function changeCell(value: number, baseline: number | undefined, worseWhen: 'up' | 'down'): Cell {
  if (baseline === undefined) return c('–');
  const change = relativeChange(value, baseline);
  const worse = change !== null && (worseWhen === 'up' ? change > NOTABLE_CHANGE : change < -NOTABLE_CHANGE);
  return c(fmtChange(value, baseline), worse ? 'yellow' : undefined);
}

function byKeyTable(summary: RunSummary): TableModel {
  const baseline = summary.phases.find((p) => p.index === summary.baselineIndex);
  return {
    id: 'by-kind',
    title: 'Per phase kind, all cycles merged',
    note: baseline
      ? `change is against the baseline: ${baseline.phase.kind === 'steady' ? 'the first steady phase' : 'the first phase with writes'} (${baseline.label})`
      : 'no phase with writes long enough to judge, so there is no baseline to compare against',
    columns: [
      { header: 'phase kind', align: 'left' },
      { header: 'times' },
      { header: 'duration' },
      { header: 'rows/s', group: 'writes' },
      { header: 'change', group: 'writes' },
      { header: 'p99', group: 'writes' },
      { header: 'change', group: 'writes' },
      { header: 'reads/s', group: 'reads' },
      { header: 'p99', group: 'reads' },
      { header: 'errors' },
      { header: 'missing' },
      { header: 'corrupt' },
    ],
    rows: summary.byPhaseKey.map((k) => [
      c(k.key),
      c(fmtCount(k.occurrences)),
      c(fmtDuration(k.durationMs)),
      writesCell(k),
      changeCell(k.writes.rowsPerSec, baseline?.writes.rowsPerSec, 'down'),
      c(fmtMs(k.writes.rowLatency.p99)),
      changeCell(k.writes.rowLatency.p99, baseline?.writes.rowLatency.p99, 'up'),
      readsCell(k),
      c(fmtMs(k.reads.responseLatency.p99)),
      countCell(totalErrors(addErrorCounts(k.writes.retriedErrors, k.reads.errors)), 'yellow'),
      countCell(k.reads.missing),
      countCell(k.reads.corrupt),
    ]),
  };
}

function resizesTable(summary: RunSummary): TableModel {
  const outcomeTone = { completed: 'green', failed: 'red', unfinished: 'yellow' } as const;
  return {
    id: 'resizes',
    title: 'Resizes',
    columns: [
      { header: 'cycle' },
      { header: 'nodes', align: 'left' },
      { header: 'request', align: 'left' },
      { header: 'started', align: 'left' },
      { header: 'duration' },
      { header: 'outcome', align: 'left' },
    ],
    rows: summary.resizes.map((r) => [
      c(String(r.cycle)),
      c(`${r.from}→${r.to}`),
      c(r.requestId ?? '–'),
      c(fmtClock(r.startMs)),
      c(fmtDuration(r.durationMs)),
      c(r.outcome, outcomeTone[r.outcome]),
    ]),
  };
}

/** A merged run: each shard's own figures beside the merged ones, so one shard that fell short shows. */
function shardsTable(shards: ShardLine[]): TableModel {
  return {
    id: 'shards',
    title: 'Shards',
    columns: [
      { header: 'shard', align: 'left' },
      { header: 'rows' },
      { header: 'rows/s' },
      { header: 'reads' },
      { header: 'lost' },
      { header: 'verification', align: 'left' },
      { header: 'exit' },
      { header: 'folder', align: 'left' },
    ],
    rows: shards.map((s) => [
      c(`${s.shard}${s.drivesScaler ? ' (scaler)' : ''}`),
      c(fmtCount(s.rows)),
      c(fmtRate(s.rowsPerSec)),
      c(fmtCount(s.reads)),
      c(fmtCount(s.lostRows), s.lostRows > 0 ? 'red' : undefined),
      c(s.verification ? `${fmtCount(s.verification.checked)} checked, ${fmtCount(s.verification.missing + s.verification.corrupt)} bad` : 'not run'),
      c(String(s.exitCode), s.exitCode === 0 ? 'green' : 'red'),
      c(s.dir),
    ]),
  };
}

function lossesTable(summary: RunSummary): TableModel {
  const shown = summary.losses.slice(0, MAX_LOSSES_LISTED);
  const more = summary.losses.length - shown.length;
  return {
    id: 'losses',
    title: 'Lost or corrupt rows',
    ...(more > 0
      ? { note: `first ${shown.length} of ${fmtCount(summary.losses.length)}; all are in summary.json` }
      : {}),
    columns: [
      { header: 'id', align: 'left' },
      { header: 'kind', align: 'left' },
      { header: 'phase', align: 'left' },
      { header: 'found by', align: 'left' },
      { header: 'at', align: 'left' },
    ],
    rows: shown.map((l) => [c(l.id), c(l.kind, 'red'), c(l.phase), c(l.detectedBy), c(fmtClock(l.at))]),
  };
}

function verificationCell(summary: RunSummary): Cell | null {
  const v = summary.verification;
  if (!v) return null;
  const scope = v.sampled
    ? `a sample of ${fmtCount(v.checked)} of ${fmtCount(v.acknowledged)} acknowledged rows`
    : `${fmtCount(v.checked)} of ${fmtCount(v.acknowledged)} acknowledged rows`;
  const clean = v.missing === 0 && v.corrupt === 0 && v.errors === 0;
  return c(
    `${clean ? 'OK' : 'PROBLEMS'}: read back ${scope} in ${fmtDuration(v.durationMs)}; ` +
      `missing ${fmtCount(v.missing)}, corrupt ${fmtCount(v.corrupt)}, read errors ${fmtCount(v.errors)}`,
    clean ? 'green' : 'red',
  );
}

function rowsWrittenCell(o: SpanStats): Cell {
  const w = o.writes;
  if (w.targetRowsPerSec <= 0) return c(`${fmtCount(w.rows)} (${fmtRate(w.rowsPerSec)}/s during load)`);
  return c(
    `${fmtCount(w.rows)} of ${fmtCount(w.rowsDue)} due (${fmtRate(w.rowsPerSec)}/s of ${fmtRate(w.targetRowsPerSec)}/s target, open-loop)` +
      (w.behindRows > 0 ? `; up to ${fmtCount(w.behindRows)} rows behind` : ''),
    w.rowsPerSec < w.targetRowsPerSec * 0.95 ? 'yellow' : undefined,
  );
}

export function buildSummaryModel(summary: RunSummary): SummaryModel {
  const o = summary.overall;
  const passed = isPassed(summary);
  const errors = errorsTable(summary.phases);
  const tables = [throughputTable(summary.phases), ...(errors ? [errors] : []), latencyTable(summary.phases)];
  tables.push(byKeyTable(summary));
  if (summary.resizes.length > 0) tables.push(resizesTable(summary));
  if (summary.losses.length > 0) tables.push(lossesTable(summary));
  if (summary.shards && summary.shards.length > 0) tables.push(shardsTable(summary.shards));
  return {
    title: `${summary.tool.name} ${summary.tool.version}`,
    passed,
    exitCode: summary.exitCode,
    failures: summary.failures.map((f) => f.message),
    headline: [
      {
        label: 'run',
        // The run also drains and reads rows back; rates below are per second of load, so both times are shown.
        value: c(
          `${fmtTimeRange(summary.startedAt, summary.endedAt)} ` +
            `(${fmtDuration(Date.parse(summary.endedAt) - Date.parse(summary.startedAt))}, of which load ${fmtDuration(o.durationMs)})`,
        ),
      },
      { label: 'rows written', value: rowsWrittenCell(o) },
      {
        label: 'reads',
        value: c(
          `${fmtCount(o.reads.completed)} of ${fmtCount(o.reads.scheduled)} scheduled ` +
            `(${fmtRate(o.reads.readsPerSec)}/s of ${fmtRate(o.reads.targetPerSec)}/s target)`,
        ),
      },
      {
        label: 'loader',
        value: c(
          `cpu ${o.loader.cpuPercent.toFixed(0)}% of a core avg, busiest thread ${o.loader.busiestThreadPercent.toFixed(0)}%, ` +
            `worst loop p99 ${fmtMs(o.loader.eventLoopDelayP99Ms)}, peak rss ${o.loader.rssMb.toFixed(0)} MB (heap ${o.loader.heapMb.toFixed(0)} MB)`,
          o.loader.busiestThreadPercent >= LOADER_CPU_LIMIT_PERCENT ? 'red' : undefined,
        ),
      },
    ],
    tables,
    verification: verificationCell(summary),
    thresholds: summary.thresholds.map((t) => ({
      passed: t.passed,
      text: `${t.name} [${t.scope}]: ${t.actual} (limit ${t.limit})`,
    })),
    warnings: summary.warnings,
  };
}
