import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { IdLedger } from '../../src/load/idLedger.js';
import { boardPicker, LedgerBoard } from '../../src/load/ledgerBoard.js';
import { loaderIdentity, newRunIdentity } from '../../src/load/rowContent.js';
import { proportionalShares, shareOf } from '../../src/load/threadPool.js';
import { loaderThreads } from '../../src/run/loadFor.js';
import { SpanAccumulator, type SpanWire } from '../../src/metrics/span.js';
import { IntervalCounter } from '../../src/metrics/threadRecorder.js';
import { seededRandom } from '../../src/load/rowContent.js';
import { startTask } from '../helpers/threads.js';
import { loadConfig } from '../../src/config/load.js';

const defaults = loadConfig({ env: { SCY_CONTACT_POINTS: '127.0.0.1' }, flags: {}, envFile: null, cwd: '/' });

function nextMessage<T>(worker: Worker, match: (m: unknown) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (!match(m)) return;
      worker.off('message', on);
      resolve(m as T);
    };
    worker.on('message', on);
  });
}

test('an interval boundary is one instant for every thread: nothing recorded after it lands before it, nothing is lost or counted twice', async () => {
  const interval = IntervalCounter.create();
  const control = new SharedArrayBuffer(4);
  const counter = new IntervalCounter(interval);
  const tasks = Array.from({ length: 3 }, () => startTask({ task: 'interval-record', interval, control }));
  const collect = async (): Promise<{ upTo: number; spans: (SpanAccumulator | null)[] }> => {
    const upTo = counter.advance();
    const replies = await Promise.all(
      tasks.map(({ worker }) => {
        const reply = nextMessage<{ upTo: number; span: SpanWire | null }>(worker, (m) => (m as { upTo?: number }).upTo === upTo);
        worker.postMessage({ upTo });
        return reply;
      }),
    );
    return { upTo, spans: replies.map((r) => (r.span ? SpanAccumulator.fromWire(r.span) : null)) };
  };
  const perThread = [0, 0, 0];
  let intervalsWithSamples = 0;
  const check = ({ upTo, spans }: Awaited<ReturnType<typeof collect>>): void => {
    spans.forEach((s, i) => {
      if (!s) return;
      perThread[i]! += s.rows;
      intervalsWithSamples++;
      // Every sample carries the interval number its thread read just before recording it (+1, in µs).
      assert.ok(s.batchLatency.stats().max * 1000 <= upTo + 1, `interval ${upTo} holds a sample recorded after its boundary`);
    });
  };
  for (let k = 0; k < 40; k++) {
    await new Promise((resolve) => setTimeout(resolve, 3));
    check(await collect());
  }
  const done = tasks.map(({ worker }) => nextMessage<{ recorded: number }>(worker, (m) => 'recorded' in (m as object)));
  Atomics.store(new Int32Array(control), 0, 1);
  const recorded = (await Promise.all(done)).map((d) => d.recorded);
  check(await collect());
  for (const { worker } of tasks) worker.postMessage({ close: true });
  await Promise.all(tasks.map((t) => t.done));
  assert.deepEqual(perThread, recorded, 'every sample of every thread is collected exactly once');
  assert.ok(recorded.every((n) => n > 0));
  assert.ok(intervalsWithSamples > 40, `samples spread over many intervals (${intervalsWithSamples})`);
});

test("a reader in one thread picks only another thread's acknowledged rows, failed ranges stepped over", () => {
  const board = new LedgerBoard(LedgerBoard.create(2));
  const base = newRunIdentity(1_800_000_000_000);
  const ids = [loaderIdentity(base, 0), loaderIdentity(base, 1)];
  const writer = new IdLedger(1000, (l) => board.publish(1, l));
  const reader = new IdLedger(1000, (l) => board.publish(0, l));
  const pick = boardPicker(board, 0, reader, ids);
  const random = seededRandom(7);
  assert.equal(pick.pick(random), null, 'nothing acknowledged anywhere yet');
  // Thread 1 acknowledges 0..99, gives up 100..109, acknowledges 110..199 out of order, and has 200..209 still out.
  const batches = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200].map((s) => writer.reserve(10));
  for (const s of batches.slice(0, 10).reverse()) writer.acknowledge(s, 10);
  for (const s of batches.slice(11, 20)) writer.acknowledge(s, 10);
  writer.fail(batches[10]!, 10);
  let fromOther = 0;
  for (let i = 0; i < 2000; i++) {
    const row = pick.pick(random);
    if (!row) continue;
    assert.deepEqual(row.run, ids[1], 'only thread 1 has rows');
    assert.ok(writer.isAcknowledged(row.seq), `seq ${row.seq} is acknowledged`);
    assert.ok(row.seq >= 110 && row.seq < 200, `seq ${row.seq} lies between the last failure and the watermark`);
    fromOther++;
  }
  assert.ok(fromOther > 500, 'about half the picks go to the other thread');
  // Its own rows come from its own ledger, which knows every acknowledged one.
  reader.acknowledge(reader.reserve(5), 5);
  const own = Array.from({ length: 200 }, () => pick.pick(random)).filter((r) => r?.run === ids[0]);
  assert.ok(own.length > 0 && own.every((r) => r!.seq < 5));
});

