import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../src/metrics/histograms.js';
import { SpanAccumulator } from '../../src/metrics/span.js';
import { seededRandom } from '../../src/load/rowContent.js';

// Heavy-tailed samples in microseconds, so percentiles land in many different buckets.
function samples(seed: number, n: number): number[] {
  const next = seededRandom(seed);
  return Array.from({ length: n }, () => Math.round(200 + 1e6 * next() ** 6));
}

const PERCENTILES = ['p50', 'p90', 'p99', 'p999', 'max', 'mean', 'count'] as const;

test('histograms recorded apart, encoded and merged give the percentiles of all samples taken together', () => {
  const parts = [samples(1, 5000), samples(2, 300), samples(3, 20000)];
  const together = new LatencyHistogram();
  const merged = new LatencyHistogram();
  for (const part of parts) {
    const h = new LatencyHistogram();
    for (const v of part) {
      h.record(v);
      together.record(v);
    }
    const wire = structuredClone(h.encode());
    merged.add(LatencyHistogram.decode(wire));
  }
  const a = merged.stats();
  const b = together.stats();
  for (const k of PERCENTILES) assert.equal(a[k], b[k], k);
  assert.equal(a.count, 25300);
});

test('an empty histogram survives encoding', () => {
  const back = LatencyHistogram.decode(new LatencyHistogram().encode());
  assert.equal(back.count, 0);
  assert.equal(back.stats().p99, 0);
});

test('a frozen (packed) histogram encodes to the same counts as the live one', () => {
  const h = new LatencyHistogram();
  for (const v of samples(9, 4000)) h.record(v);
  const before = h.stats();
  h.freeze();
  assert.deepEqual(LatencyHistogram.decode(h.encode()).stats(), before);
});

test('a span crosses a thread boundary (structured clone) and merges exactly', () => {
  const a = new SpanAccumulator(1000);
  const b = new SpanAccumulator(1000);
  const direct = new SpanAccumulator(1000);
  const next = seededRandom(4);
  for (let i = 0; i < 3000; i++) {
    const target = next() < 0.5 ? a : b;
    const us = 100 + Math.round(next() * 50_000);
    for (const acc of [target, direct]) {
      acc.batches++;
      acc.rows += 10;
      acc.batchLatency.record(us);
      acc.rowLatency.record(us, 10);
      acc.readsCompleted++;
      acc.responseLatency.record(us * 2);
      acc.serviceLatency.record(us);
      if (i % 97 === 0) acc.readErrors.timeout++;
      if (i % 13 === 0) acc.retriedErrors.busy++;
    }
  }
  const merged = new SpanAccumulator(1000);
  merged.merge(SpanAccumulator.fromWire(structuredClone(a.toWire())));
  merged.merge(SpanAccumulator.fromWire(structuredClone(b.toWire())));
  assert.deepEqual(merged.stats(6000), direct.stats(6000));
  assert.ok(merged.stats(6000).reads.errors.timeout > 0, 'error counts travel too');
});
