import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realClock } from '../../src/clock.js';
import type { InstantClientOptions } from '../../src/local/instantClient.js';
import { newRunIdentity } from '../../src/load/rowContent.js';
import { ThreadedLoad } from '../../src/load/threadPool.js';
import type { SpanAccumulator } from '../../src/metrics/span.js';
import { memoryLogger } from '../../src/log.js';
import { testConfig } from '../helpers/runHarness.js';

// Real worker threads, each with an in-process stand-in client instead of a cluster: the pool's plumbing
// (shared limit and schedule, interval collection, verification, stop and drain, a dying thread) end to end.
function pool(standIn: (thread: number) => InstantClientOptions, env: Record<string, string> = {}, answerWithinMs?: number) {
  const config = testConfig({ SCY_CONTACT_POINTS: '127.0.0.1', SCY_LOCAL_DC: 'datacenter1', SCY_READ_RPS: '2000', SCY_BATCH_INFLIGHT: '8', ...env });
  const losses: string[] = [];
  const events: { type: string }[] = [];
  const log = memoryLogger();
  const load = new ThreadedLoad({
    threads: 2,
    config,
    target: { keyspace: 'ks', table: 't', localDc: 'datacenter1', rf: 1 },
    run: newRunIdentity(Date.now()),
    clock: realClock,
    log,
    onLoss: (kind, id) => losses.push(`${kind} ${id}`),
    onEvent: (e) => events.push(e),
    standIn,
    ...(answerWithinMs !== undefined ? { answerWithinMs } : {}),
  });
  return { load, losses, events, log };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('two threads write and read in every interval, share one limit, and verify every acknowledged row', async () => {
  // Each thread's stand-in knows only its own writes, and readers read every thread's rows: every id reads back.
  const { load, losses } = pool(() => ({ latencyMs: 2 }));
  await load.start();
  const spans: SpanAccumulator[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      await sleep(300);
      const span = await load.closeInterval();
      assert.ok(span, `interval ${i} has samples`);
      spans.push(span);
      assert.ok(load.inflight().inflight <= 8, 'one in-flight cap for both threads');
    }
    load.stop();
    const left = await load.drain(5000);
    assert.deepEqual(left, { writes: 0, reads: 0 });
    const last = await load.closeInterval();
    if (last) spans.push(last);
    // Every interval after the readers began has rows and reads from both threads.
    for (const s of spans.slice(1)) {
      const shares = s.stats(0).threads!;
      assert.deepEqual(shares.map((t) => t.thread).sort(), [0, 1]);
      assert.ok(shares.every((t) => t.rows > 0 && t.reads > 0), JSON.stringify(shares));
    }
    const rows = spans.reduce((n, s) => n + s.rows, 0);
    assert.equal(load.acknowledgedRows, rows, 'every acknowledged row was counted once in some interval');
    const report = await load.verify(1_000_000);
    assert.equal(report?.checked, rows);
    assert.equal(report?.missing, 0);
    assert.deepEqual(losses, []);
    assert.deepEqual(load.failures, []);
  } finally {
    await load.close();
  }
});

/** Thread `lost` is the one failure, reported with `error` in the failures, the events and the log. */
function expectThreadReportedLost(p: Pick<ReturnType<typeof pool>, 'load' | 'events' | 'log'>, lost: number, error: RegExp): void {
  const { load, events, log } = p;
  assert.equal(load.failures.length, 1);
  assert.equal(load.failures[0]!.thread, lost);
  assert.match(load.failures[0]!.error, error);
  assert.ok(events.some((e) => e.type === 'loader-thread-died'));
  assert.ok(log.lines.some((l) => new RegExp(`loader thread ${lost} died`).test(l)));
}

/** Thread `lost` (of 2) is the one failure, reported with `error`; the other thread alone goes on writing. */
async function expectOnlyThreadLost(p: Pick<ReturnType<typeof pool>, 'load' | 'events' | 'log'>, lost: number, error: RegExp): Promise<void> {
  const { load } = p;
  expectThreadReportedLost(p, lost, error);
  await sleep(200);
  const span = await load.closeInterval();
  const other = 1 - lost;
  assert.ok(span && span.rows > 0, `thread ${other} still writes`);
  assert.deepEqual(span.stats(0).threads!.map((t) => t.thread), [other]);
}

