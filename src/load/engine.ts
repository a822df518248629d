import type { LoaderSample } from '../metrics/span.js';
import type { SpanAccumulator } from '../metrics/span.js';
import type { WritesOffered } from '../metrics/recorder.js';
import type { VerificationReport } from '../metrics/types.js';
import type { DrainResult } from './loader.js';
import type { InflightLimiter } from './limiter.js';
import type { Schedule } from './pacer.js';

/** A load thread that ended without being asked: its error, and what it had acknowledged by its last report. */
export interface LoaderFailure {
  thread: number;
  error: string;
  acknowledgedRows: number;
}

/**
 * The run's load, whether on the main thread or in worker threads: the run drives it the same way and reads
 * the same figures either way.
 */
export interface LoadEngine {
  readonly threads: number;
  /** Starts writing and reading (with threads: once every thread's client is connected). */
  start(): Promise<void>;
  /**
   * Closes the open report interval in every thread at one instant (synchronously, before the first await) and
   * resolves with what the threads recorded in it, or null when they record straight into the run's recorder.
   */
  closeInterval(): Promise<SpanAccumulator | null>;
  readonly readsStarted: boolean;
  /** Reads that fell due on the one schedule since it began. */
  readsDue(nowMs: number): number;
  inflight(): { inflight: number; limit: number };
  /** The open-loop write schedule's figures (SCY_WRITE_ROWS_PER_SEC); null for closed-loop writes. */
  writesOffered(nowMs: number): WritesOffered | null;
  /** The loader's own health since the previous call, over all its threads. */
  loader(): LoaderSample;
  readonly acknowledgedRows: number;
  /** Stops new work; requests already out are seen through by drain(). */
  stop(): void;
  drain(timeoutMs: number): Promise<DrainResult>;
  /** Reads back up to `limit` acknowledged rows, spread over the threads by their share; null when none exist. */
  verify(limit: number): Promise<VerificationReport | null>;
  close(): Promise<void>;
  readonly failures: readonly LoaderFailure[];
}

/** The offered write rate, or null for closed-loop writes (no rate set, or no writers). */
export function writeRate(config: { writeWorkers: number; writeRowsPerSec?: number | undefined }): number | null {
  return config.writeWorkers > 0 && config.writeRowsPerSec !== undefined ? config.writeRowsPerSec : null;
}

/** The figures every engine reads off its limit and schedules, whether they live in one thread or in shared memory. */
export abstract class ScheduleGauges {
  constructor(
    private readonly limiter: InflightLimiter,
    private readonly readSchedule: Schedule,
    private readonly writes: { schedule: Schedule; ratePerSec: number } | null,
  ) {}

  abstract get readsStarted(): boolean;

  readsDue(nowMs: number): number {
    return this.readsStarted ? this.readSchedule.dueBy(nowMs) : 0;
  }

  inflight(): { inflight: number; limit: number } {
    return { inflight: this.limiter.inflight, limit: this.limiter.limit };
  }

  writesOffered(nowMs: number): WritesOffered | null {
    const w = this.writes;
    // Once writers stop, the schedule has ended: no target, and nothing falls due during the drain.
    return w && { targetPerSec: w.schedule.running ? w.ratePerSec : 0, rowsDue: w.schedule.dueBy(nowMs), rowsTaken: w.schedule.taken };
  }
}
