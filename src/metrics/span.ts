import { LatencyHistogram, type HistogramWire } from './histograms.js';
import { ERROR_CLASSES, type ErrorCounts, type SpanStats } from './types.js';

export function zeroErrors(): ErrorCounts {
  return Object.fromEntries(ERROR_CLASSES.map((c) => [c, 0])) as ErrorCounts;
}

/** Sum of several error-count records, e.g. write retries plus read errors. */
export function addErrorCounts(...all: ErrorCounts[]): ErrorCounts {
  const out = zeroErrors();
  for (const counts of all) for (const c of ERROR_CLASSES) out[c] += counts[c] ?? 0;
  return out;
}

export function totalErrors(c: ErrorCounts): number {
  let n = 0;
  for (const k of ERROR_CLASSES) n += c[k];
  return n;
}

export interface LoaderSample {
  /** The process's CPU, all threads together, in % of one core. */
  cpuPercent: number;
  /** The busiest thread's event-loop utilisation in %: a loop near 100% is the limit whatever the other cores do. */
  busiestThreadPercent: number;
  eventLoopDelayP99Ms: number;
  rssMb: number;
  heapMb: number;
}

/** SpanAccumulator.toWire()'s shape: plain data, histograms as HistogramWire. */
export type SpanWire = Record<string, unknown>;

/** Counts and histograms of one span of time; spans merge, so intervals add up to phases and the run. */
export class SpanAccumulator {
  batches = 0;
  rows = 0;
  readonly retriedErrors = zeroErrors();
  failedBatches = 0;
  failedRows = 0;
  readonly batchLatency = new LatencyHistogram();
  readonly rowLatency = new LatencyHistogram();
  readonly writeServiceLatency = new LatencyHistogram();
  rowsDue = 0;
  rowsSent = 0;
  behindRows = 0;
  /** Rows-per-second write target weighted by time, over the time the write schedule ran (writeScheduledMs). */
  writeTargetTimesMs = 0;
  writeScheduledMs = 0;
  readsScheduled = 0;
  readsCompleted = 0;
  readonly readErrors = zeroErrors();
  readonly responseLatency = new LatencyHistogram();
  readonly serviceLatency = new LatencyHistogram();
  missing = 0;
  notYetVisible = 0;
  corrupt = 0;
  /** Reads-per-second target weighted by time, to report the target of spans where reading started late. */
  targetRateTimesMs = 0;
  loader: LoaderSample = { cpuPercent: 0, busiestThreadPercent: 0, eventLoopDelayP99Ms: 0, rssMb: 0, heapMb: 0 };
  loaderWeightMs = 0;
  /** Rows and reads by loader thread, filled as worker threads' spans are collected (threadPool.ts). */
  readonly byThread: Record<number, { rows: number; reads: number }> = {};

  constructor(public startMs: number) {}

  /** Marks everything in this span as recorded by loader thread `thread`. */
  attribute(thread: number): void {
    this.byThread[thread] = { rows: this.rows, reads: this.readsCompleted };
  }

  merge(o: SpanAccumulator): void {
    this.batches += o.batches;
    this.rows += o.rows;
    for (const k of ERROR_CLASSES) {
      this.retriedErrors[k] += o.retriedErrors[k];
      this.readErrors[k] += o.readErrors[k];
    }
    this.failedBatches += o.failedBatches;
    this.failedRows += o.failedRows;
    this.batchLatency.add(o.batchLatency);
    this.rowLatency.add(o.rowLatency);
    this.writeServiceLatency.add(o.writeServiceLatency);
    this.rowsDue += o.rowsDue;
    this.rowsSent += o.rowsSent;
    this.behindRows = Math.max(this.behindRows, o.behindRows);
    this.writeTargetTimesMs += o.writeTargetTimesMs;
    this.writeScheduledMs += o.writeScheduledMs;
    this.readsScheduled += o.readsScheduled;
    this.readsCompleted += o.readsCompleted;
    this.responseLatency.add(o.responseLatency);
    this.serviceLatency.add(o.serviceLatency);
    this.missing += o.missing;
    this.notYetVisible += o.notYetVisible;
    this.corrupt += o.corrupt;
    this.targetRateTimesMs += o.targetRateTimesMs;
    for (const [t, share] of Object.entries(o.byThread)) {
      const mine = (this.byThread[Number(t)] ??= { rows: 0, reads: 0 });
      mine.rows += share.rows;
      mine.reads += share.reads;
    }
    // Loader figures merge as time-weighted means, except the peaks that matter.
    const w = this.loaderWeightMs + o.loaderWeightMs;
    if (w > 0) {
      const a = this.loaderWeightMs / w;
      const b = o.loaderWeightMs / w;
      this.loader = {
        cpuPercent: this.loader.cpuPercent * a + o.loader.cpuPercent * b,
        busiestThreadPercent: this.loader.busiestThreadPercent * a + o.loader.busiestThreadPercent * b,
        eventLoopDelayP99Ms: Math.max(this.loader.eventLoopDelayP99Ms, o.loader.eventLoopDelayP99Ms),
        rssMb: Math.max(this.loader.rssMb, o.loader.rssMb),
        heapMb: Math.max(this.loader.heapMb, o.loader.heapMb),
      };
    }
    this.loaderWeightMs = w;
  }