test('a thread that dies is reported with its error; the other thread goes on and the run still drains', async () => {
  const { load, events, log } = pool((thread) => (thread === 1 ? { crashAfterBatches: 20 } : {}));
  await load.start();
  try {
    await sleep(400);
    await load.closeInterval();
    await expectOnlyThreadLost({ load, events, log }, 1, /stand-in client crashed after 20 batches/);
    load.stop();
    assert.equal((await load.drain(5000)).writes, 0);
  } finally {
    await load.close();
  }
});

test('a thread whose event loop blocks for good is stopped and reported once its collect goes unanswered; intervals go on', async () => {
  // Its batches take 5 ms, so it blocks with some of the one in-flight cap in hand.
  const { load, events, log } = pool((thread) => (thread === 0 ? { hangAfterBatches: 20, latencyMs: 5 } : {}), {}, 800);
  await load.start();
  try {
    await sleep(400);
    const t0 = Date.now();
    await load.closeInterval();
    assert.ok(Date.now() - t0 < 5000, 'the collect did not wait for the blocked thread for ever');
    await expectOnlyThreadLost({ load, events, log }, 0, /did not answer for 1 s \(its event loop is blocked\)/);
    load.stop();
    await load.drain(2000);
    assert.equal(load.inflight().inflight, 0, 'what the stopped thread held went back to the shared cap');
  } finally {
    await load.close();
  }
});

test('a thread that blocks during the sweep is stopped once a ping goes unanswered; the sweep ends with the other thread\'s rows', async () => {
  // No readers, so the sweep's reads are the first point reads: thread 1 blocks at its first (answers that take
  // 2 ms let the thread's event loop turn, as a real client's do, so the block comes in the middle of its sweep).
  const { load, events, log } = pool((thread) => (thread === 1 ? { hangAtRead: 1, latencyMs: 2 } : {}), { SCY_READ_RPS: '0' }, 900);
  await load.start();
  try {
    await sleep(300);
    load.stop();
    await load.drain(2000);
    await load.closeInterval();
    const t0 = Date.now();
    const report = await load.verify(1_000_000);
    assert.ok(Date.now() - t0 < 10_000, 'the sweep did not wait for the blocked thread for ever');
    expectThreadReportedLost({ load, events, log }, 1, /did not answer for 1 s \(its event loop is blocked\)/);
    assert.ok(report && report.checked > 0 && report.checked < load.acknowledgedRows, `only thread 0's rows were checked: ${JSON.stringify(report)}`);
    assert.equal(report.missing, 0);
    assert.equal(report.sampled, true, 'the blocked thread\'s rows are not claimed as checked');
  } finally {
    await load.close();
  }
});

test('an offered write rate is one schedule across threads: the total is the rate, not the rate per thread', async () => {
  const { load } = pool(() => ({ latencyMs: 2 }), { SCY_WRITE_ROWS_PER_SEC: '3000', SCY_BATCH_INFLIGHT: '64', SCY_READ_RPS: '0' });
  await load.start();
  try {
    await sleep(300);
    await load.closeInterval();
    const from = load.writesOffered(realClock.monotonic())!;
    await sleep(1000);
    const span = (await load.closeInterval())!;
    const to = load.writesOffered(realClock.monotonic())!;
    assert.equal(to.targetPerSec, 3000);
    const dueRows = to.rowsDue - from.rowsDue;
    assert.ok(dueRows > 2400 && dueRows < 3600, `${dueRows} rows fell due in about a second`);
    assert.ok(Math.abs(span.rows - dueRows) < 400, `${span.rows} rows written for ${dueRows} due`);
    assert.ok(span.stats(0).threads!.every((t) => t.rows > 0), 'both threads offer rows');
    load.stop();
    await load.drain(5000);
  } finally {
    await load.close();
  }
});
