import type cassandra from 'cassandra-driver';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import { BACKOFF_CLASSES, RETRYABLE_CLASSES, classifyError, describeError } from '../db/errors.js';
import type { Logger } from '../log.js';
import type { LoadRecorder } from '../metrics/spanRecorder.js';
import { drainPending } from './drain.js';
import { backoffMs } from '../backoff.js';
import { batchSize } from './batchSize.js';
import type { IdLedger } from './idLedger.js';
import type { InflightLimiter, Permit } from './limiter.js';
import type { Schedule } from './pacer.js';
import { rowValues, type RunIdentity } from './rowContent.js';

export interface WriterOptions {
  client: cassandra.Client;
  insertCql: string;
  consistency: number;
  workers: number;
  batchMin: number;
  batchMax: number;
  biasHigh: boolean;
  batchesPerCycle: number;
  /** Attempts per batch before its rows are counted as failed. */
  maxAttempts: number;
  run: RunIdentity;
  ledger: IdLedger;
  limiter: InflightLimiter;
  /**
   * Open-loop writes (SCY_WRITE_ROWS_PER_SEC): rows are offered on this schedule, one slot per row, and a batch's
   * latency counts from its due time. Without it writers run closed-loop, as fast as the limiter allows.
   */
  schedule?: Schedule;
  recorder: LoadRecorder;
  clock: Clock;
  log: Logger;
}

/** The writer settings that come straight from the configuration, shared by the run and the benchmark. */
export function writerSettings(
  config: Pick<Config, 'writeWorkers' | 'batchMin' | 'batchMax' | 'batchBiasHigh' | 'batchesPerCycle'>,
): Pick<WriterOptions, 'workers' | 'batchMin' | 'batchMax' | 'biasHigh' | 'batchesPerCycle' | 'maxAttempts'> {
  return {
    workers: config.writeWorkers,
    batchMin: config.batchMin,
    batchMax: config.batchMax,
    biasHigh: config.batchBiasHigh,
    batchesPerCycle: config.batchesPerCycle,
    // Six attempts with backoff capped at 2 s ride out a node restart of several seconds.
    maxAttempts: 6,
  };
}

// How many identical errors in a row are logged before the log goes quiet (counters keep counting).
const LOG_FIRST_ERRORS = 5;

/**
 * Writer loops: each takes permits from the one shared limiter and fires batches without waiting for them,
 * so the limiter alone decides how much is in flight. With a schedule, a loop also waits for its batch's due
 * time (open loop, like k6's constant-arrival-rate or latte's --rate): the offered rate is the schedule's, and
 * when the cluster stalls, the rows that fell due and could not be sent show as latency from their due time
 * and as the schedule's backlog, not as a quietly lower rate. `stop` ends submission; `drain` waits for the
 * batches already out (including their retries) for at most the given time.
 */
export class Writers {
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];
  private errorsLogged = 0;

  constructor(private readonly o: WriterOptions) {}

  start(): void {
    const { schedule } = this.o;
    schedule?.begin();
    this.loops = Array.from({ length: this.o.workers }, () => (schedule ? this.openLoop(schedule) : this.loop()));
  }

  private async loop(): Promise<void> {
    const { o } = this;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      for (let i = 0; i < o.batchesPerCycle && !signal.aborted; i++) {
        const permit = await o.limiter.acquire(signal);
        if (!permit) break;
        this.send(this.nextBatchRows(), permit, null);
      }
      // Yield so readers, timers and the scaler get the event loop between cycles.
      await yieldTurn();
    }
  }

  /**
   * A permit first, then the next slots: a loop holding a permit takes its batch's slots, so when the limit
   * holds writes back, the rows not yet taken are exactly the rows due and not sent (the backlog), and a
   * batch taken late keeps its due time, so its wait counts in its latency.
   */
  private async openLoop(schedule: Schedule): Promise<void> {
    const { o } = this;
    const signal = this.stopping.signal;
    let sinceYield = 0;
    while (!signal.aborted) {
      const permit = await o.limiter.acquire(signal);
      if (!permit) break;
      const rows = this.nextBatchRows();
      const due = schedule.take(rows);
      const wait = due - o.clock.monotonic();
      if (wait > 0) {
        await o.clock.sleep(wait, signal);
        sinceYield = 0;
        if (signal.aborted) {
          o.limiter.release(permit, 'neutral');
          break;
        }
      } else if (++sinceYield >= o.batchesPerCycle) {
        // Behind schedule nothing sleeps: yield now and then, as the closed loop does between cycles.
        sinceYield = 0;
        await yieldTurn();
      }
      this.send(rows, permit, due);
    }
  }

  private nextBatchRows(): number {
    return batchSize(this.o.batchMin, this.o.batchMax, this.o.biasHigh, Math.random);
  }

  /** Fires one batch without waiting for it; `dueMs` is its intended start (null: now, the closed loop). */
  private send(rows: number, permit: Permit, dueMs: number | null): void {
    const start = this.o.ledger.reserve(rows);
    const p = this.submit(start, rows, permit, dueMs);
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private buildBatch(start: number, rows: number): { query: string; params: unknown[] }[] {
    const queries = new Array<{ query: string; params: unknown[] }>(rows);
    for (let i = 0; i < rows; i++) queries[i] = { query: this.o.insertCql, params: rowValues(this.o.run, start + i) };
    return queries;
  }

  private async submit(start: number, rows: number, firstPermit: Permit, dueMs: number | null): Promise<void> {
    const { o } = this;
    const queries = this.buildBatch(start, rows);
    const began = o.clock.monotonic();
    const intended = dueMs ?? began;
    let permit: Permit | null = firstPermit;
    for (let attempt = 0; ; attempt++) {
      try {
        await o.client.batch(queries, { prepare: true, logged: false, consistency: o.consistency, isIdempotent: true });
        o.limiter.release(permit, 'ok');
        o.ledger.acknowledge(start, rows);
        const done = o.clock.monotonic();
        o.recorder.recordWrite(rows, (done - intended) * 1000, (done - began) * 1000);
        return;
      } catch (err) {
        const cls = classifyError(err);
        o.limiter.release(permit, BACKOFF_CLASSES.has(cls) ? 'overload' : 'neutral');
        const lastTry = attempt + 1 >= o.maxAttempts || !RETRYABLE_CLASSES.has(cls);
        if (this.errorsLogged < LOG_FIRST_ERRORS || (cls === 'other' && this.errorsLogged < 50)) {
          this.errorsLogged++;
          o.log.warn(`batch of ${rows} rows: ${cls}: ${describeError(err)}${lastTry ? ' (given up)' : ' (will retry)'}`);
        }
        if (lastTry) {
          o.recorder.recordWriteFailed(rows, cls);
          o.ledger.fail(start, rows);
          return;
        }
        o.recorder.recordWriteRetry(cls);
        await o.clock.sleep(backoffMs(attempt, 10, 2000));
        // Retries are not bound by the stop signal: a batch already sent is seen through (within the drain).
        permit = await o.limiter.acquire();
        if (!permit) return;
      }
    }
  }

  stop(): void {
    this.stopping.abort();
    this.o.schedule?.end();
  }

  /** Waits for submitted batches; returns how many were still out when `timeoutMs` ran out. */
  async drain(timeoutMs: number): Promise<number> {
    return drainPending(this.loops, this.pending, this.o.clock, timeoutMs);
  }

}

function yieldTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
