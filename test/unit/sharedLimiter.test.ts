import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedAimdLimiter } from '../../src/load/sharedLimiter.js';
import type { Permit } from '../../src/load/limiter.js';
import { HAMMER_STATS } from '../helpers/threadTasks.js';
import { firstMessage, startTask } from '../helpers/threads.js';

/** Waits (bounded) until `check` holds: a grant to a waiter takes a task hop through Atomics.waitAsync. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('SharedAimdLimiter in one thread', () => {
  test('waiters are served in arrival order, one per freed permit', async () => {
    const l = new SharedAimdLimiter(SharedAimdLimiter.create(2));
    const held = [l.tryAcquire()!, l.tryAcquire()!];
    const order: string[] = [];
    const got: Record<string, Permit | null> = {};
    for (const name of ['A', 'B', 'C']) void l.acquire().then((p) => (order.push(name), (got[name] = p)));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(order, [], 'nobody gets in while the limit is reached');
    assert.equal(l.tryAcquire(), null, 'a fresh arrival does not overtake the waiters');
    l.release(held[0]!, 'ok');
    await eventually(() => order.length === 1, 'first waiter');
    l.release(held[1]!, 'ok');
    await eventually(() => order.length === 2, 'second waiter');
    assert.equal(l.inflight, 2);
    l.release(got.A!, 'ok');
    await eventually(() => order.length === 3, 'third waiter');
    assert.deepEqual(order, ['A', 'B', 'C']);
    for (const n of ['B', 'C']) l.release(got[n]!, 'ok');
    assert.equal(l.inflight, 0);
    assert.ok(l.tryAcquire(), 'no waiter is left counted once all were served');
  });

  test('an aborted waiter returns null and does not keep the next one from its permit', async () => {
    const l = new SharedAimdLimiter(SharedAimdLimiter.create(1));
    const held = l.tryAcquire()!;
    const stop = new AbortController();
    const a = l.acquire(stop.signal);
    let b: Permit | null | undefined;
    void l.acquire().then((p) => (b = p));
    stop.abort();
    assert.equal(await a, null);
    l.release(held, 'ok');
    await eventually(() => b !== undefined, 'B gets the freed permit');
    assert.ok(b);
    assert.equal(l.inflight, 1);
  });
});

describe('SharedAimdLimiter across worker threads', () => {
  test('threads hammering acquire/release lose no permit, count each once and never exceed the cap', async () => {
    const cap = 6;
    const threads = 4;
    const lanes = 8;
    const iterations = 200;
    const handle = SharedAimdLimiter.create(cap);
    const stats = new SharedArrayBuffer(4 * HAMMER_STATS.slots);
    const workers = Array.from({ length: threads }, () =>
      startTask({ task: 'limiter-hammer', handle, stats, lanes, iterations, outcomes: ['ok', 'neutral'] }),
    );
    await Promise.all(workers.map((w) => w.done));
    const s = new Int32Array(stats);
    const l = new SharedAimdLimiter(handle);
    assert.equal(s[HAMMER_STATS.nulls], 0, 'an acquire without a signal never returns null');
    assert.equal(s[HAMMER_STATS.grants], threads * lanes * iterations, 'every acquire was granted once');
    assert.equal(s[HAMMER_STATS.releases], s[HAMMER_STATS.grants]);
    assert.equal(l.inflight, 0, 'every permit came back');
    assert.equal(s[HAMMER_STATS.maxHeld], cap, `${threads * lanes} lanes filled the cap and never went past it`);
    assert.equal(l.cuts, 0);
    assert.equal(l.limit, cap);
    assert.ok(l.tryAcquire(), 'no thread is left counted as waiting');
  });

  test('with overloads in the mix the limit is cut, stays within floor and cap, and no permit is lost', async () => {
    const cap = 16;
    const floor = 2;
    const handle = SharedAimdLimiter.create(cap, floor);
    const stats = new SharedArrayBuffer(4 * HAMMER_STATS.slots);
    const workers = Array.from({ length: 3 }, () =>
      startTask({ task: 'limiter-hammer', handle, stats, lanes: 10, iterations: 200, outcomes: ['ok', 'ok', 'ok', 'neutral', 'overload'] }),
    );
    await Promise.all(workers.map((w) => w.done));
    const s = new Int32Array(stats);
    const l = new SharedAimdLimiter(handle);
    assert.equal(s[HAMMER_STATS.grants], 3 * 10 * 200);
    assert.equal(s[HAMMER_STATS.releases], s[HAMMER_STATS.grants]);
    assert.equal(l.inflight, 0);
    assert.ok(s[HAMMER_STATS.maxHeld]! <= cap, `held ${s[HAMMER_STATS.maxHeld]} at once, cap ${cap}`);
    assert.ok(l.cuts > 0, 'overloads cut the limit');
    assert.ok(l.limit >= floor && l.limit <= cap, `limit ${l.limit}`);
    assert.ok(l.tryAcquire());
  });

  for (const overloadFrom of ['all', 'first'] as const) {
    test(`overloads from ${overloadFrom === 'all' ? 'every thread in one epoch cut once' : 'one thread cut the limit'}, and every thread sees it`, async () => {
      const threads = 4;
      const handle = SharedAimdLimiter.create(32);
      const control = new SharedArrayBuffer(8);
      const workers = Array.from({ length: threads }, (_, index) =>
        startTask({ task: 'limiter-cut', handle, control, threads, index, overloadFrom }),
      );
      const seen = (await Promise.all(workers.map((w) => w.done))).map((m) => m[0]);
      for (const s of seen) assert.deepEqual(s, { limit: 16, cuts: 1, inflight: 0 });
    });
  }

  test('aborted waiters in a worker return null; a waiting worker stays alive and gets a permit freed in another thread', async () => {
    const handle = SharedAimdLimiter.create(2);
    const here = new SharedAimdLimiter(handle);
    const held = [here.tryAcquire()!, here.tryAcquire()!];
    const { worker, done } = startTask({ task: 'limiter-abort', handle, waits: 3 });
    assert.deepEqual(await firstMessage(worker), { queued: 3, inflight: 2 });
    assert.equal(here.tryAcquire(), null, "the worker's waiters hold back fresh arrivals here too");
    worker.postMessage('abort');
    assert.deepEqual(await firstMessage(worker), { nulls: 3 });
    await new Promise((r) => setTimeout(r, 50));
    here.release(held[0]!, 'ok');
    const [, , granted] = await done;
    assert.deepEqual(granted, { granted: true, inflight: 2 });
    assert.equal(here.inflight, 1, 'the worker gave its permit back');
    here.release(held[1]!, 'ok');
    assert.equal(here.inflight, 0);
  });

  test("a thread that ends holding permits and queued waiters: forget gives them back to the threads that go on", async () => {
    const handle = SharedAimdLimiter.create(3, 1, 0.5, 2);
    const here = new SharedAimdLimiter(handle, 0);
    const { worker, done } = startTask({ task: 'limiter-hold', handle, owner: 1, hold: 3, waits: 2 });
    const ended = done.then(() => 'exited', () => 'terminated');
    assert.deepEqual(await firstMessage(worker), { inflight: 3 });
    assert.equal(here.tryAcquire(), null, 'the cap is taken, and waiters are queued');
    await worker.terminate();
    assert.equal(await ended, 'terminated');
    assert.equal(here.inflight, 3, 'a dead thread still counts until forgotten');
    SharedAimdLimiter.forget(handle, 1);
    assert.equal(here.inflight, 0);
    const permits = [here.tryAcquire(), here.tryAcquire(), here.tryAcquire()];
    assert.ok(permits.every((p) => p !== null), 'the whole cap is back, on the fast path (no waiter left counted)');
    for (const p of permits) here.release(p!, 'ok');
    SharedAimdLimiter.forget(handle, 0);
    assert.equal(here.inflight, 0, 'forgetting an owner that holds nothing changes nothing');
  });

  test('an owner outside the handle is refused', () => {
    assert.throws(() => new SharedAimdLimiter(SharedAimdLimiter.create(2, 1, 0.5, 2), 2), /owner 2 out of 0..1/);
  });
});
