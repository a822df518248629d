import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AimdLimiter, type InflightLimiter, type Permit } from '../../src/load/limiter.js';
import { SharedAimdLimiter } from '../../src/load/sharedLimiter.js';

async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
  await new Promise<void>((r) => setImmediate(r));
}

function takeAll(l: InflightLimiter): Permit[] {
  const out: Permit[] = [];
  for (let p = l.tryAcquire(); p; p = l.tryAcquire()) out.push(p);
  return out;
}

// The AIMD rules are the same whether the state lives in this thread or in shared memory.
const IMPLEMENTATIONS: [string, (cap: number, floor?: number, decrease?: number) => InflightLimiter][] = [
  ['AimdLimiter', (cap, floor, decrease) => new AimdLimiter(cap, floor, decrease)],
  ['SharedAimdLimiter (one thread)', (cap, floor, decrease) => new SharedAimdLimiter(SharedAimdLimiter.create(cap, floor, decrease))],
];

for (const [name, make] of IMPLEMENTATIONS) {
  describe(`${name}: the AIMD limit`, () => {
    test('starts at its cap with nothing in flight', () => {
      const l = make(96);
      assert.equal(l.limit, 96);
      assert.equal(l.inflight, 0);
      assert.equal(l.cuts, 0);
    });

    test('tryAcquire hands out exactly `limit` permits, then null until one is released', () => {
      const l = make(5);
      const permits = takeAll(l);
      assert.equal(permits.length, 5);
      assert.equal(l.inflight, 5);
      assert.equal(l.tryAcquire(), null);
      l.release(permits[0]!, 'neutral');
      assert.equal(l.inflight, 4);
      assert.ok(l.tryAcquire());
      assert.equal(l.tryAcquire(), null);
    });

    test('never exceeds the cap however many batches succeed', () => {
      const l = make(8);
      for (let i = 0; i < 10_000; i++) {
        const p = l.tryAcquire();
        assert.ok(p);
        l.release(p, 'ok');
        assert.ok(l.limit <= 8);
      }
      assert.equal(l.limit, 8);
      assert.equal(takeAll(l).length, 8);
    });

    test('neutral releases neither cut nor grow', () => {
      const l = make(16);
      const [p] = takeAll(l);
      l.release(p!, 'overload');
      assert.equal(l.limit, 8);
      for (let i = 0; i < 100; i++) {
        const q = l.tryAcquire()!;
        l.release(q, 'neutral');
      }
      assert.equal(l.limit, 8);
      assert.equal(l.cuts, 1);
    });

    test('overload halves the limit', () => {
      const l = make(100);
      const p = l.tryAcquire()!;
      l.release(p, 'overload');
      assert.equal(l.limit, 50);
      assert.equal(l.cuts, 1);
      const q = l.tryAcquire()!;
      l.release(q, 'overload');
      assert.equal(l.limit, 25);
      assert.equal(l.cuts, 2);
    });

    test('a burst of overloads from permits taken before the cut cuts once', () => {
      const l = make(64);
      const before = takeAll(l);
      assert.equal(before.length, 64);
      for (const p of before) l.release(p, 'overload');
      assert.equal(l.limit, 32, 'one congestion event halves once');
      assert.equal(l.cuts, 1);
      assert.equal(l.inflight, 0);
      // a permit taken after the cut belongs to the new epoch: its overload is a new event
      const after = l.tryAcquire()!;
      l.release(after, 'overload');
      assert.equal(l.limit, 16);
      assert.equal(l.cuts, 2);
    });

    test('old-epoch overloads mixed with new-epoch ones cut once per epoch', () => {
      const l = make(64);
      const old = [l.tryAcquire()!, l.tryAcquire()!, l.tryAcquire()!];
      l.release(old[0]!, 'overload'); // cut 1 → 32
      const fresh = l.tryAcquire()!;
      l.release(old[1]!, 'overload'); // stale: ignored
      l.release(fresh, 'overload'); // cut 2 → 16
      l.release(old[2]!, 'overload'); // stale: ignored
      assert.equal(l.limit, 16);
      assert.equal(l.cuts, 2);
    });

    test('grows back additively, about +1 per window of acknowledged batches', () => {
      const cap = 32;
      const l = make(cap);
      l.release(l.tryAcquire()!, 'overload');
      assert.equal(l.limit, 16);
      // One window of L successes raises the limit by about one, not multiplicatively.
      let releases = 0;
      const stepsPerLevel: number[] = [];
      let level = l.limit;
      let since = 0;
      while (l.limit < cap && releases < 100_000) {
        const p = l.tryAcquire()!;
        l.release(p, 'ok');
        releases++;
        since++;
        assert.ok(l.limit - level <= 1, 'grows by at most one at a time');
        if (l.limit > level) {
          stepsPerLevel.push(since);
          level = l.limit;
          since = 0;
        }
      }
      assert.equal(l.limit, cap);
      assert.equal(stepsPerLevel.length, 16);
      // From level L it takes about L successes to reach L + 1.
      stepsPerLevel.forEach((n, i) => {
        const L = 16 + i;
        assert.ok(n >= L - 1 && n <= L + 2, `from ${L}: ${n} successes`);
      });
      const expected = Array.from({ length: 16 }, (_, i) => 16 + i).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(releases - expected) <= 20, `${releases} successes to recover, expected ≈ ${expected}`);
    });

    test('the floor is respected however many overloads arrive', () => {
      const l = make(40, 3);
      for (let i = 0; i < 50; i++) {
        const p = l.tryAcquire()!;
        assert.ok(p, 'the floor still admits work');
        l.release(p, 'overload');
        assert.ok(l.limit >= 3);
      }
      assert.equal(l.limit, 3);
      assert.equal(takeAll(l).length, 3);
    });

    test('a custom decrease factor is used', () => {
      const l = make(100, 1, 0.8);
      l.release(l.tryAcquire()!, 'overload');
      assert.equal(l.limit, 80);
    });

    test('acquire resolves at once while under the limit', async () => {
      const l = make(2);
      const p = await l.acquire();
      assert.ok(p);
      assert.equal(l.inflight, 1);
    });
  });
}

