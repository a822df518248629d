import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.js';
import { firstMessage, startTask } from '../helpers/threads.js';

// How far apart two threads' readings of the same instant may be: the offset is set once per thread from two
// clock reads microseconds apart, so well under a millisecond. (A worker whose clock started at its own
// creation would be off by its start-up time, tens of milliseconds.)
const BOUND_MS = 1;

describe('realClock across worker threads', () => {
  test('a worker and the main thread agree on monotonic() at the same moment', async () => {
    const rounds = 20;
    const control = new SharedArrayBuffer(8);
    const readings = new SharedArrayBuffer(8 * (rounds + 1));
    const { worker, done } = startTask({ task: 'clock', control, readings, rounds });
    await firstMessage(worker);
    const c = new Int32Array(control);
    const r = new Float64Array(readings);
    for (let k = 1; k <= rounds; k++) {
      // The worker reads its clock after this thread's `before` and before its `after`: a bracket that holds
      // however late the worker wakes.
      const before = realClock.monotonic();
      Atomics.store(c, 0, k);
      Atomics.notify(c, 0);
      const deadline = Date.now() + 10_000;
      while (Atomics.load(c, 1) < k) {
        assert.ok(Date.now() < deadline, `round ${k}: the worker did not answer`);
        Atomics.wait(c, 1, k - 1, 100);
      }
      const after = realClock.monotonic();
      const theirs = r[k]!;
      assert.ok(theirs >= before - BOUND_MS && theirs <= after + BOUND_MS, `round ${k}: worker ${theirs} outside [${before}, ${after}]`);
    }
    await done;
  });

  test('monotonic() never goes back within a thread', () => {
    let last = realClock.monotonic();
    for (let i = 0; i < 100_000; i++) {
      const t = realClock.monotonic();
      assert.ok(t >= last);
      last = t;
    }
  });
});
