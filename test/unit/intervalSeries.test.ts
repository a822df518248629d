import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalSeries } from '../../src/metrics/intervalSeries.js';
import { totalErrors } from '../../src/metrics/span.js';
import type { IntervalReport } from '../../src/metrics/types.js';
import type { Phase } from '../../src/phase.js';
import { buildSampleRun } from '../fixtures/sampleRun.js';

const template = buildSampleRun().intervals.find((iv) => iv.writes.retriedErrors.busy > 0)!;
const STEP = 5000;

/** Interval k of a made-up run: 5 s long, k+1 rows, and a latency spike at k = spikeAt. */
function interval(k: number, phase: Phase, spikeAt = -1): IntervalReport {
  const p99 = k === spikeAt ? 900 : 10 + (k % 7);
  return {
    ...template,
    startMs: k * STEP,
    endMs: (k + 1) * STEP,
    durationMs: STEP,
    writes: {
      ...template.writes,
      rows: k + 1,
      rowsPerSec: ((k + 1) * 1000) / STEP,
      rowLatency: { ...template.writes.rowLatency, count: 10, p99, max: p99 + 1 },
      rowsDue: 3 * k,
      rowsSent: 3 * k - (k % 5),
      behindRows: k === spikeAt ? 50_000 : k % 5,
    },
    reads: { ...template.reads, completed: 2 * k, scheduled: 2 * k + 1, missing: k % 11 === 0 ? 1 : 0 },
    loader: { ...template.loader, cpuPercent: k === spikeAt ? 97 : 30 },
    phase,
  };
}

const steady: Phase = { kind: 'steady', nodes: 3, cycle: 1 };
const resizing: Phase = { kind: 'resizing', from: 3, to: 6, cycle: 1, requestId: 'r1' };
const sum = (xs: readonly IntervalReport[], f: (iv: IntervalReport) => number): number => xs.reduce((a, iv) => a + f(iv), 0);

test('a long run keeps a bounded number of points, and every count still adds up', () => {
  const series = new IntervalSeries(64);
  const all: IntervalReport[] = [];
  for (let k = 0; k < 10_000; k++) {
    const iv = interval(k, steady, 6_789);
    all.push(iv);
    series.push(iv);
    assert.ok(series.all.length <= 64);
  }
  const pts = series.all;
  assert.ok(pts.length >= 32, `${pts.length} points`);
  assert.equal(series.intervalsPerPoint, 256);
  for (const f of [(iv: IntervalReport) => iv.writes.rows, (iv: IntervalReport) => iv.reads.completed, (iv: IntervalReport) => iv.reads.scheduled,
    (iv: IntervalReport) => iv.reads.missing, (iv: IntervalReport) => iv.durationMs, (iv: IntervalReport) => totalErrors(iv.writes.retriedErrors),
    (iv: IntervalReport) => iv.writes.rowsDue, (iv: IntervalReport) => iv.writes.rowsSent]) {
    assert.equal(sum(pts, f), sum(all, f));
  }
  assert.equal(pts[0]!.startMs, 0);
  assert.equal(pts.at(-1)!.endMs, 10_000 * STEP);
  // Points tile the run without gaps, and each rate is its rows over its own time.
  for (let i = 1; i < pts.length; i++) assert.equal(pts[i]!.startMs, pts[i - 1]!.endMs);
  for (const p of pts) assert.ok(Math.abs(p.writes.rowsPerSec - (p.writes.rows * 1000) / p.durationMs) < 1e-9);
  // The one spike survives every merge, in the point that covers it.
  const spike = pts.find((p) => p.startMs <= 6_789 * STEP && p.endMs > 6_789 * STEP)!;
  assert.equal(spike.writes.rowLatency.p99, 900);
  assert.equal(spike.loader.cpuPercent, 97);
  assert.equal(spike.writes.behindRows, 50_000, 'the largest backlog survives too');
  assert.equal(Math.max(...pts.map((p) => p.writes.rowLatency.p99)), 900);
});

test('merges keep phase boundaries where they can', () => {
  const series = new IntervalSeries(16);
  for (let k = 0; k < 60; k++) series.push(interval(k, k < 27 ? steady : resizing));
  const boundary = 27 * STEP;
  assert.ok(series.all.some((p) => p.endMs === boundary), 'a point ends where the resize began');
  for (const p of series.all) assert.equal(p.phase.kind, p.endMs <= boundary ? 'steady' : 'resizing');
});

test('phases that change every interval cannot make the series grow', () => {
  const series = new IntervalSeries(16);
  for (let k = 0; k < 1000; k++) series.push(interval(k, k % 2 === 0 ? steady : resizing));
  assert.ok(series.all.length <= 16);
  assert.equal(sum(series.all, (iv) => iv.writes.rows), (1000 * 1001) / 2);
});