describe('AimdLimiter: waiters', () => {
  test('acquire waits while full and waiters wake in order, one per release', async () => {
    const l = new AimdLimiter(2);
    const held = takeAll(l);
    const order: string[] = [];
    const got: Record<string, Permit | null> = {};
    const waiter = (name: string): Promise<void> =>
      l.acquire().then((p) => {
        order.push(name);
        got[name] = p;
      });
    const all = [waiter('A'), waiter('B'), waiter('C')];
    await flush();
    assert.deepEqual(order, [], 'nobody gets in while the limit is reached');
    l.release(held[0]!, 'ok');
    await flush();
    assert.deepEqual(order, ['A']);
    l.release(held[1]!, 'ok');
    await flush();
    assert.deepEqual(order, ['A', 'B']);
    assert.equal(l.inflight, 2);
    l.release(got.A!, 'ok');
    await flush();
    assert.deepEqual(order, ['A', 'B', 'C']);
    await Promise.all(all);
    assert.equal(l.inflight, 2);
  });

  test('waiters keep their order when a cut makes the woken one wait again', async () => {
    const l = new AimdLimiter(4);
    const held = takeAll(l);
    const order: string[] = [];
    for (const name of ['A', 'B', 'C']) void l.acquire().then(() => order.push(name));
    await flush();
    l.release(held[0]!, 'overload'); // limit 4 → 2 with 3 still in flight: nobody can enter yet
    await flush();
    assert.deepEqual(order, []);
    l.release(held[1]!, 'ok'); // 2 in flight, limit 2: still full
    await flush();
    assert.deepEqual(order, []);
    l.release(held[2]!, 'ok'); // 1 in flight: the first waiter enters
    await flush();
    assert.deepEqual(order, ['A'], 'the longest waiter must enter first');
  });

  test('acquire(signal) returns null as soon as the signal aborts', async () => {
    const l = new AimdLimiter(1);
    const held = l.tryAcquire()!;
    const stop = new AbortController();
    const a = l.acquire(stop.signal);
    const b = l.acquire(stop.signal);
    await flush();
    stop.abort();
    assert.equal(await a, null);
    assert.equal(await b, null);
    assert.equal(l.inflight, 1, 'aborted waiters take no permit');
    l.release(held, 'ok');
    assert.equal(l.inflight, 0);
  });

  test('acquire with an already aborted signal returns null without a permit', async () => {
    const l = new AimdLimiter(5);
    const stop = new AbortController();
    stop.abort();
    assert.equal(await l.acquire(stop.signal), null);
    assert.equal(l.inflight, 0);
  });

  test('an aborted waiter does not swallow the wake-up meant for the next one', async () => {
    const l = new AimdLimiter(1);
    const held = l.tryAcquire()!;
    const aStop = new AbortController();
    const a = l.acquire(aStop.signal);
    let bPermit: Permit | null | undefined;
    void l.acquire().then((p) => (bPermit = p));
    await flush();
    aStop.abort();
    l.release(held, 'ok');
    assert.equal(await a, null);
    await flush();
    assert.ok(bPermit, 'B must get the free slot (nothing else is in flight to release it later)');
    assert.equal(l.inflight, 1);
  });

  test('many waits on one signal add one abort listener, and a later abort touches only waiting acquirers', async () => {
    const l = new AimdLimiter(1);
    let held = l.tryAcquire()!;
    const stop = new AbortController();
    for (let round = 0; round < 50; round++) {
      const next = l.acquire(stop.signal);
      l.release(held, 'ok');
      const p = await next;
      assert.ok(p, `round ${round}: the waiter gets the freed permit`);
      held = p;
    }
    assert.equal(getEventListeners(stop.signal, 'abort').length, 1);
    const other = new AbortController();
    const waiting = l.acquire(stop.signal);
    const otherWaiting = l.acquire(other.signal);
    stop.abort();
    assert.equal(await waiting, null);
    assert.equal(l.inflight, 1, 'the permit already granted is still held');
    l.release(held, 'ok');
    assert.ok(await otherWaiting, 'a waiter on another signal is not dropped');
  });
});
