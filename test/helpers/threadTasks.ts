// The worker side of the cross-thread tests: a test starts this file in worker threads with
// `{ task, ...data }` as workerData. Run on its own (node --test finds every file under test/), it does nothing.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { realClock } from '../../src/clock.js';

export interface ClockTask {
  task: 'clock';
  /** [round started by the main thread, round answered by the worker] */
  control: SharedArrayBuffer;
  /** Per round k: the worker's realClock.monotonic() at index k. */
  readings: SharedArrayBuffer;
  rounds: number;
}

export type ThreadTask = ClockTask;

/** Waits (blocking this worker) until round `k` is started, reads the clock, answers. */
function clockTask(t: ClockTask): void {
  const control = new Int32Array(t.control);
  const readings = new Float64Array(t.readings);
  parentPort!.postMessage('ready');
  for (let k = 1; k <= t.rounds; k++) {
    const deadline = Date.now() + 10_000;
    while (Atomics.load(control, 0) < k) {
      if (Date.now() > deadline) throw new Error(`round ${k} never started`);
      Atomics.wait(control, 0, k - 1, 100);
    }
    readings[k] = realClock.monotonic();
    Atomics.store(control, 1, k);
    Atomics.notify(control, 1);
  }
}

if (!isMainThread && parentPort) {
  const t = workerData as ThreadTask;
  if (t.task === 'clock') clockTask(t);
}
