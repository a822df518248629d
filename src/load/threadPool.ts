import { Worker } from 'node:worker_threads';
import type { Config } from '../config/load.js';
import type { SchemaTarget } from '../db/schema.js';
import type { InstantClientOptions } from '../local/instantClient.js';
import type { Logger } from '../log.js';
import { LoaderProbe } from '../metrics/loaderProbe.js';
import { SpanAccumulator, type LoaderSample } from '../metrics/span.js';
import type { EventInput } from '../metrics/spanRecorder.js';
import { IntervalCounter } from '../metrics/threadRecorder.js';
import type { VerificationReport } from '../metrics/types.js';
import { ScheduleGauges, writeRate, type LoadEngine, type LoaderFailure } from './engine.js';
import { LedgerBoard } from './ledgerBoard.js';
import type { DrainResult, LoaderConfig } from './loader.js';
import type { RunIdentity } from './rowContent.js';
import { SharedAimdLimiter } from './sharedLimiter.js';
import { SharedPacer } from './sharedPacer.js';
import type { Clock } from '../clock.js';
import type { CollectReply, FromWorker, Replies, Request, ThreadHealth, WorkerSetup } from './threadProtocol.js';

export interface ThreadedLoadOptions {
  threads: number;
  config: Config;
  target: SchemaTarget;
  run: RunIdentity;
  clock: Clock;
  log: Logger;
  /** Losses and events the threads report, handed on in the order they arrive. */
  onLoss(kind: 'missing' | 'corrupt', id: string, detectedBy: 'read' | 'sweep', detail?: string): void;
  onEvent(e: EventInput): void;
  /** Bench and test seam: thread i uses the in-process stand-in standIn(i) instead of a CQL client. */
  standIn?: (thread: number) => InstantClientOptions;
  /** A thread that leaves an interval's collect unanswered this long is blocked and is stopped (default 30 s). */
  answerWithinMs?: number;
}

const ANSWER_WITHIN_MS = 30_000;

/** `total` split over `parts` as evenly as whole numbers allow, each part at least `min`. */
export function shareOf(total: number, parts: number, index: number, min = 0): number {
  const base = Math.floor(total / parts) + (index < total % parts ? 1 : 0);
  return Math.max(min, base);
}

/**
 * `limit` split over parts in proportion to their weights, in whole numbers that add up to min(limit, total
 * weight), no part above its weight (largest remainders get the units rounding left over).
 */
export function proportionalShares(limit: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0 || limit <= 0) return weights.map(() => 0);
  if (limit >= total) return [...weights];
  const exact = weights.map((w) => (limit * w) / total);
  const shares = exact.map(Math.floor);
  let left = limit - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    shares[i]! += 1;
    left--;
  }
  return shares;
}

interface Thread {
  index: number;
  worker: Worker;
  pending: Map<number, { type: Request['type']; resolve: (v: unknown) => void }>;
  dead: boolean;
  closing: boolean;
  health: ThreadHealth;
  acknowledgedRows: number;
  readsStarted: boolean;
}

/**
 * The load in worker threads, each with its own CQL client, sharing one in-flight limit, one read schedule and
 * the interval boundaries through shared memory. The main thread keeps no per-request work: it collects each
 * thread's span once per report interval and merges them (histograms exactly).
 */
export class ThreadedLoad extends ScheduleGauges implements LoadEngine {
  readonly failures: LoaderFailure[] = [];
  private readonly list: Thread[] = [];
  private readonly counter: IntervalCounter;
  private readonly probe = new LoaderProbe();
  private nextId = 0;
  private readonly setupBase: Omit<WorkerSetup, 'thread'>;

  constructor(private readonly o: ThreadedLoadOptions) {
    const { config } = o;
    const limiterHandle = SharedAimdLimiter.create(config.batchInflight, 1, 0.5, o.threads);
    const scheduleHandle = SharedPacer.create(Math.max(config.readRps, 1e-9));
    const interval = IntervalCounter.create();
    const rate = writeRate(config);
    const writeHandle = rate === null ? null : SharedPacer.create(rate);
    // The main thread's views of the shared state, for the status line and the offered load.
    super(
      new SharedAimdLimiter(limiterHandle),
      new SharedPacer(scheduleHandle, o.clock),
      writeHandle && { schedule: new SharedPacer(writeHandle, o.clock), ratePerSec: rate! },
    );
    this.counter = new IntervalCounter(interval);
    const loader: LoaderConfig = {
      writeWorkers: config.writeWorkers,
      readWorkers: config.readWorkers,
      readRps: config.readRps,
      batchMin: config.batchMin,
      batchMax: config.batchMax,
      batchBiasHigh: config.batchBiasHigh,
      batchesPerCycle: config.batchesPerCycle,
      consistency: config.consistency,
    };
    this.setupBase = {
      threads: o.threads,
      connection: {
        contactPoints: config.contactPoints,
        port: config.port,
        localDc: config.localDc,
        username: config.username,
        consistency: config.consistency,
        requestTimeoutSecs: config.requestTimeoutSecs,
        tls: config.tls,
        tlsCaFile: config.tlsCaFile,
        password: config.password?.reveal() ?? null,
      },
      loader,
      target: o.target,
      idPoolSize: config.idPoolSize,
      run: o.run,
      shared: { limiter: limiterHandle, readSchedule: scheduleHandle, writeSchedule: writeHandle, ledgers: LedgerBoard.create(o.threads), interval },
    };
  }