test('shareOf splits a total over threads so the parts add up, each at least its minimum', () => {
  for (const [total, parts] of [[8, 2], [7, 3], [1, 4], [0, 3], [1000, 7]] as const) {
    const shares = Array.from({ length: parts }, (_, i) => shareOf(total, parts, i));
    assert.equal(shares.reduce((a, b) => a + b, 0), total);
    assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
  }
  assert.deepEqual([0, 1, 2, 3].map((i) => shareOf(1, 4, i, 1)), [1, 1, 1, 1]);
});

test('a sample split over threads by their rows adds up to exactly the sample, no thread above its rows', () => {
  assert.deepEqual(proportionalShares(200_000, [514_120, 514_119]), [100_000, 100_000], 'a sample of 200,000 is 200,000, not 200,001');
  assert.deepEqual(proportionalShares(10, [1, 1, 1]), [1, 1, 1], 'more than there is: every row');
  assert.deepEqual(proportionalShares(2, [1, 1, 1]), [1, 1, 0]);
  assert.deepEqual(proportionalShares(5, [0, 10]), [0, 5]);
  assert.deepEqual(proportionalShares(0, [3, 4]), [0, 0]);
  const weights = [7, 13, 29, 1, 50];
  for (let limit = 0; limit <= 100; limit++) {
    const s = proportionalShares(limit, weights);
    assert.equal(s.reduce((a, b) => a + b, 0), limit);
    s.forEach((x, i) => assert.ok(x <= weights[i]! && Math.abs(x - (limit * weights[i]!) / 100) < 1, `${limit}: ${s}`));
  }
});

test('closed-loop writes get every core the machine offers unless SCY_LOADER_THREADS says otherwise', () => {
  const closed = { ...defaults, loaderThreads: undefined };
  assert.equal(loaderThreads(closed, 8), 8);
  assert.equal(loaderThreads(closed, 1), 1);
  assert.equal(loaderThreads(closed, 256), 64, 'at most 64: the row ids name the thread in 6 bits');
  assert.equal(loaderThreads({ ...closed, loaderThreads: 3 }, 8), 3);
  assert.equal(loaderThreads({ ...closed, writeRowsPerSec: 1000, loaderThreads: 5 }, 8), 5, 'the setting wins over the estimate');
});

test('with every rate set, the default is the threads those rates need at half a core each, never more than the cores', () => {
  const open = (readRps: number, writeRowsPerSec: number, more: Partial<typeof defaults> = {}) => ({ ...defaults, loaderThreads: undefined, readRps, writeRowsPerSec, ...more });
  // The defaults' batches (10–50, upper half): a mean of 40 rows, ~22.5 µs a row.
  assert.equal(loaderThreads(open(2000, 10_000), 32), 1, '2,000 reads/s and 10,000 rows/s: ~0.5 core of driver work');
  assert.equal(loaderThreads(open(8000, 0), 32), 3, '8,000 reads/s ≈ 1.04 cores: 3 threads at half a core each');
  assert.equal(loaderThreads(open(0, 1_000_000), 64), 45, 'a million rows/s at batch ~40');
  assert.equal(loaderThreads(open(0, 50_000, { batchMin: 1, batchMax: 1 }), 32), 12, 'batch 1 pays the per-batch cost on every row');
  assert.equal(loaderThreads(open(1_000_000, 1_000_000), 16), 16, 'never more than the cores');
  assert.equal(loaderThreads(open(0, 0), 8), 1, 'nothing to send still runs one thread');
  assert.equal(loaderThreads({ ...open(2000, 0), writeWorkers: 0, writeRowsPerSec: undefined }, 8), 1, 'no writers: reads alone set the count');
});
