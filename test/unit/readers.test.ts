import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type cassandra from 'cassandra-driver';
import { FakeClock, type Clock } from '../../src/clock.js';
import { memoryLogger } from '../../src/log.js';
import { IdLedger } from '../../src/load/idLedger.js';
import { Pacer } from '../../src/load/pacer.js';
import { Readers } from '../../src/load/readers.js';
import { ledgerPicker } from '../../src/load/rowPicker.js';
import { RECHECK_CONSISTENCY } from '../../src/load/rowRead.js';
import { COLUMNS } from '../../src/db/schema.js';
import { parseId, rowValues, type RunIdentity } from '../../src/load/rowContent.js';
import { Recorder, type RecorderProbes } from '../../src/metrics/recorder.js';

const RUN: RunIdentity = { startMs: 1_800_000_000_000, nonce: 12345 };
const ONE = 1;

interface Call {
  seq: number;
  at: number;
  consistency: number | undefined;
  answer: (row: cassandra.types.Row | null) => void;
}

/** A client whose reads stay outstanding until the test answers them (or answers at once with `auto`). */
function fakeClient(clock: Clock, auto?: (seq: number, consistency: number | undefined) => cassandra.types.Row | null) {
  const calls: Call[] = [];
  const client = {
    execute: (_q: string, params: unknown[], opts: cassandra.QueryOptions) =>
      new Promise((resolve) => {
        const seq = parseId((params[0] as cassandra.types.Uuid).getBuffer())!.seq;
        const answer = (row: cassandra.types.Row | null): void => resolve({ first: () => row });
        calls.push({ seq, at: clock.monotonic(), consistency: opts.consistency, answer });
        if (auto) answer(auto(seq, opts.consistency));
      }),
  } as unknown as cassandra.Client;
  return { client, calls };
}

/** The row the tool wrote for `seq`, optionally with one column altered. */
function storedRow(seq: number, alter?: { column: string; value: unknown }): cassandra.types.Row {
  const values = rowValues(RUN, seq);
  const byName = new Map<string, unknown>(COLUMNS.map((c, i) => [c, values[i]]));
  if (alter) byName.set(alter.column, alter.value);
  return { get: (name: string) => byName.get(name) } as unknown as cassandra.types.Row;
}

function setup(o: { clock: Clock; client: cassandra.Client; rate: number; rows?: number; workers?: number; perWorker?: number; recheckDelaysMs?: number[] }) {
  const ledger = new IdLedger(1000);
  const rows = o.rows ?? 100;
  ledger.reserve(rows);
  ledger.acknowledge(0, rows);
  const pacer = new Pacer(o.clock, o.rate);
  const probes: RecorderProbes = {
    readTarget: () => o.rate,
    readsDue: () => pacer.dueBy(o.clock.monotonic()),
    inflight: () => ({ inflight: 0, limit: 1 }),
    loader: () => ({ cpuPercent: 0, busiestThreadPercent: 0, eventLoopDelayP99Ms: 0, rssMb: 0, heapMb: 0 }),
  };
  const recorder = new Recorder(o.clock, probes, { kind: 'steady', nodes: 1, cycle: 0 });
  const readers = new Readers({
    client: o.client,
    selectCql: 'SELECT',
    consistency: ONE,
    workers: o.workers ?? 1,
    maxInflightPerWorker: o.perWorker ?? 512,
    recheckDelaysMs: o.recheckDelaysMs ?? [10, 20],
    rows: ledgerPicker(ledger, RUN),
    pacer,
    recorder,
    clock: o.clock,
    log: memoryLogger(),
  });
  return { readers, recorder, pacer };
}

