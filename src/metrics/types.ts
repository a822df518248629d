import type { Phase } from '../phase.js';

// The shapes every reporter reads. The recorder produces them; console, NDJSON, JSON and HTML reporters only
// render them, so one stream of facts feeds every output.

/** Error classes the database layer sorts driver errors into. */
export const ERROR_CLASSES = [
  'busy',
  'no-host',
  'timeout',
  'unavailable',
  'overloaded',
  'bootstrapping',
  'connection',
  'other',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];
export type ErrorCounts = Record<ErrorClass, number>;

/** Latency percentiles in milliseconds. */
export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** What happened in one span of time (a report interval, a phase, a cycle, the whole run). */
/** One loader thread's part of a span: present only when the load ran in worker threads. */
export interface ThreadShare {
  thread: number;
  rows: number;
  reads: number;
}

export interface SpanStats {
  startMs: number;
  endMs: number;
  durationMs: number;
  threads?: ThreadShare[];
  writes: {
    batches: number;
    rows: number;
    rowsPerSec: number;
    /** Attempts that failed and were retried. */
    retriedErrors: ErrorCounts;
    /** Batches given up after the last retry: their rows were never acknowledged. */
    failedBatches: number;
    failedRows: number;
    /** From the intended start (a batch's due time when writes are open-loop, its send otherwise) to the acknowledgement. */
    batchLatency: LatencyStats;
    /** Batch latency weighted by rows: what one row waited. */
    rowLatency: LatencyStats;
    /** Batch latency from the actual send to the acknowledgement. */
    serviceLatency: LatencyStats;
    /** Open-loop writes (SCY_WRITE_ROWS_PER_SEC; all 0 in the closed loop): rows the schedule asked for. */
    rowsDue: number;
    /** Rows taken from the schedule to send (a batch is taken once its writer holds a permit for it). */
    rowsSent: number;
    /** The rows/s asked for while the schedule ran (a drain after the stop does not lower it). */
    targetRowsPerSec: number;
    /** Rows due but not sent yet: at an interval's end; for a longer span, the most seen at any interval end. */
    behindRows: number;
  };
  reads: {
    /** Reads the schedule asked for (offered load). */
    scheduled: number;
    completed: number;
    readsPerSec: number;
    targetPerSec: number;
    /** Latency from the intended start (includes waiting behind a stalled schedule). */
    responseLatency: LatencyStats;
    /** Latency from the actual send to the answer. */
    serviceLatency: LatencyStats;
    errors: ErrorCounts;
    missing: number;
    notYetVisible: number;
    corrupt: number;
  };
  loader: {
    cpuPercent: number;
    busiestThreadPercent: number;
    eventLoopDelayP99Ms: number;
    rssMb: number;
    heapMb: number;
  };
}

export interface IntervalReport extends SpanStats {
  phase: Phase;
  /** Current in-flight batches and the AIMD limit at the end of the interval. */
  inflight: number;
  inflightLimit: number;
}

export interface PhaseReport extends SpanStats {
  index: number;
  phase: Phase;
  key: string;
  label: string;
}

export interface TimelineEvent {
  at: number;
  type: string;
  [detail: string]: unknown;
}

export interface ResizeRecord {
  cycle: number;
  from: number;
  to: number;
  requestId: string | null;
  startMs: number;
  endMs: number | null;
  durationMs: number | null;
  /** How late the end may have been seen: the scaler's poll interval while it followed the resize (≤ 1 s); set once ended. */
  resolutionMs?: number;
  outcome: 'completed' | 'failed' | 'unfinished';
}

export interface LossRecord {
  id: string;
  kind: 'missing' | 'corrupt';
  phase: string;
  detectedBy: 'read' | 'sweep';
  at: number;
}

export interface VerificationReport {
  checked: number;
  /** Acknowledged rows in the run; `checked` < `acknowledged` means a sample was read. */
  acknowledged: number;
  sampled: boolean;
  missing: number;
  corrupt: number;
  errors: number;
  durationMs: number;
}

/** Stable ids of the thresholds; `name` is display text and may change, code decides on the id. */
export type ThresholdId = 'write-p99' | 'read-p99' | 'throughput-ratio' | 'error-rate' | 'lost-rows' | 'resize-duration';

export interface ThresholdResult {
  id: ThresholdId;
  name: string;
  limit: string;
  actual: string;
  passed: boolean;
  scope: string;
}

export interface RunSummary {
  tool: { name: string; version: string };
  startedAt: string;
  endedAt: string;
  settings: Record<string, unknown>;
  overall: SpanStats;
  /** Each phase occurrence in time order. */
  phases: PhaseReport[];
  /** Phases of the same key (e.g. every "resize 3→6") merged. */
  byPhaseKey: (SpanStats & { key: string; occurrences: number })[];
  resizes: ResizeRecord[];
  losses: LossRecord[];
  verification: VerificationReport | null;
  /** `index` of the phase the change columns and the throughput threshold compare against (thresholds.ts baselinePhase). */
  baselineIndex: number | null;
  thresholds: ThresholdResult[];
  warnings: string[];
  exitCode: number;
  /** Why the run failed, one entry per reason (empty when it passed); the exit code is decided from these. */
  failures: VerdictFailure[];
  /** A merged run's shards, each with its own figures (src/shard/merge.ts); absent for a run of one process. */
  shards?: ShardLine[];
}

/** One shard's own figures in a merged run. */
export interface ShardLine {
  shard: number;
  dir: string;
  drivesScaler: boolean;
  rows: number;
  rowsPerSec: number;
  reads: number;
  lostRows: number;
  verification: VerificationReport | null;
  exitCode: number;
}

export type FailureKind = 'data-loss' | 'run-incomplete' | 'threshold';

export interface VerdictFailure {
  kind: FailureKind;
  /** A threshold id, or the id of the run failure (e.g. 'scaler-fatal', 'cycles-short'). */
  id: string;
  /** One line for people, secrets masked. */
  message: string;
  exitCode: number;
}
