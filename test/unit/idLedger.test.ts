import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IdLedger } from '../../src/load/idLedger.js';
import { seededRandom } from '../../src/load/rowContent.js';

const seeded = seededRandom;

/** A reference model: the state of every sequence number, kept naively. */
class Model {
  readonly state: ('inflight' | 'ok' | 'failed')[] = [];
  reserve(start: number, n: number): void {
    for (let i = 0; i < n; i++) this.state[start + i] = 'inflight';
  }
  settle(start: number, n: number, s: 'ok' | 'failed'): void {
    for (let i = 0; i < n; i++) this.state[start + i] = s;
  }
  watermark(): number {
    const i = this.state.indexOf('inflight');
    return i < 0 ? this.state.length : i;
  }
  acknowledgedBelowWatermark(): number[] {
    const w = this.watermark();
    const out: number[] = [];
    for (let s = 0; s < w; s++) if (this.state[s] === 'ok') out.push(s);
    return out;
  }
}

/** Drives a ledger and a model with random batches settled out of order; a share of them fail. */
function randomRun(seed: number, batches: number, failShare: number, window = 1_000_000, maxInflight = 32) {
  const rnd = seeded(seed);
  const ledger = new IdLedger(window);
  const model = new Model();
  const open: [number, number][] = [];
  for (let b = 0; b < batches; b++) {
    const n = 1 + Math.floor(rnd() * 50);
    const start = ledger.reserve(n);
    model.reserve(start, n);
    open.push([start, n]);
    while (open.length > maxInflight || (open.length > 0 && rnd() < 0.4)) {
      const [s, k] = open.splice(Math.floor(rnd() * open.length), 1)[0]!;
      if (rnd() < failShare) {
        ledger.fail(s, k);
        model.settle(s, k, 'failed');
      } else {
        ledger.acknowledge(s, k);
        model.settle(s, k, 'ok');
      }
    }
  }
  return { ledger, model, open, rnd };
}

function settleAll(run: ReturnType<typeof randomRun>): void {
  for (const [s, k] of run.open.splice(0)) {
    run.ledger.acknowledge(s, k);
    run.model.settle(s, k, 'ok');
  }
}

