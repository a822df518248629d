import type cassandra from 'cassandra-driver';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import { classifyError, describeError } from '../db/errors.js';
import type { Logger } from '../log.js';
import type { LoadRecorder } from '../metrics/spanRecorder.js';
import { drainPending } from './drain.js';
import { SlotRuns, type Schedule } from './pacer.js';
import { diffRow, makeId } from './rowContent.js';
import type { RowPicker, RowRef } from './rowPicker.js';
import { readRow, RECHECK_CONSISTENCY } from './rowRead.js';

// Waits longer than this listen for stop(); shorter ones just run out.
const SIGNAL_WAIT_MS = 50;
// A thread claims the slots due within this window at once (see SlotRuns): short against the 1 s intervals the
// rate is judged on, long against the 1 ms a timer can resolve.
const SLOT_RUN_MS = 4;

/** The reader settings that come from the configuration or are the tool's fixed policy, shared by run and bench. */
export function readerSettings(config: Pick<Config, 'readWorkers'>): Pick<ReaderOptions, 'workers' | 'maxInflightPerWorker' | 'recheckDelaysMs'> {
  return {
    workers: config.readWorkers,
    // Enough for any rate one event loop can send while a node stalls for seconds; past it, latency shows it.
    maxInflightPerWorker: 512,
    // Re-reads of a missing row at ALL, spread over several seconds so hints and slow replicas can catch up.
    recheckDelaysMs: [500, 2000, 5000],
  };
}

export interface ReaderOptions {
  client: cassandra.Client;
  selectCql: string;
  consistency: number;
  /** Lanes: with maxInflightPerWorker, they bound the reads outstanding at once. */
  workers: number;
  /** Reads one lane may have outstanding; past it, due reads wait (and their latency shows it). */
  maxInflightPerWorker: number;
  /** Delays before re-reading a row found missing, to tell "not yet visible" from lost. */
  recheckDelaysMs: number[];
  /** Acknowledged rows to read: this thread's, or with worker threads every thread's. */
  rows: RowPicker;
  pacer: Schedule;
  recorder: LoadRecorder;
  clock: Clock;
  log: Logger;
}

/**
 * Open-loop point reads: slots come from one shared schedule, each read is sent at its due time without
 * waiting for earlier ones, and its response time counts from the due time, so stalls are never hidden.
 */
export class Readers {
  private readonly stopping = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  private loops: Promise<void>[] = [];
  private errorsLogged = 0;
  /** Set while the dispatcher waits for a read to finish because every lane is full. */
  private freed: (() => void) | null = null;
  /** True once the first acknowledged id existed and the schedule began. */
  started = false;

  constructor(private readonly o: ReaderOptions) {}

  start(): void {
    this.loops = [this.waitForIds().then(() => this.startSchedule())];
  }

  private async waitForIds(): Promise<void> {
    const { o } = this;
    if (o.rows.pick(Math.random) !== null) return;
    o.log.info('readers waiting: no acknowledged row to read yet');
    while (!this.stopping.signal.aborted && o.rows.pick(Math.random) === null) {
      await o.clock.sleep(50, this.stopping.signal);
    }
  }

  private async startSchedule(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.o.pacer.begin();
    this.started = true;
    await this.dispatch();
  }

  /**
   * One dispatcher for all lanes: each time it wakes it sends every slot that has fallen due, in one synchronous
   * turn, so the driver writes them to the socket together (a loop per lane, each waking on its own timer, cost
   * a third more socket writes and a promise round trip per read). Lanes only bound how many reads are out.
   */
  private async dispatch(): Promise<void> {
    const { o } = this;
    const signal = this.stopping.signal;
    const cap = o.workers * o.maxInflightPerWorker;
    const slots = new SlotRuns(o.pacer, SLOT_RUN_MS);
    let due = slots.next();
    while (!signal.aborted) {
      const wait = due - o.clock.monotonic();
      // A short wait (the usual one, a slot's gap) sleeps without the abort signal: adding and removing an
      // abort listener per wake is wasted at thousands of wakes a second, and stop() is at most that late.
      if (wait > SIGNAL_WAIT_MS) await o.clock.sleep(wait, signal);
      else if (wait > 0) await o.clock.sleep(wait);
      const now = o.clock.monotonic();
      while (due <= now && !signal.aborted) {
        if (this.pending.size >= cap) {
          await new Promise<void>((resolve) => (this.freed = resolve));
          continue;
        }
        const row = o.rows.pick(Math.random);
        if (row !== null) this.send(row, due);
        due = slots.next();
      }
    }
  }

  private send(row: RowRef, dueMs: number): void {
    const p: Promise<void> = this.read(row, dueMs).then(() => {
      this.pending.delete(p);
      this.wakeDispatcher();
    });
    this.pending.add(p);
  }

  private wakeDispatcher(): void {
    const freed = this.freed;
    this.freed = null;
    freed?.();
  }

  private async read(ref: RowRef, dueMs: number): Promise<void> {
    const { o } = this;
    const { run, seq } = ref;
    const sent = o.clock.monotonic();
    try {
      // The hot path calls the driver itself rather than readRow: one async frame less per read.
      const rs = await o.client.execute(o.selectCql, [makeId(run, seq)], { prepare: true, consistency: o.consistency });
      const done = o.clock.monotonic();
      const row = rs.first();
      o.recorder.recordRead((done - dueMs) * 1000, (done - sent) * 1000);
      // The common case (row found) is checked synchronously; the id is formatted only when something is wrong.
      if (row) {
        const bad = diffRow(run, seq, row);
        if (bad) o.recorder.recordLoss('corrupt', makeId(run, seq).toString(), 'read', bad);
      } else {
        await this.recheckMissing(ref);
      }
    } catch (err) {
      const cls = classifyError(err);
      o.recorder.recordReadError(cls);
      if (this.errorsLogged < 5) {
        this.errorsLogged++;
        o.log.warn(`read: ${cls}: ${describeError(err)}`);
      }
    }
  }

  private async recheckMissing(ref: RowRef): Promise<void> {
    const { o } = this;
    const { run, seq } = ref;
    const id = makeId(run, seq).toString();
    // An acknowledged row that a read does not find may still be on its way to the replicas this read asked
    // (weak consistency, hints); it is lost only if it stays missing when every replica answers (ALL). When
    // no re-read is answered (a replica is down), nothing is proven either way and the row is not counted lost.
    let answered = false;
    for (const delay of o.recheckDelaysMs) {
      await o.clock.sleep(delay);
      try {
        const again = await readRow({ client: o.client, selectCql: o.selectCql, run }, seq, RECHECK_CONSISTENCY);
        answered = true;
        if (again) {
          o.recorder.recordNotYetVisible();
          const bad = diffRow(run, seq, again);
          if (bad) o.recorder.recordLoss('corrupt', id, 'read', bad);
          return;
        }
      } catch {
        // Unanswered (e.g. unavailable): the next delay tries again.
      }
    }
    if (answered) o.recorder.recordLoss('missing', id, 'read');
    else o.recorder.event({ type: 'row-unverified', id, reason: 'not found at the run consistency; no re-read at ALL was answered' });
  }

  stop(): void {
    this.stopping.abort();
    // A stopped schedule owes nothing: no read falls due during the drain (in every thread: the first end wins).
    this.o.pacer.end();
    this.wakeDispatcher();
  }

  async drain(timeoutMs: number): Promise<number> {
    return drainPending(this.loops, this.pending, this.o.clock, timeoutMs);
  }

}
