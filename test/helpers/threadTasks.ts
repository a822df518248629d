// The worker side of the cross-thread tests: a test starts this file in worker threads with
// `{ task, ...data }` as workerData. Run on its own (node --test finds every file under test/), it does nothing.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { realClock } from '../../src/clock.js';
import type { ReleaseOutcome } from '../../src/load/limiter.js';
import { SharedAimdLimiter, type SharedLimiterHandle } from '../../src/load/sharedLimiter.js';
import { SharedPacer, type SharedScheduleHandle } from '../../src/load/sharedPacer.js';
import { IntervalCounter, ThreadRecorder } from '../../src/metrics/threadRecorder.js';

export interface ClockTask {
  task: 'clock';
  /** [round started by the main thread, round answered by the worker] */
  control: SharedArrayBuffer;
  /** Per round k: the worker's realClock.monotonic() at index k. */
  readings: SharedArrayBuffer;
  rounds: number;
}

/** Lanes acquire, hold for a random moment, release with a random outcome; every step is counted in `stats`. */
export interface LimiterHammerTask {
  task: 'limiter-hammer';
  handle: SharedLimiterHandle;
  /** Int32 slots, see HAMMER_STATS. */
  stats: SharedArrayBuffer;
  lanes: number;
  iterations: number;
  outcomes: ReleaseOutcome[];
}

export const HAMMER_STATS = { grants: 0, releases: 1, held: 2, maxHeld: 3, nulls: 4, slots: 5 } as const;

/** Every thread takes a permit, all meet, then release it ('overload' from all threads or from the first only). */
export interface LimiterCutTask {
  task: 'limiter-cut';
  handle: SharedLimiterHandle;
  /** Int32 [taken, released] across the threads. */
  control: SharedArrayBuffer;
  threads: number;
  index: number;
  overloadFrom: 'all' | 'first';
}

/**
 * Queues `waits` acquires on one signal, posts the in-flight count, aborts on the first message and posts
 * which came back null; then waits for one permit with nothing else keeping the thread alive and posts it.
 */
export interface LimiterAbortTask {
  task: 'limiter-abort';
  handle: SharedLimiterHandle;
  waits: number;
}

/** As owner `owner`: takes `hold` permits, queues `waits` acquires, posts the in-flight count, then blocks for good. */
export interface LimiterHoldTask {
  task: 'limiter-hold';
  handle: SharedLimiterHandle;
  owner: number;
  hold: number;
  waits: number;
}

/** All threads meet, each calls begin() and takes `takes` runs of 1..maxRun slots as fast as it can. */
export interface PacerTakeTask {
  task: 'pacer-take';
  handle: SharedScheduleHandle;
  /** Int32 [threads ready]. */
  control: SharedArrayBuffer;
  threads: number;
  /** Float64 pairs (due, run length), this thread's from pair `index * takes`. */
  out: SharedArrayBuffer;
  index: number;
  takes: number;
  maxRun: number;
}

/**
 * Records samples into a ThreadRecorder in bursts until told to stop, each with the interval number read just
 * before it (+1, as latency µs); answers every `{ upTo }` message with the spans closed up to it. Posts
 * `{ recorded }` when stopped, then goes on answering collects until `{ close: true }`.
 */
export interface IntervalRecordTask {
  task: 'interval-record';
  interval: SharedArrayBuffer;
  /** Int32 [stop] */
  control: SharedArrayBuffer;
}

export type ThreadTask = ClockTask | LimiterHammerTask | LimiterCutTask | LimiterAbortTask | LimiterHoldTask | PacerTakeTask | IntervalRecordTask;

/** Blocks this worker until `slot` reaches `value` (bounded: a test that hangs tells nobody anything). */
function waitUntil(a: Int32Array, slot: number, value: number): void {
  const deadline = Date.now() + 10_000;
  for (let seen = Atomics.load(a, slot); seen < value; seen = Atomics.load(a, slot)) {
    if (Date.now() > deadline) throw new Error(`slot ${slot} stayed at ${seen}, expected ${value}`);
    Atomics.wait(a, slot, seen, 100);
  }
}

/** Waits (blocking this worker) until round `k` is started, reads the clock, answers. */
function clockTask(t: ClockTask): void {
  const control = new Int32Array(t.control);
  const readings = new Float64Array(t.readings);
  parentPort!.postMessage('ready');
  for (let k = 1; k <= t.rounds; k++) {
    waitUntil(control, 0, k);
    readings[k] = realClock.monotonic();
    Atomics.store(control, 1, k);
    Atomics.notify(control, 1);
  }
}

