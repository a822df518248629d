import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type cassandra from 'cassandra-driver';
import { FakeClock, type Clock } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { IdLedger } from '../../src/load/idLedger.js';
import { AimdLimiter } from '../../src/load/limiter.js';
import { Pacer } from '../../src/load/pacer.js';
import type { RunIdentity } from '../../src/load/rowContent.js';
import { Writers } from '../../src/load/writers.js';
import { Recorder, type RecorderProbes } from '../../src/metrics/recorder.js';

const RUN: RunIdentity = { startMs: 1_800_000_000_000, nonce: 777 };
const BATCH = 10;

interface Call {
  rows: number;
  at: number;
  ack: () => void;
}

/** A client whose batches stay outstanding until the test acknowledges them (or at once with `auto`). */
function fakeClient(clock: Clock, auto: boolean) {
  const calls: Call[] = [];
  const client = {
    batch: (queries: unknown[]) =>
      new Promise<void>((resolve) => {
        calls.push({ rows: queries.length, at: clock.monotonic(), ack: () => resolve() });
        if (auto) resolve();
      }),
  } as unknown as cassandra.Client;
  return { client, calls };
}

function setup(o: { clock: FakeClock; client: cassandra.Client; rowsPerSec?: number; workers: number; inflight: number }) {
  const limiter = new AimdLimiter(o.inflight);
  const schedule = o.rowsPerSec !== undefined ? new Pacer(o.clock, o.rowsPerSec) : undefined;
  const rate = o.rowsPerSec;
  const probes: RecorderProbes = {
    readTarget: () => 0,
    readsDue: () => 0,
    inflight: () => ({ inflight: limiter.inflight, limit: limiter.limit }),
    loader: () => ({ cpuPercent: 0, busiestThreadPercent: 0, eventLoopDelayP99Ms: 0, rssMb: 0, heapMb: 0 }),
    ...(schedule && rate !== undefined
      ? { writeSchedule: () => ({ targetPerSec: schedule.running ? rate : 0, rowsDue: schedule.dueBy(o.clock.monotonic()), rowsTaken: schedule.taken }) }
      : {}),
  };
  const recorder = new Recorder(o.clock, probes, { kind: 'load-only' });
  const writers = new Writers({
    client: o.client,
    insertCql: 'INSERT',
    consistency: 1,
    workers: o.workers,
    batchMin: BATCH,
    batchMax: BATCH,
    biasHigh: false,
    batchesPerCycle: 256,
    maxAttempts: 6,
    run: RUN,
    ledger: new IdLedger(100_000),
    limiter,
    schedule,
    recorder,
    clock: o.clock,
    log: memoryLogger(),
  });
  return { writers, recorder, limiter };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('Writers, open loop (SCY_WRITE_ROWS_PER_SEC)', () => {
  test('offers rows at the target rate: each batch goes out at its first row’s due time', async () => {
    const clock = new FakeClock();
    const { client, calls } = fakeClient(clock, true);
    const { writers, recorder } = setup({ clock, client, rowsPerSec: 1000, workers: 4, inflight: 96 });
    const t0 = clock.monotonic();
    writers.start();
    await flush();
    await clock.advance(1000);
    // 1000 rows/s in batches of 10: a batch every 10 ms, at 0, 10, …, 1000 ms.
    assert.equal(calls.length, 101);
    calls.forEach((c, k) => assert.equal(c.at - t0, k * 10, `batch ${k} sent at its due time`));
    const iv = recorder.tick();
    assert.equal(iv.writes.rows, 1010);
    assert.equal(iv.writes.targetRowsPerSec, 1000);
    assert.equal(iv.writes.rowsDue, 1001, 'slots at 0 … 1000 ms');
    assert.equal(iv.writes.behindRows, 0, 'nothing owed while the cluster keeps up');
    assert.ok(iv.writes.rowsSent >= 1010 && iv.writes.rowsSent <= 1010 + 4 * BATCH, `sent ${iv.writes.rowsSent}: at most a batch per writer taken ahead`);
    assert.ok(iv.writes.batchLatency.max < 0.01, `latency max ${iv.writes.batchLatency.max}: acknowledged at once, at the due time`);
    writers.stop();
    await clock.advance(500);
    assert.equal(await writers.drain(1000), 0);
    const afterStop = recorder.tick();
    assert.equal(afterStop.writes.rowsDue, 0, 'nothing falls due once writers stop');
    assert.equal(afterStop.writes.behindRows, 0, 'a stop is not falling behind');
    assert.equal(afterStop.writes.targetRowsPerSec, 0);
  });

  test('a stalled cluster shows as latency from the due time and a growing backlog, not as a lower offered rate', async () => {
    const clock = new FakeClock();
    const { client, calls } = fakeClient(clock, false);
    const { writers, recorder, limiter } = setup({ clock, client, rowsPerSec: 1000, workers: 2, inflight: 5 });
    writers.start();
    await flush();
    await clock.advance(500);
    assert.equal(calls.length, 5, 'the in-flight cap still bounds what is out');
    const first = recorder.tick();
    assert.equal(first.writes.rows, 0);
    assert.equal(first.writes.rowsDue, 501, 'the schedule kept asking');
    assert.equal(first.writes.targetRowsPerSec, 1000);
    assert.equal(first.writes.behindRows, 501 - 5 * BATCH);
    await clock.advance(500);
    const second = recorder.tick();
    assert.equal(second.writes.rowsDue, 500);
    assert.equal(second.writes.rowsSent, 0);
    assert.equal(second.writes.behindRows, 1001 - 5 * BATCH, 'the backlog grows while the stall lasts');

    // The cluster answers at +1000 ms: the freed permits go to the overdue batches at once, with their old due times.
    for (const c of calls.splice(0)) c.ack();
    await flush();
    assert.equal(calls.length, 5, 'five overdue batches go out as soon as permits are free');
    assert.ok(calls.every((c) => c.at === clock.monotonic()));
    await clock.advance(10);
    for (const c of calls.splice(0)) c.ack();
    await flush();
    const third = recorder.tick();
    assert.equal(third.writes.batches, 10);
    // First wave: due 0–40 ms, acknowledged at 1000 ms. Second wave: due 50–90 ms, sent at 1000 ms, acknowledged
    // at 1010 ms: 920–960 ms from the due time, 10 ms of it service time.
    assert.ok(third.writes.batchLatency.p50 >= 900, `latency from due p50 ${third.writes.batchLatency.p50}`);
    assert.ok(Math.abs(third.writes.batchLatency.max - 1000) < 1, `latency from due max ${third.writes.batchLatency.max}`);
    assert.ok(Math.abs(third.writes.serviceLatency.p50 - 10) < 0.1, `service p50 ${third.writes.serviceLatency.p50}`);
    writers.stop();
    for (let i = 0; i < 5 && limiter.inflight > 0; i++) {
      for (const c of calls.splice(0)) c.ack();
      await flush();
    }
    assert.equal(await writers.drain(100), 0);
  });

  test('unset, writers keep the closed loop: as fast as the limiter allows, no schedule figures', async () => {
    const clock = new FakeClock();
    const { client, calls } = fakeClient(clock, true);
    const { writers, recorder } = setup({ clock, client, workers: 2, inflight: 8 });
    writers.start();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    writers.stop();
    assert.equal(await writers.drain(100), 0);
    assert.ok(calls.length > 100, `${calls.length} batches without the clock moving: nothing paces them`);
    const iv = recorder.tick();
    assert.equal(iv.writes.rowsDue, 0);
    assert.equal(iv.writes.rowsSent, 0);
    assert.equal(iv.writes.targetRowsPerSec, 0);
    assert.equal(iv.writes.behindRows, 0);
    assert.equal(iv.writes.rows, calls.length * BATCH);
  });
});
