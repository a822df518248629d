import { addErrorCounts } from './span.js';
import type { IntervalReport, LatencyStats } from './types.js';

// The report intervals kept in memory for the HTML charts, in memory that does not grow with the run: past
// `maxPoints`, neighbouring intervals are merged in pairs, so a run of days keeps a bounded number of points at a
// coarser step (timeline.ndjson on disk keeps every interval as it was). A merged point sums counts, averages
// rates over its time, and keeps the worse of each latency percentile and loader figure, so a spike stays visible.

/** 4,096 points: about 5.7 h at the default 5 s before the first merge; ~4 MB at most. */
export const MAX_POINTS = 4096;

export class IntervalSeries {
  private points: IntervalReport[] = [];
  /** The newest point while it still takes intervals: it closes at `intervalsPerPoint` of them or at a phase change. */
  private open: { point: IntervalReport; intervals: number } | null = null;
  /** How many report intervals a point stands for (1 until the first merge, then 2, 4, …). */
  intervalsPerPoint = 1;

  constructor(private readonly maxPoints = MAX_POINTS) {}

  push(iv: IntervalReport): void {
    if (this.open && !samePhase(this.open.point, iv)) this.close();
    this.open = this.open ? { point: mergeIntervals(this.open.point, iv), intervals: this.open.intervals + 1 } : { point: iv, intervals: 1 };
    if (this.open.intervals >= this.intervalsPerPoint) this.close();
  }

  get all(): readonly IntervalReport[] {
    return this.open ? [...this.points, this.open.point] : this.points;
  }

  private close(): void {
    this.points.push(this.open!.point);
    this.open = null;
    if (this.points.length >= this.maxPoints) this.halve();
  }

  /** Merges pairs, keeping phase boundaries where it can; a run of one-interval phases is merged across them. */
  private halve(): void {
    const merge = (acrossPhases: boolean): IntervalReport[] => {
      const out: IntervalReport[] = [];
      for (let i = 0; i < this.points.length; ) {
        const a = this.points[i]!;
        const b = this.points[i + 1];
        if (b && (acrossPhases || samePhase(a, b))) {
          out.push(mergeIntervals(a, b));
          i += 2;
        } else {
          out.push(a);
          i += 1;
        }
      }
      return out;
    };
    let next = merge(false);
    if (next.length > (this.points.length * 3) / 4) next = merge(true);
    this.points = next;
    this.intervalsPerPoint *= 2;
  }
}

function samePhase(a: IntervalReport, b: IntervalReport): boolean {
  return JSON.stringify(a.phase) === JSON.stringify(b.phase);
}

/** One point for two consecutive intervals (`b` after `a`). */
export function mergeIntervals(a: IntervalReport, b: IntervalReport): IntervalReport {
  const durationMs = a.durationMs + b.durationMs;
  const perSec = (n: number): number => (durationMs > 0 ? (n * 1000) / durationMs : 0);
  const timeMean = (x: number, y: number): number => (durationMs > 0 ? (x * a.durationMs + y * b.durationMs) / durationMs : 0);
  const rows = a.writes.rows + b.writes.rows;
  const completed = a.reads.completed + b.reads.completed;
  return {
    startMs: a.startMs,
    endMs: b.endMs,
    durationMs,
    writes: {
      batches: a.writes.batches + b.writes.batches,
      rows,
      rowsPerSec: perSec(rows),
      retriedErrors: addErrorCounts(a.writes.retriedErrors, b.writes.retriedErrors),
      failedBatches: a.writes.failedBatches + b.writes.failedBatches,
      failedRows: a.writes.failedRows + b.writes.failedRows,
      batchLatency: worseOf(a.writes.batchLatency, b.writes.batchLatency),
      rowLatency: worseOf(a.writes.rowLatency, b.writes.rowLatency),
      serviceLatency: worseOf(a.writes.serviceLatency, b.writes.serviceLatency),
      rowsDue: a.writes.rowsDue + b.writes.rowsDue,
      rowsSent: a.writes.rowsSent + b.writes.rowsSent,
      // One write target per run, asked for only while the schedule ran: a point's target is the one that was set.
      targetRowsPerSec: Math.max(a.writes.targetRowsPerSec, b.writes.targetRowsPerSec),
      behindRows: Math.max(a.writes.behindRows, b.writes.behindRows),
    },
    reads: {
      scheduled: a.reads.scheduled + b.reads.scheduled,
      completed,
      readsPerSec: perSec(completed),
      targetPerSec: timeMean(a.reads.targetPerSec, b.reads.targetPerSec),
      responseLatency: worseOf(a.reads.responseLatency, b.reads.responseLatency),
      serviceLatency: worseOf(a.reads.serviceLatency, b.reads.serviceLatency),
      errors: addErrorCounts(a.reads.errors, b.reads.errors),
      missing: a.reads.missing + b.reads.missing,
      notYetVisible: a.reads.notYetVisible + b.reads.notYetVisible,
      corrupt: a.reads.corrupt + b.reads.corrupt,
    },
    loader: {
      cpuPercent: Math.max(a.loader.cpuPercent, b.loader.cpuPercent),
      busiestThreadPercent: Math.max(a.loader.busiestThreadPercent, b.loader.busiestThreadPercent),
      eventLoopDelayP99Ms: Math.max(a.loader.eventLoopDelayP99Ms, b.loader.eventLoopDelayP99Ms),
      rssMb: Math.max(a.loader.rssMb, b.loader.rssMb),
      heapMb: Math.max(a.loader.heapMb, b.loader.heapMb),
    },
    phase: b.phase,
    inflight: b.inflight,
    inflightLimit: b.inflightLimit,
  };
}

/** Percentiles cannot be merged exactly without the histograms; the worse of the two never hides a spike. */
function worseOf(x: LatencyStats, y: LatencyStats): LatencyStats {
  if (x.count === 0) return y;
  if (y.count === 0) return x;
  const count = x.count + y.count;
  return {
    count,
    p50: Math.max(x.p50, y.p50),
    p90: Math.max(x.p90, y.p90),
    p99: Math.max(x.p99, y.p99),
    p999: Math.max(x.p999, y.p999),
    max: Math.max(x.max, y.max),
    mean: (x.mean * x.count + y.mean * y.count) / count,
  };
}