  /**
   * A structured-cloneable copy with every histogram encoded losslessly (histograms.ts), so a span recorded in
   * a worker thread, or kept in a run folder, merges into another exactly as if it had been recorded there.
   * Every own field is carried, so a field added to the class travels without touching this code.
   */
  toWire(): SpanWire {
    const out: SpanWire = {};
    for (const [k, v] of Object.entries(this)) out[k] = v instanceof LatencyHistogram ? v.encode() : v;
    return out;
  }

  static fromWire(wire: SpanWire): SpanAccumulator {
    const acc = new SpanAccumulator(Number(wire.startMs));
    const fields = acc as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(wire)) {
      if (!(k in acc)) continue;
      if (fields[k] instanceof LatencyHistogram) fields[k] = LatencyHistogram.decode(v as HistogramWire);
      else if (typeof fields[k] === 'object' && fields[k] !== null) Object.assign(fields[k] as object, v);
      else fields[k] = v;
    }
    return acc;
  }

  /** Compacts the histograms of a span that is only kept for reporting from now on (see LatencyHistogram.freeze). */
  freeze(): void {
    this.batchLatency.freeze();
    this.rowLatency.freeze();
    this.writeServiceLatency.freeze();
    this.responseLatency.freeze();
    this.serviceLatency.freeze();
  }

  stats(endMs: number): SpanStats {
    const durationMs = Math.max(0, endMs - this.startMs);
    const perSec = (n: number): number => (durationMs > 0 ? (n * 1000) / durationMs : 0);
    const threads = Object.entries(this.byThread).map(([t, s]) => ({ thread: Number(t), rows: s.rows, reads: s.reads }));
    return {
      startMs: this.startMs,
      endMs,
      durationMs,
      ...(threads.length > 0 ? { threads } : {}),
      writes: {
        batches: this.batches,
        rows: this.rows,
        rowsPerSec: perSec(this.rows),
        retriedErrors: { ...this.retriedErrors },
        failedBatches: this.failedBatches,
        failedRows: this.failedRows,
        batchLatency: this.batchLatency.stats(),
        rowLatency: this.rowLatency.stats(),
        serviceLatency: this.writeServiceLatency.stats(),
        rowsDue: this.rowsDue,
        rowsSent: this.rowsSent,
        // Over the time the schedule ran: the drain after a stop is not a lower target.
        targetRowsPerSec: this.writeScheduledMs > 0 ? this.writeTargetTimesMs / this.writeScheduledMs : 0,
        behindRows: this.behindRows,
      },
      reads: {
        scheduled: this.readsScheduled,
        completed: this.readsCompleted,
        readsPerSec: perSec(this.readsCompleted),
        targetPerSec: durationMs > 0 ? this.targetRateTimesMs / durationMs : 0,
        responseLatency: this.responseLatency.stats(),
        serviceLatency: this.serviceLatency.stats(),
        errors: { ...this.readErrors },
        missing: this.missing,
        notYetVisible: this.notYetVisible,
        corrupt: this.corrupt,
      },
      loader: { ...this.loader },
    };
  }
}