  get threads(): number {
    return this.o.threads;
  }

  /** Spawns every thread and starts the load once all are connected; rejects (and ends them) when one cannot connect. */
  async start(): Promise<void> {
    const ready = Array.from({ length: this.o.threads }, (_, i) => this.spawn(i));
    const outcomes = await Promise.all(ready);
    const failed = outcomes.find((x) => x !== null);
    if (failed) {
      await Promise.all(this.list.map((t) => t.worker.terminate()));
      throw new Error(failed);
    }
    await Promise.all(this.list.map((t) => this.call(t, { type: 'start' })));
  }

  private spawn(index: number): Promise<string | null> {
    const { config } = this.o;
    const setup: WorkerSetup = {
      ...this.setupBase,
      ...(this.o.standIn ? { standIn: this.o.standIn(index) } : {}),
      thread: index,
      loader: {
        ...this.setupBase.loader,
        writeWorkers: shareOf(config.writeWorkers, this.o.threads, index, config.writeWorkers > 0 ? 1 : 0),
        readWorkers: shareOf(config.readWorkers, this.o.threads, index, config.readWorkers > 0 ? 1 : 0),
      },
    };
    const worker = new Worker(new URL('./loadWorker.js', import.meta.url), { workerData: setup });
    const t: Thread = {
      index,
      worker,
      pending: new Map(),
      dead: false,
      closing: false,
      health: { busyPercent: 0, loopP99Ms: 0 },
      acknowledgedRows: 0,
      readsStarted: false,
    };
    this.list.push(t);
    return new Promise((resolveReady) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            return resolveReady(null);
          case 'setup-failed':
            return resolveReady(`loader thread ${index} cannot connect: ${m.error}`);
          case 'reply': {
            const p = t.pending.get(m.id);
            t.pending.delete(m.id);
            return p?.resolve(m.value);
          }
          case 'log':
            return this.o.log.child(m.tag)[m.level](m.msg);
          case 'loss':
            return this.o.onLoss(m.kind, m.id, m.detectedBy, m.detail);
          case 'event':
            return this.o.onEvent({ ...m.event, thread: index });
        }
      });
      worker.on('error', (err) => this.died(t, err.stack?.split('\n')[0] ?? String(err)));
      worker.on('exit', (code) => {
        // Whatever it held of the one in-flight cap goes back to the threads that go on.
        SharedAimdLimiter.forget(this.setupBase.shared.limiter, index);
        if (!t.closing) this.died(t, `exited with code ${code}`);
        resolveReady(`loader thread ${index} ended before it was ready`);
      });
    });
  }

  /** A thread that ended unasked: reported once, its open requests answered with what is known. */
  private died(t: Thread, error: string): void {
    if (t.dead) return;
    t.dead = true;
    this.failures.push({ thread: t.index, error, acknowledgedRows: t.acknowledgedRows });
    this.o.log.error(`loader thread ${t.index} died: ${error}; its load stops, and the run cannot pass`);
    this.o.onEvent({ type: 'loader-thread-died', thread: t.index, error, acknowledgedRows: t.acknowledgedRows });
    for (const [, p] of t.pending) p.resolve(this.fallback(t, p.type));
    t.pending.clear();
  }

  private fallback(t: Thread, type: Request['type']): unknown {
    switch (type) {
      case 'collect':
        return { span: null, health: t.health, acknowledgedRows: t.acknowledgedRows, readsStarted: t.readsStarted } satisfies CollectReply;
      case 'drain':
        return { writes: 0, reads: 0 } satisfies DrainResult;
      default:
        return null;
    }
  }

  /**
   * A request to a thread; with answerWithinMs, a thread that has not answered by then is blocked (an endless
   * synchronous loop answers nothing, not even an error): it is stopped and counts as dead, so one stuck thread
   * cannot stall every interval, phase and status line after it. A real timer, not the run's clock: it
   * measures the real thread.
   */
  private call<T extends Request>(t: Thread, req: T, answerWithinMs?: number): Promise<Replies[T['type']]> {
    if (t.dead) return Promise.resolve(this.fallback(t, req.type) as Replies[T['type']]);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = answerWithinMs === undefined ? undefined : setTimeout(() => this.unresponsive(t, answerWithinMs), answerWithinMs);
      t.pending.set(id, {
        type: req.type,
        resolve: (v: unknown) => {
          clearTimeout(timer);
          (resolve as (v: unknown) => void)(v);
        },
      });
      t.worker.postMessage({ ...req, id });
    });
  }

  /**
   * For a call with no time bound of its own (a sweep takes as long as its rows): meanwhile the thread is pinged,
   * and one that leaves a ping unanswered for answerWithinMs is blocked and stopped, which answers the call too.
   */
  private async whileAnswering<T>(t: Thread, call: Promise<T>): Promise<T> {
    const within = this.o.answerWithinMs ?? ANSWER_WITHIN_MS;
    let pinging = false;
    const pinger = setInterval(() => {
      if (pinging) return;
      pinging = true;
      void this.call(t, { type: 'ping' }, within).then(() => (pinging = false));
    }, within / 3);
    try {
      return await call;
    } finally {
      clearInterval(pinger);
    }
  }

  private unresponsive(t: Thread, ms: number): void {
    t.closing = true;
    this.died(t, `did not answer for ${(ms / 1000).toFixed(0)} s (its event loop is blocked), so it was stopped`);
    void t.worker.terminate();
  }

  closeInterval(): Promise<SpanAccumulator | null> {
    const upTo = this.counter.advance();
    const within = this.o.answerWithinMs ?? ANSWER_WITHIN_MS;
    return Promise.all(this.list.map((t) => this.call(t, { type: 'collect', upTo }, within))).then((replies) => {
      let merged: SpanAccumulator | null = null;
      replies.forEach((r, i) => {
        const t = this.list[i]!;
        t.health = r.health;
        t.acknowledgedRows = r.acknowledgedRows;
        t.readsStarted = r.readsStarted;
        if (!r.span) return;
        const span = SpanAccumulator.fromWire(r.span);
        span.attribute(t.index);
        if (merged) merged.merge(span);
        else merged = span;
      });
      return merged;
    });
  }

  get readsStarted(): boolean {
    return this.list.some((t) => t.readsStarted);
  }

  loader(): LoaderSample {
    const own = this.probe.sample();
    const live = this.list.map((t) => t.health);
    return {
      ...own,
      busiestThreadPercent: Math.max(own.busiestThreadPercent, ...live.map((h) => h.busyPercent)),
      eventLoopDelayP99Ms: Math.max(own.eventLoopDelayP99Ms, ...live.map((h) => h.loopP99Ms)),
    };
  }

  get acknowledgedRows(): number {
    return this.list.reduce((n, t) => n + t.acknowledgedRows, 0);
  }

  stop(): void {
    for (const t of this.list) void this.call(t, { type: 'stop' });
  }

  async drain(timeoutMs: number): Promise<DrainResult> {
    const within = timeoutMs + (this.o.answerWithinMs ?? ANSWER_WITHIN_MS);
    const left = await Promise.all(this.list.map((t) => this.call(t, { type: 'drain', timeoutMs }, within)));
    return left.reduce((a, b) => ({ writes: a.writes + b.writes, reads: a.reads + b.reads }), { writes: 0, reads: 0 });
  }

  /** Shares follow each thread's acknowledged rows as of the last closeInterval(): close the last interval first. */
  async verify(limit: number): Promise<VerificationReport | null> {
    const total = this.acknowledgedRows;
    if (limit <= 0 || total === 0) return null;
    const shares = proportionalShares(limit, this.list.map((t) => t.acknowledgedRows));
    const reports = await Promise.all(this.list.map((t, i) => this.whileAnswering(t, this.call(t, { type: 'verify', limit: shares[i]! }))));
    const done = reports.filter((r): r is VerificationReport => r !== null);
    const sum = (f: (r: VerificationReport) => number): number => done.reduce((n, r) => n + f(r), 0);
    const checked = sum((r) => r.checked);
    return {
      checked,
      acknowledged: total,
      sampled: checked < total,
      missing: sum((r) => r.missing),
      corrupt: sum((r) => r.corrupt),
      errors: sum((r) => r.errors),
      durationMs: Math.max(0, ...done.map((r) => r.durationMs)),
    };
  }

  async close(): Promise<void> {
    this.probe.stop();
    await Promise.all(
      this.list.map(async (t) => {
        t.closing = true;
        await this.call(t, { type: 'close' }, this.o.answerWithinMs ?? ANSWER_WITHIN_MS);
        if (!t.dead) await t.worker.terminate();
      }),
    );
  }
}