describe('IdLedger', () => {
  test('reserve hands out consecutive ranges', () => {
    const l = new IdLedger(100);
    assert.equal(l.reserve(10), 0);
    assert.equal(l.reserve(5), 10);
    assert.equal(l.reserve(1), 15);
    assert.equal(l.issued, 16);
    assert.equal(l.inflightBatches, 3);
    assert.equal(l.watermark(), 0);
    assert.equal(l.acknowledgedRows, 0);
  });

  test('the watermark waits for the oldest batch when acks arrive out of order', () => {
    const l = new IdLedger(100);
    const a = l.reserve(10);
    const b = l.reserve(10);
    const c = l.reserve(10);
    l.acknowledge(c, 10);
    assert.equal(l.watermark(), 0);
    assert.equal(l.isAcknowledged(25), false, 'acknowledged but above the watermark: not offered yet');
    l.acknowledge(b, 10);
    assert.equal(l.watermark(), 0);
    l.acknowledge(a, 10);
    assert.equal(l.watermark(), 30);
    assert.equal(l.acknowledgedRows, 30);
    assert.equal(l.inflightBatches, 0);
    for (let s = 0; s < 30; s++) assert.equal(l.isAcknowledged(s), true);
    assert.equal(l.isAcknowledged(30), false);
    assert.equal(l.isAcknowledged(-1), false);
  });

  test('the watermark moves to the next batch still in flight', () => {
    const l = new IdLedger(100);
    const a = l.reserve(4);
    const b = l.reserve(4);
    l.reserve(4);
    l.acknowledge(a, 4);
    assert.equal(l.watermark(), 4);
    l.fail(b, 4);
    assert.equal(l.watermark(), 8);
    assert.equal(l.isAcknowledged(9), false, 'in flight');
    assert.equal(l.isAcknowledged(5), false, 'failed');
    assert.equal(l.isAcknowledged(3), true);
  });

  test('failed ranges are excluded, in any order of failure', () => {
    const l = new IdLedger(100);
    const a = l.reserve(5);
    const b = l.reserve(5);
    const c = l.reserve(5);
    const d = l.reserve(5);
    l.fail(c, 5);
    l.fail(a, 5);
    l.acknowledge(d, 5);
    l.acknowledge(b, 5);
    assert.equal(l.watermark(), 20);
    assert.equal(l.failedRows, 10);
    assert.equal(l.acknowledgedRows, 10);
    const acked = Array.from({ length: 20 }, (_, s) => s).filter((s) => l.isAcknowledged(s));
    assert.deepEqual(acked, [5, 6, 7, 8, 9, 15, 16, 17, 18, 19]);
  });

  test('isAcknowledged agrees with a reference model (random out-of-order runs)', () => {
    for (const seed of [1, 2, 3, 42]) {
      const run = randomRun(seed, 2000, 0.1);
      const w = run.ledger.watermark();
      assert.equal(w, run.model.watermark(), `seed ${seed}: watermark`);
      for (let s = 0; s < run.ledger.issued; s++) {
        const want = s < w && run.model.state[s] === 'ok';
        if (run.ledger.isAcknowledged(s) !== want) assert.fail(`seed ${seed}: seq ${s} (${run.model.state[s]}) expected ${want}`);
      }
    }
  });

  test('pickRecent is null until something is acknowledged', () => {
    const l = new IdLedger(100);
    assert.equal(l.pickRecent(Math.random), null);
    const a = l.reserve(10);
    assert.equal(l.pickRecent(Math.random), null, 'only in flight');
    l.fail(a, 10);
    for (let i = 0; i < 20; i++) assert.equal(l.pickRecent(Math.random), null, 'only failed');
  });

  test('pickRecent stays in the recent window and returns only acknowledged seqs', () => {
    for (const seed of [7, 8, 9]) {
      const window = 3000;
      const run = randomRun(seed, 3000, 0.15, window);
      const rnd = seeded(seed * 31);
      const model = run.model;
      const w = run.ledger.watermark();
      let nulls = 0;
      const seen = new Set<number>();
      for (let i = 0; i < 20_000; i++) {
        const seq = run.ledger.pickRecent(rnd);
        if (seq === null) {
          nulls++;
          continue;
        }
        seen.add(seq);
        assert.ok(seq < w, `seed ${seed}: ${seq} at or above the watermark ${w}`);
        assert.ok(seq >= w - window, `seed ${seed}: ${seq} older than the window (${w - window})`);
        assert.equal(model.state[seq], 'ok', `seed ${seed}: picked ${seq}, which is ${model.state[seq]}`);
      }
      assert.ok(nulls < 200, `seed ${seed}: ${nulls} nulls with ~85% acknowledged`);
      assert.ok(seen.size > window * 0.5, `seed ${seed}: picks should cover the window (${seen.size})`);
    }
  });

  test('sweep returns every acknowledged seq when there are at most `limit`', () => {
    const run = randomRun(11, 500, 0.2);
    settleAll(run);
    const want = run.model.acknowledgedBelowWatermark();
    assert.equal(run.ledger.acknowledgedRows, want.length);
    assert.deepEqual([...run.ledger.sweep(want.length)], want);
    assert.deepEqual([...run.ledger.sweep(want.length + 1000)], want);
  });

  test('sweep samples evenly without failures: `limit` distinct seqs across the whole run', () => {
    const l = new IdLedger(1000);
    for (let i = 0; i < 1000; i++) l.acknowledge(l.reserve(10), 10);
    const sample = [...l.sweep(100)];
    assert.equal(sample.length, 100);
    assert.equal(new Set(sample).size, 100);
    for (let i = 1; i < sample.length; i++) assert.ok(sample[i]! - sample[i - 1]! === 100);
    assert.ok(sample[0]! < 100);
    assert.ok(sample.at(-1)! >= 9900);
  });

  test('sweep sample with failed rows: distinct, acknowledged only, spread over the whole run', () => {
    for (const seed of [21, 22, 23]) {
      const run = randomRun(seed, 4000, 0.2);
      settleAll(run);
      const acked = run.model.acknowledgedBelowWatermark();
      const limit = 500;
      assert.ok(acked.length > limit * 10);
      const sample = [...run.ledger.sweep(limit)];
      assert.equal(sample.length, limit, `seed ${seed}: sample size`);
      assert.equal(new Set(sample).size, limit, `seed ${seed}: sample has duplicates`);
      for (const s of sample) assert.equal(run.model.state[s], 'ok', `seed ${seed}: swept ${s}`);
      // even: the sample's last tenth of the acknowledged rows is covered
      const last = acked[Math.floor(acked.length * 0.95)]!;
      assert.ok(sample.some((s) => s >= last), `seed ${seed}: the last 5% of the run (from ${last}) is never swept`);
    }
  });

  test('sweep never repeats a seq after a long failed range', () => {
    const l = new IdLedger(1000);
    l.fail(l.reserve(500), 500);
    l.acknowledge(l.reserve(500), 500);
    const sample = [...l.sweep(10)];
    assert.equal(sample.length, 10);
    assert.equal(new Set(sample).size, 10, `duplicates: ${sample.join(',')}`);
    for (const s of sample) assert.ok(s >= 500 && s < 1000);
    assert.ok(sample.at(-1)! >= 900, 'spread up to the end of the run');
  });

  test('sweep(0) yields nothing; an empty ledger yields nothing', () => {
    const l = new IdLedger(10);
    assert.deepEqual([...l.sweep(10)], []);
    l.acknowledge(l.reserve(5), 5);
    assert.deepEqual([...l.sweep(0)], []);
  });

  test('memory stays bounded over a million batches', () => {
    const l = new IdLedger(2_000_000);
    let failedRuns = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const a = l.reserve(3);
      const b = l.reserve(2);
      l.acknowledge(b, 2);
      if (i % 100_000 === 0) {
        l.fail(a, 3);
        failedRuns++;
      } else l.acknowledge(a, 3);
    }
    assert.equal(l.inflightBatches, 0);
    assert.equal(l.watermark(), 5_000_000);
    assert.equal(l.acknowledgedRows, 5_000_000 - 3 * failedRuns);
    assert.equal(l.failedRows, 3 * failedRuns);
    const failed = (l as unknown as { failed: unknown[] }).failed;
    assert.ok(Array.isArray(failed));
    assert.ok(failed.length <= failedRuns, `failed ranges: ${failed.length}`);
    // consecutive failures merge into one range
    const m = new IdLedger(10);
    for (let i = 0; i < 10_000; i++) m.fail(m.reserve(7), 7);
    assert.equal((m as unknown as { failed: unknown[] }).failed.length, 1);
  });
});