/** A clock whose sleeps end only when the test says so, to model a wake-up that comes late. */
class ManualClock implements Clock {
  t = 5_000;
  private wakers: (() => void)[] = [];
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  sleep(): Promise<void> {
    return new Promise((resolve) => this.wakers.push(resolve));
  }
  wakeAll(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** Lets `ms` pass in small steps, so sleeps that begin along the way (re-checks, drain) are woken too. */
async function elapse(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 5) await clock.advance(5);
}

/** Reads for `runMs`, stops, lets `settleMs` pass for answers and re-checks, and returns the run's read counts. */
async function readFor(clock: FakeClock, { readers, recorder }: ReturnType<typeof setup>, runMs: number, settleMs: number) {
  readers.start();
  await flush();
  await elapse(clock, runMs);
  readers.stop();
  await elapse(clock, settleMs);
  recorder.tick();
  return recorder.overall().reads;
}

describe('Readers', () => {
  test('sends each read at its slot of the open-loop schedule', async () => {
    const clock = new FakeClock();
    const { client, calls } = fakeClient(clock, (seq) => storedRow(seq));
    const { readers, recorder } = setup({ clock, client, rate: 100 });
    const t0 = clock.monotonic();
    readers.start();
    await flush();
    await clock.advance(1000);
    assert.equal(calls.length, 101, 'slots at 0, 10, …, 1000 ms');
    calls.forEach((c, k) => assert.equal(c.at - t0, k * 10, `read ${k} sent at its due time`));
    readers.stop();
    await clock.advance(100);
    assert.equal(await readers.drain(1000), 0);
    recorder.tick();
    const reads = recorder.overall().reads;
    assert.equal(reads.completed, 101);
    assert.equal(reads.missing + reads.corrupt, 0);
  });

  test('a late wake-up sends every slot that fell due at once, and their latency counts from the slot', async () => {
    const clock = new ManualClock();
    const { client, calls } = fakeClient(clock);
    const { readers, recorder } = setup({ clock, client, rate: 1000 });
    readers.start();
    await flush();
    assert.equal(calls.length, 1, 'the first slot is due at once');
    clock.t += 5; // the timer meant for +1 ms fires at +5 ms
    clock.wakeAll();
    await flush();
    assert.equal(calls.length, 6, 'slots due at +1 … +5 ms all go out on this wake-up');
    assert.ok(calls.slice(1).every((c) => c.at === clock.t));
    for (const c of calls) c.answer(storedRow(c.seq));
    await flush();
    recorder.tick();
    const reads = recorder.overall().reads;
    assert.equal(reads.completed, 6);
    // Answered at +5 ms (stats in ms): the slot due at 0 waited 5 ms, the one due at +5 ms none; service time
    // (from the send) is 5 ms for the first read and 0 for the five sent late. Waits 5,4,3,2,1,0: the median is 2.
    assert.ok(Math.abs(reads.responseLatency.max - 5) < 0.01, `response max ${reads.responseLatency.max}`);
    assert.ok(Math.abs(reads.responseLatency.p50 - 2) < 0.01, `response p50 ${reads.responseLatency.p50}`);
    assert.ok(Math.abs(reads.serviceLatency.max - 5) < 0.01, `service max ${reads.serviceLatency.max}`);
    assert.ok(reads.serviceLatency.p50 < 0.01, `service p50 ${reads.serviceLatency.p50}`);
    readers.stop();
    clock.wakeAll();
    assert.equal(await readers.drain(10), 0);
  });

  test('lanes bound the reads outstanding; a freed lane takes the overdue slot at once', async () => {
    const clock = new FakeClock();
    const { client, calls } = fakeClient(clock);
    const { readers, pacer } = setup({ clock, client, rate: 1000, workers: 2, perWorker: 2 });
    readers.start();
    await flush();
    await clock.advance(20);
    assert.equal(calls.length, 4, '2 lanes × 2 reads, although 21 slots are due');
    calls[0]!.answer(storedRow(calls[0]!.seq));
    await clock.advance(0);
    assert.equal(calls.length, 5, 'the freed lane sends the next slot without waiting for a timer');
    assert.equal(calls[4]!.at, clock.monotonic());
    // 5 sent and 1 held by the waiting dispatcher; slots are claimed in runs of 4 (those due within 4 ms).
    assert.equal(pacer.taken, 8, 'the schedule runs ahead of the lanes by less than one run of slots');
    readers.stop();
    for (const c of calls.slice(1)) c.answer(storedRow(c.seq));
    await clock.advance(100);
    assert.equal(await readers.drain(1000), 0);
  });

  test('stop() ends a dispatcher that waits for a free lane', async () => {
    const clock = new FakeClock();
    const { client, calls } = fakeClient(clock);
    const { readers } = setup({ clock, client, rate: 1000, workers: 1, perWorker: 1 });
    readers.start();
    await flush();
    await clock.advance(10);
    assert.equal(calls.length, 1);
    readers.stop();
    const left = readers.drain(50);
    await elapse(clock, 100);
    assert.equal(await left, 1, 'the unanswered read is reported as left over, and drain returns');
  });

  test('a row not found at the run consistency is re-read at ALL: found later is "not yet visible", never found is lost', async () => {
    const clock = new FakeClock();
    // Row 0 shows up only at ALL (a replica lagging); row 1 is nowhere.
    const { client, calls } = fakeClient(clock, (seq, cl) => (seq === 0 && cl === RECHECK_CONSISTENCY ? storedRow(0) : null));
    const rig = setup({ clock, client, rate: 1, rows: 2, recheckDelaysMs: [10, 20] });
    const { recorder } = rig;
    const reads = await readFor(clock, rig, 2000, 1000);
    const first = calls.filter((c) => c.consistency === ONE);
    const lostRead = first.filter((c) => c.seq === 1).length;
    const lateRead = first.filter((c) => c.seq === 0).length;
    assert.ok(first.length >= 2);
    assert.equal(reads.notYetVisible, lateRead);
    assert.equal(reads.missing, lostRead);
    assert.equal(calls.filter((c) => c.seq === 1 && c.consistency === RECHECK_CONSISTENCY).length, 2 * lostRead, 'every re-check delay is tried before a row is called lost');
    assert.ok(recorder.losses.every((l) => l.kind === 'missing' && l.detectedBy === 'read'));
  });

  test('a row with one wrong column is reported corrupt, naming the column', async () => {
    const clock = new FakeClock();
    const { client } = fakeClient(clock, (seq) => storedRow(seq, { column: 's3', value: 'not what was written' }));
    const rig = setup({ clock, client, rate: 10, rows: 5 });
    const { recorder } = rig;
    const reads = await readFor(clock, rig, 300, 100);
    assert.equal(reads.corrupt, reads.completed);
    assert.ok(reads.corrupt >= 3);
    assert.ok(recorder.events.some((e) => e.type === 'row-corrupt' && e.column === 's3'));
  });
});
