import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.js';
import { slotDue } from '../../src/load/pacer.js';
import { SharedPacer } from '../../src/load/sharedPacer.js';
import { startTask } from '../helpers/threads.js';

describe('SharedPacer across worker threads', () => {
  test('threads taking slots at once get every slot exactly once, on one start, at start + k/rate', async () => {
    const threads = 4;
    const takes = 20_000;
    const maxRun = 5;
    const rate = 1000;
    const handle = SharedPacer.create(rate);
    const control = new SharedArrayBuffer(4);
    const out = new SharedArrayBuffer(8 * 2 * threads * takes);
    const workers = Array.from({ length: threads }, (_, index) =>
      startTask({ task: 'pacer-take', handle, control, threads, out, index, takes, maxRun }),
    );
    await Promise.all(workers.map((w) => w.done));

    const pairs = new Float64Array(out);
    let total = 0;
    let start = Infinity;
    for (let i = 0; i < pairs.length; i += 2) {
      total += pairs[i + 1]!;
      start = Math.min(start, pairs[i]!);
    }
    const owner = new Int32Array(total);
    for (let i = 0; i < pairs.length; i += 2) {
      const due = pairs[i]!;
      const k = Math.round(((due - start) * rate) / 1000);
      assert.equal(due, slotDue(start, k, rate), `due ${due} is not on the schedule begun at ${start}`);
      for (let j = k; j < k + pairs[i + 1]!; j++) {
        assert.ok(j < total, `slot ${j} past the ${total} taken`);
        owner[j]!++;
      }
    }
    assert.ok(owner.every((n) => n === 1), `slots taken twice: ${owner.filter((n) => n > 1).length}, never: ${owner.filter((n) => n === 0).length}`);

    // A thread that never called begin() sees the same schedule: the probe in the main thread does.
    const view = new SharedPacer(handle, realClock);
    assert.equal(view.taken, total);
    assert.equal(view.dueBy(start), 1);
    assert.equal(view.take(), slotDue(start, total, rate));
    view.end();
    const other = new SharedPacer(handle, realClock);
    assert.equal(other.running, false, 'an end in one thread ends the schedule for all');
    const dueAtEnd = other.dueBy(realClock.monotonic());
    assert.equal(other.dueBy(realClock.monotonic() + 60_000), dueAtEnd, 'nothing falls due after the end');
  });
});