async function limiterHammer(t: LimiterHammerTask): Promise<void> {
  const limiter = new SharedAimdLimiter(t.handle);
  const stats = new Int32Array(t.stats);
  const lane = async (): Promise<void> => {
    for (let i = 0; i < t.iterations; i++) {
      const permit = await limiter.acquire();
      if (!permit) {
        Atomics.add(stats, HAMMER_STATS.nulls, 1);
        continue;
      }
      Atomics.add(stats, HAMMER_STATS.grants, 1);
      const held = Atomics.add(stats, HAMMER_STATS.held, 1) + 1;
      for (let max = Atomics.load(stats, HAMMER_STATS.maxHeld); held > max; max = Atomics.load(stats, HAMMER_STATS.maxHeld)) {
        if (Atomics.compareExchange(stats, HAMMER_STATS.maxHeld, max, held) === max) break;
      }
      await new Promise((resolve) => (Math.random() < 0.5 ? setImmediate(resolve) : setTimeout(resolve, 1)));
      Atomics.sub(stats, HAMMER_STATS.held, 1);
      Atomics.add(stats, HAMMER_STATS.releases, 1);
      limiter.release(permit, t.outcomes[Math.floor(Math.random() * t.outcomes.length)]!);
    }
  };
  await Promise.all(Array.from({ length: t.lanes }, lane));
}

function limiterCut(t: LimiterCutTask): void {
  const limiter = new SharedAimdLimiter(t.handle);
  const control = new Int32Array(t.control);
  const permit = limiter.tryAcquire();
  if (!permit) throw new Error('no permit below the cap');
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
  waitUntil(control, 0, t.threads);
  limiter.release(permit, t.overloadFrom === 'all' || t.index === 0 ? 'overload' : 'neutral');
  Atomics.add(control, 1, 1);
  Atomics.notify(control, 1);
  waitUntil(control, 1, t.threads);
  parentPort!.postMessage({ limit: limiter.limit, cuts: limiter.cuts, inflight: limiter.inflight });
}

async function limiterAbort(t: LimiterAbortTask): Promise<void> {
  const limiter = new SharedAimdLimiter(t.handle);
  const stop = new AbortController();
  const waits = Array.from({ length: t.waits }, () => limiter.acquire(stop.signal));
  const aborted = new Promise((resolve) => parentPort!.once('message', resolve));
  parentPort!.postMessage({ queued: t.waits, inflight: limiter.inflight });
  await aborted;
  stop.abort();
  const results = await Promise.all(waits);
  parentPort!.postMessage({ nulls: results.filter((r) => r === null).length });
  // Nothing but this wait is left to keep the thread alive: the limiter must, until a release elsewhere frees a permit.
  const permit = await limiter.acquire();
  parentPort!.postMessage({ granted: permit !== null, inflight: limiter.inflight });
  if (permit) limiter.release(permit, 'ok');
}

function limiterHold(t: LimiterHoldTask): void {
  const limiter = new SharedAimdLimiter(t.handle, t.owner);
  for (let i = 0; i < t.hold; i++) if (!limiter.tryAcquire()) throw new Error('no permit below the cap');
  for (let i = 0; i < t.waits; i++) void limiter.acquire();
  parentPort!.postMessage({ inflight: limiter.inflight });
  // Blocked as a stuck thread is, until it is terminated (the message above is sent as soon as this turn blocks).
  setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
}

function pacerTake(t: PacerTakeTask): void {
  const pacer = new SharedPacer(t.handle, realClock);
  const control = new Int32Array(t.control);
  const out = new Float64Array(t.out);
  Atomics.add(control, 0, 1);
  Atomics.notify(control, 0);
  waitUntil(control, 0, t.threads);
  pacer.begin();
  for (let i = 0, at = 2 * t.index * t.takes; i < t.takes; i++, at += 2) {
    const run = 1 + Math.floor(Math.random() * t.maxRun);
    out[at] = pacer.take(run);
    out[at + 1] = run;
  }
}

async function intervalRecord(t: IntervalRecordTask): Promise<void> {
  const counter = new IntervalCounter(t.interval);
  const recorder = new ThreadRecorder(counter, realClock, { loss: () => undefined, event: () => undefined });
  const control = new Int32Array(t.control);
  const port = parentPort!;
  port.on('message', (m: { upTo: number } | { close: true }) => {
    if ('close' in m) port.close();
    else port.postMessage({ upTo: m.upTo, span: recorder.takeClosed(m.upTo)?.toWire() ?? null });
  });
  let recorded = 0;
  while (Atomics.load(control, 0) === 0) {
    for (let i = 0; i < 50; i++, recorded++) recorder.recordWrite(1, counter.open + 1, 1);
    await new Promise((resolve) => setImmediate(resolve));
  }
  port.postMessage({ recorded });
}

if (!isMainThread && parentPort) {
  const t = workerData as ThreadTask;
  if (t.task === 'clock') clockTask(t);
  else if (t.task === 'limiter-hammer') void limiterHammer(t);
  else if (t.task === 'limiter-cut') limiterCut(t);
  else if (t.task === 'limiter-abort') void limiterAbort(t);
  else if (t.task === 'limiter-hold') limiterHold(t);
  else if (t.task === 'interval-record') void intervalRecord(t);
  else pacerTake(t);
}
