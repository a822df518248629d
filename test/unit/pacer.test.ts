import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, type Clock } from '../../src/clock.js';
import { Pacer, SlotRuns, type Schedule } from '../../src/load/pacer.js';
import { SharedPacer } from '../../src/load/sharedPacer.js';

const T0 = 5_000_000;

// The schedule is the same whether its counter lives in this thread or in shared memory.
const IMPLEMENTATIONS: [string, (clock: Clock, rate: number) => Schedule][] = [
  ['Pacer', (clock, rate) => new Pacer(clock, rate)],
  ['SharedPacer (one thread)', (clock, rate) => new SharedPacer(SharedPacer.create(rate), clock)],
];

/** A schedule begun at the clock's current time. */
function begun(make: (clock: Clock, rate: number) => Schedule, clock: Clock, rate: number): Schedule {
  const p = make(clock, rate);
  p.begin();
  return p;
}

for (const [name, make] of IMPLEMENTATIONS) {
  describe(`${name} (open-loop schedule)`, () => {
    test('slot k is due at start + k/rate', () => {
      const p = begun(make, new FakeClock(T0), 4);
      assert.deepEqual([p.take(), p.take(), p.take(), p.take(), p.take()], [T0, T0 + 250, T0 + 500, T0 + 750, T0 + 1000]);
      assert.equal(p.taken, 5);
    });

    test('take(n) owns n consecutive slots and returns the due time of the first', () => {
      const p = begun(make, new FakeClock(T0), 10);
      assert.equal(p.take(3), T0, 'slots 0-2');
      assert.equal(p.take(), T0 + 300, 'slot 3');
      assert.equal(p.take(5), T0 + 400, 'slots 4-8');
      assert.equal(p.take(1), T0 + 900);
      assert.equal(p.taken, 10);
    });

    test('fractional intervals do not accumulate drift', () => {
      for (const rate of [3, 7, 333, 0.5, 12_345]) {
        const p = begun(make, new FakeClock(T0), rate);
        for (let k = 0; k < 5000; k++) {
          const due = p.take();
          assert.ok(Math.abs(due - (T0 + (k * 1000) / rate)) < 1e-3, `rate ${rate} slot ${k}: ${due}`);
        }
      }
    });

    test('the schedule does not shift when the caller is late (open loop)', async () => {
      const clock = new FakeClock(T0);
      const p = begun(make, clock, 10);
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
      const p = begun(make, clock, rate);
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
      const p = begun(make, new FakeClock(T0), 4);
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
        const p = begun(make, new FakeClock(T0), rate);
        for (let k = 0; k < 3000; k++) {
          const due = p.take();
          assert.equal(p.dueBy(due), k + 1, `rate ${rate}: at slot ${k}'s due time`);
          assert.equal(p.dueBy(due - 0.01), k, `rate ${rate}: just before slot ${k}`);
        }
      }
    });

    test('the schedule starts at the first begin(); nothing is due before it and later calls change nothing', async () => {
      const clock = new FakeClock(T0);
      const p = make(clock, 2);
      await clock.advance(7_000);
      assert.equal(p.dueBy(clock.monotonic()), 0, 'time before begin owes nothing');
      assert.throws(() => p.take(), /before begin/);
      p.begin();
      assert.equal(p.dueBy(clock.monotonic()), 1);
      assert.equal(p.take(), T0 + 7000);
      await clock.advance(3_000);
      p.begin();
      assert.equal(p.take(), T0 + 7500, 'a second begin neither moves the start nor resets the slots');
      assert.equal(p.taken, 2);
      assert.equal(p.dueBy(T0 + 6000), 0);
    });

    test('end() stops slots falling due from then on; only the first call counts, and only after begin()', async () => {
      const clock = new FakeClock(T0);
      const p = make(clock, 10);
      p.end();
      assert.equal(p.running, false);
      p.begin();
      assert.equal(p.running, true, 'an end before the begin does not end the schedule to come');
      await clock.advance(1000);
      p.end();
      assert.equal(p.running, false);
      assert.equal(p.dueBy(clock.monotonic()), 11);
      await clock.advance(5000);
      p.end();
      assert.equal(p.dueBy(clock.monotonic()), 11, 'a stop is not falling behind');
      assert.equal(p.dueBy(T0 + 500), 6, 'times before the end count as before');
    });

    test('readers sharing one schedule never get the same slot', () => {
      const p = begun(make, new FakeClock(T0), 1000);
      const seen = new Set<number>();
      for (let i = 0; i < 1000; i++) for (let r = 0; r < 4; r++) seen.add(p.take());
      assert.equal(seen.size, 4000);
      assert.equal(p.taken, 4000);
    });

    test('SlotRuns hands out every slot of a run at its own due time, claiming a window of slots at once', () => {
      const p = begun(make, new FakeClock(T0), 2000);
      const runs = new SlotRuns(p, 4);
      const dues = Array.from({ length: 9 }, () => runs.next());
      assert.equal(p.taken, 16, 'two runs of the 8 slots due within 4 ms');
      for (let k = 0; k < 9; k++) assert.ok(Math.abs(dues[k]! - (T0 + k * 0.5)) < 1e-9, `slot ${k}: ${dues[k]}`);
    });

    test('SlotRuns of two callers on one schedule: runs alternate whole, no slot twice or skipped', () => {
      const p = begun(make, new FakeClock(T0), 10_000);
      const a = new SlotRuns(p, 1);
      const b = new SlotRuns(p, 1);
      const seen = new Map<number, string>();
      for (let i = 0; i < 100; i++) {
        for (const [who, r] of [['a', a], ['b', b]] as const) {
          const slot = Math.round((r.next() - T0) * 10);
          assert.equal(seen.has(slot), false, `slot ${slot} handed out twice`);
          seen.set(slot, who);
        }
      }
      assert.equal(seen.size, 200);
      assert.deepEqual([...seen.keys()].sort((x, y) => x - y), Array.from({ length: 200 }, (_, k) => k), 'slots 0-199, each once');
      assert.deepEqual([0, 9, 10, 19, 20].map((k) => seen.get(k)), ['a', 'a', 'b', 'b', 'a'], 'runs of 10 (1 ms at 10,000/s) go whole to one caller');
    });

    test('SlotRuns below one slot per window claims one slot at a time', () => {
      const p = begun(make, new FakeClock(T0), 100);
      const runs = new SlotRuns(p, 4);
      assert.equal(runs.next(), T0);
      assert.equal(p.taken, 1);
      assert.equal(runs.next(), T0 + 10);
      assert.equal(p.taken, 2);
    });
  });
}
