import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { Pacer } from '../../src/load/pacer.js';

const T0 = 5_000_000;

describe('Pacer (open-loop read schedule)', () => {
  test('slot k is due at start + k/rate', () => {
    const clock = new FakeClock(T0);
    const p = new Pacer(clock, 4);
    assert.deepEqual([p.take(), p.take(), p.take(), p.take(), p.take()], [T0, T0 + 250, T0 + 500, T0 + 750, T0 + 1000]);
    assert.equal(p.taken, 5);
  });

  test('fractional intervals do not accumulate drift', () => {
    for (const rate of [3, 7, 333, 0.5, 12_345]) {
      const p = new Pacer(new FakeClock(T0), rate);
      for (let k = 0; k < 5000; k++) {
        const due = p.take();
        assert.ok(Math.abs(due - (T0 + (k * 1000) / rate)) < 1e-3, `rate ${rate} slot ${k}: ${due}`);
      }
    }
  });

  test('the schedule does not shift when the caller is late (open loop)', async () => {
    const clock = new FakeClock(T0);
    const p = new Pacer(clock, 10);
    assert.equal(p.take(), T0);
    await clock.advance(5_000); // a stall: 50 slots fell due meanwhile
    assert.equal(p.take(), T0 + 100, 'the next slot keeps its original due time');
    assert.equal(p.take(), T0 + 200);
    assert.equal(p.dueBy(clock.monotonic()), 51, 'offered load counts every slot due during the stall');
    // catching up: the caller may take every overdue slot at once, each with its own due time
    const dues: number[] = [];
    while (p.taken < p.dueBy(clock.monotonic())) dues.push(p.take());
    assert.equal(dues.length, 48);
    assert.equal(dues[0], T0 + 300);
    assert.equal(dues.at(-1), T0 + 5000);
    for (const d of dues) assert.ok(d <= clock.monotonic());
  });

  test('sleeping until each due time keeps the achieved rate at the target', async () => {
    const clock = new FakeClock(T0);
    const rate = 50;
    const p = new Pacer(clock, rate);
    let done = 0;
    const stop = T0 + 2000;
    const loop = (async () => {
      for (;;) {
        const due = p.take();
        if (due >= stop) return;
        await clock.sleep(due - clock.monotonic());
        assert.ok(clock.monotonic() >= due);
        done++;
      }
    })();
    for (let t = 0; t < 2000; t += 10) await clock.advance(10);
    await clock.advance(100);
    await loop;
    assert.equal(done, 100);
  });

  test('dueBy counts the slots that fell due, including the one due now', () => {
    const p = new Pacer(new FakeClock(T0), 4);
    assert.equal(p.dueBy(T0 - 1000), 0, 'nothing before the start');
    assert.equal(p.dueBy(T0 - 1), 0);
    assert.equal(p.dueBy(T0), 1, 'slot 0 is due at the start');
    assert.equal(p.dueBy(T0 + 249), 1);
    assert.equal(p.dueBy(T0 + 250), 2);
    assert.equal(p.dueBy(T0 + 999), 4);
    assert.equal(p.dueBy(T0 + 10_000), 41);
    assert.equal(p.taken, 0, 'dueBy takes nothing');
  });

  test('dueBy matches the due times handed out (integer slot times)', () => {
    for (const rate of [1, 4, 100, 1000]) {
      const p = new Pacer(new FakeClock(T0), rate);
      for (let k = 0; k < 3000; k++) {
        const due = p.take();
        assert.equal(p.dueBy(due), k + 1, `rate ${rate}: at slot ${k}'s due time`);
        assert.equal(p.dueBy(due - 0.01), k, `rate ${rate}: just before slot ${k}`);
      }
    }
  });

  test('restart begins a fresh schedule from now', async () => {
    const clock = new FakeClock(T0);
    const p = new Pacer(clock, 2);
    p.take();
    p.take();
    await clock.advance(7_000);
    p.restart();
    assert.equal(p.taken, 0);
    assert.equal(p.dueBy(clock.monotonic()), 1);
    assert.equal(p.take(), T0 + 7000);
    assert.equal(p.take(), T0 + 7500);
    assert.equal(p.dueBy(T0 + 6000), 0, 'time before the restart owes nothing');
  });

  test('the start is the clock at construction, not at the first take', async () => {
    const clock = new FakeClock(T0);
    const p = new Pacer(clock, 1);
    await clock.advance(3000);
    assert.equal(p.take(), T0);
    assert.equal(p.dueBy(clock.monotonic()), 4);
  });

  test('readers sharing one pacer never get the same slot', () => {
    const p = new Pacer(new FakeClock(T0), 1000);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) for (let r = 0; r < 4; r++) seen.add(p.take());
    assert.equal(seen.size, 4000);
    assert.equal(p.taken, 4000);
  });
});
