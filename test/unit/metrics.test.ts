import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { phaseKey, phaseLabel, type Phase } from '../../src/phase.js';
import { Secret } from '../../src/config/secret.js';
import { LatencyHistogram } from '../../src/metrics/histograms.js';
import { SpanAccumulator, totalErrors, zeroErrors } from '../../src/metrics/span.js';
import { Recorder, type RecorderProbes } from '../../src/metrics/recorder.js';
import { baselinePhase, evaluateThresholds } from '../../src/metrics/thresholds.js';
import { ResizeLog } from '../../src/metrics/resizeLog.js';
import type { IntervalReport, LatencyStats, PhaseReport, ResizeRecord, SpanStats, TimelineEvent } from '../../src/metrics/types.js';

/** HDR with 3 significant digits: a value is reported within 0.1% (a little slack for bucket edges). */
function near(actual: number, expected: number, what: string, rel = 0.002): void {
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * rel, `${what}: ${actual} vs ${expected}`);
}

describe('LatencyHistogram', () => {
  test('percentiles of a uniform distribution, in ms', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 100_000; us++) h.record(us);
    const s = h.stats();
    assert.equal(s.count, 100_000);
    near(s.p50, 50, 'p50');
    near(s.p90, 90, 'p90');
    near(s.p99, 99, 'p99');
    near(s.p999, 99.9, 'p99.9');
    near(s.max, 100, 'max');
    near(s.mean, 50, 'mean');
  });

  test('percentiles of a bimodal distribution show the tail', () => {
    const h = new LatencyHistogram();
    h.record(2_000, 985); // 2 ms
    h.record(750_000, 15); // 750 ms
    const s = h.stats();
    assert.equal(s.count, 1000);
    near(s.p50, 2, 'p50');
    near(s.p90, 2, 'p90');
    near(s.p99, 750, 'p99');
    near(s.max, 750, 'max');
    near(s.mean, (985 * 2 + 15 * 750) / 1000, 'mean');
  });

  test('empty histogram reports zeros', () => {
    assert.deepEqual(new LatencyHistogram().stats(), { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
  });

  test('merging two equals recording everything into one', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    const all = new LatencyHistogram();
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const us = 50 + (x % 5_000_000);
      (i % 3 === 0 ? a : b).record(us);
      all.record(us);
    }
    a.add(b);
    assert.deepEqual(a.stats(), all.stats());
    const empty = new LatencyHistogram();
    empty.add(new LatencyHistogram());
    assert.equal(empty.count, 0);
    empty.add(all);
    assert.deepEqual(empty.stats(), all.stats());
  });

  test('values are clamped to [1 µs, 10 min] and rounded', () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(-5);
    assert.equal(h.count, 2);
    near(h.stats().max, 0.001, 'clamped low');
    h.record(1e12);
    assert.equal(h.count, 3);
    near(h.stats().max, 600_000, 'clamped at 10 minutes');
    const r = new LatencyHistogram();
    r.record(1.6);
    assert.equal(r.stats().max, 0.002);
  });

  test('record with a count, and reset', () => {
    const h = new LatencyHistogram();
    h.record(1000, 40);
    assert.equal(h.count, 40);
    near(h.stats().p50, 1, 'p50');
    h.reset();
    assert.equal(h.count, 0);
  });
});

describe('SpanAccumulator', () => {
  test('merge sums counts and errors and merges histograms', () => {
    const a = new SpanAccumulator(0);
    const b = new SpanAccumulator(1000);
    a.batches = 3;
    a.rows = 30;
    a.failedBatches = 1;
    a.failedRows = 10;
    a.retriedErrors.timeout = 2;
    a.readErrors.busy = 1;
    a.readsScheduled = 10;
    a.readsCompleted = 9;
    a.missing = 1;
    a.batchLatency.record(1000);
    b.batches = 2;
    b.rows = 40;
    b.retriedErrors.timeout = 3;
    b.retriedErrors.overloaded = 1;
    b.readErrors.busy = 4;
    b.readsCompleted = 5;
    b.corrupt = 2;
    b.notYetVisible = 3;
    b.batchLatency.record(3000);
    a.merge(b);
    const s = a.stats(2000);
    assert.equal(s.writes.batches, 5);
    assert.equal(s.writes.rows, 70);
    assert.equal(s.writes.failedBatches, 1);
    assert.equal(s.writes.failedRows, 10);
    assert.equal(s.writes.retriedErrors.timeout, 5);
    assert.equal(s.writes.retriedErrors.overloaded, 1);
    assert.equal(totalErrors(s.writes.retriedErrors), 6);
    assert.equal(s.reads.errors.busy, 5);
    assert.equal(s.reads.completed, 14);
    assert.equal(s.reads.scheduled, 10);
    assert.equal(s.reads.missing, 1);
    assert.equal(s.reads.corrupt, 2);
    assert.equal(s.reads.notYetVisible, 3);
    assert.equal(s.writes.batchLatency.count, 2);
    near(s.writes.batchLatency.max, 3, 'max');
    assert.equal(b.batches, 2, 'the merged span is left alone');
  });

  test('stats: rates over the span, zero for an empty span', () => {
    const a = new SpanAccumulator(10_000);
    a.rows = 1000;
    a.readsCompleted = 300;
    a.targetRateTimesMs = 400 * 2000;
    const s = a.stats(12_000);
    assert.equal(s.durationMs, 2000);
    assert.equal(s.writes.rowsPerSec, 500);
    assert.equal(s.reads.readsPerSec, 150);
    assert.equal(s.reads.targetPerSec, 400);
    const z = a.stats(10_000);
    assert.equal(z.durationMs, 0);
    assert.equal(z.writes.rowsPerSec, 0);
    assert.equal(z.reads.targetPerSec, 0);
    assert.equal(a.stats(5_000).durationMs, 0, 'never negative');
  });

  test('stats returns copies of the error counts', () => {
    const a = new SpanAccumulator(0);
    const s = a.stats(1000);
    s.writes.retriedErrors.busy = 99;
    assert.equal(a.retriedErrors.busy, 0);
  });

  test('loader figures merge time-weighted (cpu) and as peaks (delay, memory)', () => {
    const a = new SpanAccumulator(0);
    a.loader = { cpuPercent: 10, busiestThreadPercent: 10, eventLoopDelayP99Ms: 5, rssMb: 100, heapMb: 50 };
    a.loaderWeightMs = 1000;
    const b = new SpanAccumulator(1000);
    b.loader = { cpuPercent: 70, busiestThreadPercent: 70, eventLoopDelayP99Ms: 2, rssMb: 300, heapMb: 40 };
    b.loaderWeightMs = 3000;
    a.merge(b);
    near(a.loader.cpuPercent, 55, 'cpu');
    assert.equal(a.loader.eventLoopDelayP99Ms, 5);
    assert.equal(a.loader.rssMb, 300);
    assert.equal(a.loader.heapMb, 50);
    assert.equal(a.loaderWeightMs, 4000);
  });

  test('zeroErrors has every class at 0', () => {
    const z = zeroErrors();
    assert.ok(Object.keys(z).length >= 5);
    assert.equal(totalErrors(z), 0);
  });
});

describe('Recorder', () => {
  const T0 = 1_800_000_000_000;
  const steady = (nodes: number, cycle: number): Phase => ({ kind: 'steady', nodes, cycle });
  const resizing = (from: number, to: number, cycle: number): Phase => ({ kind: 'resizing', from, to, cycle, requestId: `r${cycle}` });

  function setup(initial: Phase = steady(3, 0)) {
    const clock = new FakeClock(T0);
    const probe = { due: 0, target: 100, inflight: 7, limit: 64 };
    const probes: RecorderProbes = {
      readTarget: () => probe.target,
      readsDue: () => probe.due,
      inflight: () => ({ inflight: probe.inflight, limit: probe.limit }),
      loader: () => ({ cpuPercent: 1, busiestThreadPercent: 1, eventLoopDelayP99Ms: 1, rssMb: 1, heapMb: 1 }),
    };
    const rec = new Recorder(clock, probes, initial);
    return { clock, probe, rec };
  }

  test('samples before setPhase go to the old phase, after it to the new one', async () => {
    const { clock, rec } = setup();
    rec.recordWrite(10, 1000, 1000);
    rec.recordWrite(10, 1000, 1000);
    await clock.advance(500);
    rec.recordRead(2000, 1000);
    rec.setPhase(resizing(3, 6, 1));
    rec.recordWrite(25, 9000, 9000);
    rec.recordReadError('timeout');
    await clock.advance(500);
    rec.finish();
    const [p0, p1] = rec.phaseReports();
    assert.equal(rec.phaseReports().length, 2);
    assert.equal(p0!.key, 'steady@3');
    assert.equal(p0!.writes.batches, 2);
    assert.equal(p0!.writes.rows, 20);
    assert.equal(p0!.reads.completed, 1);
    assert.equal(p0!.durationMs, 500);
    assert.equal(p1!.key, 'resize 3→6');
    assert.equal(p1!.writes.batches, 1);
    assert.equal(p1!.writes.rows, 25);
    assert.equal(p1!.reads.errors.timeout, 1);
    near(p1!.writes.batchLatency.max, 9, 'the resize phase holds the slow batch');
    near(p0!.writes.batchLatency.max, 1, 'the steady phase does not');
    assert.equal(p1!.label, phaseLabel(resizing(3, 6, 1)));
  });

  test('open-loop write figures: rows due and sent per interval add up, the phase keeps the largest backlog', async () => {
    const clock = new FakeClock(T0);
    const w = { targetPerSec: 1000, rowsDue: 0, rowsTaken: 0 };
    const probes: RecorderProbes = {
      readTarget: () => 0,
      readsDue: () => 0,
      inflight: () => ({ inflight: 0, limit: 1 }),
      loader: () => ({ cpuPercent: 1, busiestThreadPercent: 1, eventLoopDelayP99Ms: 1, rssMb: 1, heapMb: 1 }),
      writeSchedule: () => ({ ...w }),
    };
    const rec = new Recorder(clock, probes, steady(3, 0));
    const steps = [
      { due: 1000, taken: 1000 },
      { due: 2000, taken: 1400 },
      { due: 3000, taken: 2900 },
    ];
    const intervals = [];
    for (const step of steps) {
      await clock.advance(1000);
      w.rowsDue = step.due;
      w.rowsTaken = step.taken;
      intervals.push(rec.tick());
    }
    assert.deepEqual(intervals.map((iv) => iv.writes.rowsDue), [1000, 1000, 1000]);
    assert.deepEqual(intervals.map((iv) => iv.writes.rowsSent), [1000, 400, 1500]);
    assert.deepEqual(intervals.map((iv) => iv.writes.behindRows), [0, 600, 100]);
    // Writers stop: the schedule has ended, so the drain that follows asks for nothing and owes nothing.
    w.targetPerSec = 0;
    w.rowsTaken = 3000;
    await clock.advance(1000);
    const drain = rec.tick();
    assert.equal(drain.writes.targetRowsPerSec, 0);
    assert.equal(drain.writes.behindRows, 0);
    rec.finish();
    const [phase] = rec.phaseReports();
    assert.equal(phase!.writes.rowsDue, 3000);
    assert.equal(phase!.writes.rowsSent, 3000);
    assert.equal(phase!.writes.behindRows, 600, 'the most rows behind at any interval end');
    assert.equal(phase!.writes.targetRowsPerSec, 1000, 'the target while the schedule ran, not diluted by the drain');
    assert.equal(rec.overall().writes.behindRows, 600);
  });

  test('intervals never straddle a phase change and every count adds up', async () => {
    const { clock, probe, rec } = setup();
    const phases: Phase[] = [resizing(3, 6, 1), steady(6, 1), resizing(6, 3, 1), steady(3, 2)];
    let rows = 0;
    let reads = 0;
    for (let step = 0; step < 40; step++) {
      const n = 1 + (step % 7);
      rec.recordWrite(n, 1000 + step * 100, 1000 + step * 100);
      rows += n;
      if (step % 2 === 0) {
        rec.recordRead(500, 400);
        reads++;
      }
      probe.due += 3;
      await clock.advance(250);
      if (step % 4 === 3) rec.tick();
      if (step % 10 === 9 && phases.length > 0) rec.setPhase(phases.shift()!);
    }
    rec.recordWrite(5, 100, 100);
    rows += 5;
    rec.finish();
    const reports = rec.phaseReports();
    assert.equal(reports.length, 5);
    for (const iv of rec.intervals) {
      // the interval lies inside the one phase it is tagged with
      const owner = reports.find((p) => p.phase === iv.phase);
      assert.ok(owner, 'interval tagged with a phase of the run');
      assert.ok(iv.startMs >= owner.startMs && iv.endMs <= owner.endMs, `interval ${iv.startMs}..${iv.endMs} straddles ${owner.key} ${owner.startMs}..${owner.endMs}`);
    }
    const sum = (xs: readonly SpanStats[], f: (s: SpanStats) => number): number => xs.reduce((a, s) => a + f(s), 0);
    const overall = rec.overall();
    assert.equal(overall.writes.rows, rows);
    assert.equal(overall.reads.completed, reads);
    assert.equal(sum(reports, (p) => p.writes.rows), rows);
    assert.equal(sum(reports, (p) => p.writes.batches), 41);
    assert.equal(sum(reports, (p) => p.reads.completed), reads);
    assert.equal(sum(rec.intervals, (p) => p.writes.rows), rows);
    assert.equal(sum(rec.intervals, (p) => p.reads.scheduled), probe.due, 'offered reads add up to what fell due');
    assert.equal(sum(reports, (p) => p.writes.batchLatency.count), 41);
    assert.equal(sum(reports, (p) => p.durationMs), overall.durationMs);
    for (let i = 1; i < reports.length; i++) assert.equal(reports[i]!.startMs, reports[i - 1]!.endMs, 'phases tile time');
    const last = rec.intervals.at(-1)!;
    assert.equal(last.inflight, 7);
    assert.equal(last.inflightLimit, 64);
  });

  test('byPhaseKey merges the two steady@3 occurrences; its rate is over time spent in the phase', async () => {
    const { clock, rec } = setup();
    for (let i = 0; i < 10; i++) rec.recordWrite(100, 1000, 1000); // 1000 rows in 10 s
    await clock.advance(10_000);
    rec.setPhase(resizing(3, 6, 1));
    rec.recordWrite(10, 1000, 1000);
    await clock.advance(100_000); // a long resize with almost no writes
    rec.setPhase(steady(3, 2));
    for (let i = 0; i < 30; i++) rec.recordWrite(100, 1000, 1000); // 3000 rows in 10 s
    await clock.advance(10_000);
    rec.finish();
    const groups = rec.byPhaseKey();
    assert.deepEqual(groups.map((g) => g.key), ['steady@3', 'resize 3→6']);
    const s3 = groups[0]!;
    assert.equal(s3.occurrences, 2);
    assert.equal(s3.writes.rows, 4000);
    assert.equal(s3.durationMs, 20_000, 'time spent in steady@3, not the 120 s wall span');
    assert.equal(s3.writes.rowsPerSec, 200);
    const rz = groups[1]!;
    assert.equal(rz.occurrences, 1);
    assert.equal(rz.writes.rows, 10);
    assert.equal(rz.durationMs, 100_000);
    assert.equal(rz.writes.rowsPerSec, 0.1);
  });

  test('events carry the phase key current when they happen', async () => {
    const { clock, rec } = setup({ kind: 'load-only' });
    const seen: TimelineEvent[] = [];
    rec.addOutput({ event: (e) => seen.push(e) });
    rec.event({ type: 'node-up', host: '10.0.0.1' });
    await clock.advance(1000);
    rec.setPhase(steady(6, 1));
    rec.event({ type: 'node-down', host: '10.0.0.2', at: 42 });
    assert.equal(rec.events[0]!.phase, 'load-only');
    assert.equal(rec.events[0]!.at, T0);
    assert.equal(rec.events[0]!.host, '10.0.0.1');
    const phaseEvent = rec.events.find((e) => e.type === 'phase')!;
    assert.equal(phaseEvent.phase, 'steady@6');
    assert.equal(phaseEvent.at, T0 + 1000);
    const last = rec.events.at(-1)!;
    assert.equal(last.phase, 'steady@6');
    assert.equal(last.at, 42, 'an explicit time is kept');
    assert.equal(seen.length, rec.events.length);
  });

  test('outputs get intervals and phase ends', async () => {
    const { clock, rec } = setup();
    const ivs: IntervalReport[] = [];
    const ends: PhaseReport[] = [];
    rec.addOutput({ interval: (iv) => ivs.push(iv), phaseEnded: (p) => ends.push(p) });
    rec.recordWrite(1, 1, 1);
    await clock.advance(100);
    rec.tick();
    rec.setPhase(resizing(3, 6, 1));
    await clock.advance(100);
    rec.finish();
    rec.finish();
    assert.equal(ends.length, 2, 'each phase ends once');
    assert.deepEqual(ends.map((e) => e.key), ['steady@3', 'resize 3→6']);
    assert.ok(ivs.length >= 3);
    assert.equal(ivs[0]!.writes.rows, 1);
  });

  test('recordLoss counts by kind, tags the phase, and keeps a bounded list', async () => {
    const { clock, rec } = setup(resizing(3, 6, 1));
    rec.recordLoss('missing', 'id-1', 'read');
    rec.recordLoss('corrupt', 'id-2', 'read', 's3');
    rec.recordLoss('missing', 'id-3', 'sweep');
    await clock.advance(100);
    const iv = rec.tick();
    assert.equal(iv.reads.missing, 1, 'only losses seen by reads count in the interval');
    assert.equal(iv.reads.corrupt, 1);
    assert.deepEqual(rec.lossesTotal, { missing: 2, corrupt: 1 });
    assert.equal(rec.losses.length, 3);
    assert.equal(rec.losses[0]!.phase, phaseLabel(resizing(3, 6, 1)));
    assert.equal(rec.losses[1]!.kind, 'corrupt');
    assert.equal(rec.losses[2]!.detectedBy, 'sweep');
    const ev = rec.events.find((e) => e.type === 'row-corrupt')!;
    assert.equal(ev.column, 's3');
    assert.equal(ev.id, 'id-2');
    for (let i = 0; i < 5000; i++) rec.recordLoss('missing', `m${i}`, 'sweep');
    assert.equal(rec.lossesTotal.missing, 5002, 'the count is exact');
    assert.ok(rec.losses.length <= 1000, `the list is bounded: ${rec.losses.length}`);
    assert.ok(rec.losses.length >= 100);
  });

  test('event text reaches outputs without control characters or known secrets, and capped', () => {
    const { rec } = setup({ kind: 'load-only' });
    const secret = new Secret('recorder-event-secret-77ab');
    const seen: TimelineEvent[] = [];
    rec.addOutput({ event: (e) => seen.push(e) });
    rec.event({ type: 'api-error', message: `\x1b[31mboom\r\nFORGED ${secret.reveal()}\u202e`, hosts: ['a\nb'], count: 3, big: 'x'.repeat(100_000) });
    const e = seen[0]!;
    assert.equal(e.message, 'boom FORGED ***');
    assert.deepEqual(e.hosts, ['a b']);
    assert.equal(e.count, 3);
    assert.ok(String(e.big).length < 5000);
    assert.equal(rec.events[0]!.message, 'boom FORGED ***');
  });

  test('the event list is bounded and counts what it dropped', () => {
    const { rec } = setup();
    for (let i = 0; i < 25_000; i++) rec.event({ type: 'error-burst', n: i });
    assert.ok(rec.events.length <= 20_000);
    assert.equal(rec.events.length + rec.droppedEvents, 25_000);
  });
});

// ---------- thresholds ----------

function lat(p99: number): LatencyStats {
  return { count: 100, p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 1.5, max: p99 * 2, mean: p99 / 4 };
}

let phaseIndex = 0;
function phase(
  p: Phase,
  o: { durationMs?: number; rows?: number; writeP99?: number; readP99?: number; reads?: number; batches?: number; failedBatches?: number; readErrors?: number } = {},
): PhaseReport {
  const durationMs = o.durationMs ?? 60_000;
  const rows = o.rows ?? 60_000;
  const errs = zeroErrors();
  errs.timeout = o.readErrors ?? 0;
  return {
    startMs: 0,
    endMs: durationMs,
    durationMs,
    writes: {
      batches: o.batches ?? rows / 30,
      rows,
      rowsPerSec: (rows * 1000) / durationMs,
      retriedErrors: zeroErrors(),
      failedBatches: o.failedBatches ?? 0,
      failedRows: 0,
      batchLatency: lat(o.writeP99 ?? 10),
      rowLatency: lat(o.writeP99 ?? 10),
      serviceLatency: lat(o.writeP99 ?? 10),
      rowsDue: 0,
      rowsSent: 0,
      targetRowsPerSec: 0,
      behindRows: 0,
    },
    reads: {
      scheduled: o.reads ?? 1000,
      completed: o.reads ?? 1000,
      readsPerSec: 0,
      targetPerSec: 0,
      responseLatency: lat(o.readP99 ?? 5),
      serviceLatency: lat(o.readP99 ?? 5),
      errors: errs,
      missing: 0,
      notYetVisible: 0,
      corrupt: 0,
    },
    loader: { cpuPercent: 0, busiestThreadPercent: 0, eventLoopDelayP99Ms: 0, rssMb: 0, heapMb: 0 },
    index: phaseIndex++,
    phase: p,
    key: phaseKey(p),
    label: phaseLabel(p),
  };
}

const S3: Phase = { kind: 'steady', nodes: 3, cycle: 0 };
const UP: Phase = { kind: 'resizing', from: 3, to: 6, cycle: 1, requestId: '7' };
const S6: Phase = { kind: 'steady', nodes: 6, cycle: 1 };
const DOWN: Phase = { kind: 'resizing', from: 6, to: 3, cycle: 1, requestId: '8' };

const NO_LIMITS = {
  maxWriteP99Ms: undefined,
  maxReadP99Ms: undefined,
  minThroughputRatio: undefined,
  maxErrorRate: undefined,
  maxLostRows: 0,
  maxResizeSecs: undefined,
};

function input(phases: PhaseReport[], extra: { lostRows?: number; resizes?: ResizeRecord[]; minPhaseMs?: number; nowMs?: number } = {}) {
  return { phases, resizes: extra.resizes ?? [], lostRows: extra.lostRows ?? 0, minPhaseMs: extra.minPhaseMs ?? 1000, nowMs: extra.nowMs ?? 1e6 };
}

function only(results: ReturnType<typeof evaluateThresholds>, name: RegExp) {
  const r = results.filter((x) => name.test(x.name));
  assert.equal(r.length, 1, `one result matching ${name}: ${results.map((x) => x.name).join(', ')}`);
  return r[0]!;
}

describe('evaluateThresholds', () => {
  const phases = () => [
    phase(S3, { writeP99: 12, readP99: 4 }),
    phase(UP, { writeP99: 80, readP99: 40, rows: 42_000 }),
    phase(S6, { writeP99: 20, readP99: 6, rows: 66_000 }),
    phase(DOWN, { writeP99: 50, readP99: 30, rows: 48_000 }),
  ];

  test('with no limits only lost rows is checked', () => {
    const r = evaluateThresholds(NO_LIMITS, input(phases()));
    assert.equal(r.length, 1);
    assert.equal(r[0]!.name, 'lost or corrupt rows');
    assert.equal(r[0]!.passed, true);
    assert.equal(r[0]!.scope, 'run');
  });

  test('write p99: passes at the boundary, fails just under it, worst phase is the scope', () => {
    const pass = only(evaluateThresholds({ ...NO_LIMITS, maxWriteP99Ms: 80 }, input(phases())), /write p99/);
    assert.equal(pass.passed, true);
    assert.equal(pass.scope, phaseLabel(UP));
    assert.match(pass.actual, /80/);
    const fail = only(evaluateThresholds({ ...NO_LIMITS, maxWriteP99Ms: 79.9 }, input(phases())), /write p99/);
    assert.equal(fail.passed, false);
    assert.equal(fail.scope, phaseLabel(UP));
  });

  test('read p99 (response time): boundary and scope; phases without reads ignored', () => {
    const ps = [...phases(), phase({ kind: 'waiting', cycle: 2, nodes: 3, reason: 'busy' }, { reads: 0, readP99: 9999 })];
    const pass = only(evaluateThresholds({ ...NO_LIMITS, maxReadP99Ms: 40 }, input(ps)), /read p99/);
    assert.equal(pass.passed, true);
    assert.equal(pass.scope, phaseLabel(UP));
    const fail = only(evaluateThresholds({ ...NO_LIMITS, maxReadP99Ms: 39.99 }, input(ps)), /read p99/);
    assert.equal(fail.passed, false);
  });

  test('throughput ratio against the first steady phase: boundary and scope', () => {
    // baseline steady@3 = 1000 rows/s; worst is the resize up at 700 rows/s (0.7×)
    const ps = phases();
    const pass = only(evaluateThresholds({ ...NO_LIMITS, minThroughputRatio: 0.7 }, input(ps)), /rows\/s/);
    assert.equal(pass.passed, true, JSON.stringify(pass));
    assert.equal(pass.scope, phaseLabel(UP));
    assert.match(pass.limit, new RegExp(phaseLabel(S3).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const fail = only(evaluateThresholds({ ...NO_LIMITS, minThroughputRatio: 0.71 }, input(ps)), /rows\/s/);
    assert.equal(fail.passed, false);
    assert.equal(fail.scope, phaseLabel(UP));
  });

  test('the baseline is the first steady phase, not an earlier non-steady one', () => {
    const waiting = phase({ kind: 'waiting', cycle: 0, nodes: 3, reason: 'request in progress' }, { rows: 600_000 });
    const ps = [waiting, ...phases()];
    assert.equal(baselinePhase(ps, 0)?.label, phaseLabel(S3));
    const r = only(evaluateThresholds({ ...NO_LIMITS, minThroughputRatio: 0.7 }, input(ps)), /rows\/s/);
    assert.equal(r.passed, true, 'judged against steady@3 (1000/s), not the waiting phase (10000/s)');
    // a first steady phase without writes is not a baseline
    const idle = phase(S3, { rows: 0 });
    assert.equal(baselinePhase([idle, phase(S6, { rows: 5 })], 0)?.label, phaseLabel(S6));
    // no steady phase at all: the first phase with writes
    const lo = phase({ kind: 'load-only' });
    assert.equal(baselinePhase([phase(UP, { rows: 0 }), lo], 0)?.key, 'load-only');
    // a steady phase too short to judge is not the baseline: the throughput threshold would not judge it either
    const blip = phase(S3, { durationMs: 900, rows: 50 });
    assert.equal(baselinePhase([blip, phase(UP), phase(S6)], 1000)?.label, phaseLabel(S6));
  });

  test('throughput ratio without any write fails with "no baseline"', () => {
    const r = only(evaluateThresholds({ ...NO_LIMITS, minThroughputRatio: 0.5 }, input([phase(S3, { rows: 0 })])), /rows\/s/);
    assert.equal(r.passed, false);
    assert.match(r.actual, /no baseline/);
  });

  test('error rate: failed batches and read errors over all requests, at the boundary', () => {
    // 90 ok batches + 10 failed + 0 reads → 0.1
    const ps = [phase(S3, { rows: 2700, batches: 90, failedBatches: 10, reads: 0 }), phase(S6, { reads: 90, readErrors: 5, batches: 5 })];
    const pass = only(evaluateThresholds({ ...NO_LIMITS, maxErrorRate: 0.1 }, input(ps)), /error rate/);
    assert.equal(pass.passed, true);
    assert.equal(pass.scope, phaseLabel(S3));
    const fail = only(evaluateThresholds({ ...NO_LIMITS, maxErrorRate: 0.099 }, input(ps)), /error rate/);
    assert.equal(fail.passed, false);
    const readHeavy = [phase(S3, { batches: 0, rows: 0, reads: 80, readErrors: 20 })];
    assert.equal(only(evaluateThresholds({ ...NO_LIMITS, maxErrorRate: 0.2 }, input(readHeavy)), /error rate/).passed, true);
    assert.equal(only(evaluateThresholds({ ...NO_LIMITS, maxErrorRate: 0.19 }, input(readHeavy)), /error rate/).passed, false);
  });

  test('lost rows: at the limit passes, over it fails', () => {
    assert.equal(only(evaluateThresholds(NO_LIMITS, input(phases(), { lostRows: 1 })), /lost/).passed, false);
    assert.equal(only(evaluateThresholds({ ...NO_LIMITS, maxLostRows: 5 }, input(phases(), { lostRows: 5 })), /lost/).passed, true);
    assert.equal(only(evaluateThresholds({ ...NO_LIMITS, maxLostRows: 5 }, input(phases(), { lostRows: 6 })), /lost/).passed, false);
  });

  test('resize duration: the longest resize, unfinished ones counted to now', () => {
    const resizes: ResizeRecord[] = [
      { cycle: 1, from: 3, to: 6, requestId: 'a', startMs: 0, endMs: 100_000, durationMs: 100_000, outcome: 'completed' },
      { cycle: 1, from: 6, to: 3, requestId: 'b', startMs: 200_000, endMs: 450_000, durationMs: 250_000, outcome: 'completed' },
      { cycle: 2, from: 3, to: 6, requestId: 'c', startMs: 700_000, endMs: null, durationMs: null, outcome: 'unfinished' },
    ];
    const at = (limit: number) => only(evaluateThresholds({ ...NO_LIMITS, maxResizeSecs: limit }, input(phases(), { resizes, nowMs: 1_000_000 })), /resize/);
    assert.equal(at(300).passed, true);
    assert.equal(at(300).scope, 'resize 3→6 (cycle 2)');
    assert.equal(at(299).passed, false);
    const none = evaluateThresholds({ ...NO_LIMITS, maxResizeSecs: 1 }, input(phases()));
    assert.equal(none.filter((r) => /resize/.test(r.name)).length, 0, 'no resize, nothing to judge');
  });

  test('phases shorter than minPhaseMs are ignored', () => {
    const blip = phase(DOWN, { durationMs: 500, rows: 1, writeP99: 5000, readP99: 5000, failedBatches: 100 });
    const ps = [phase(S3), blip, phase(S6)];
    const limits = { ...NO_LIMITS, maxWriteP99Ms: 100, maxReadP99Ms: 100, minThroughputRatio: 0.9, maxErrorRate: 0.01 };
    const ignored = evaluateThresholds(limits, input(ps, { minPhaseMs: 1000 }));
    assert.ok(ignored.every((r) => r.passed), JSON.stringify(ignored.filter((r) => !r.passed)));
    const judged = evaluateThresholds(limits, input(ps, { minPhaseMs: 500 }));
    for (const name of [/write p99/, /read p99/, /rows\/s/, /error rate/]) {
      const r = only(judged, name);
      assert.equal(r.passed, false, `${name} must fail when the blip is judged`);
      assert.equal(r.scope, phaseLabel(DOWN));
    }
  });
});

describe('ResizeLog', () => {
  test('one record per resize with duration and outcome; the cycle follows the resizing phase', () => {
    let cycle = 0;
    const log = new ResizeLog(() => cycle);
    log.onEvent({ type: 'resize-submitted', at: 1000, requestId: '42', from: 3, to: 6 });
    assert.equal(log.records.length, 1);
    assert.equal(log.records[0]!.outcome, 'unfinished');
    assert.equal(log.records[0]!.cycle, 0);
    cycle = 1;
    log.onPhase({ kind: 'resizing', cycle: 1, from: 3, to: 6, requestId: '42' });
    assert.equal(log.records[0]!.cycle, 1);
    log.onEvent({ type: 'resize-adopted', at: 1500, requestId: '42', from: 3, to: 6 });
    assert.equal(log.records.length, 1, 'the same request is not recorded twice');
    log.onEvent({ type: 'resize-completed', at: 61_000 });
    assert.deepEqual(log.records[0], { cycle: 1, from: 3, to: 6, requestId: '42', startMs: 1000, endMs: 61_000, durationMs: 60_000, outcome: 'completed' });
    log.onPhase({ kind: 'steady', cycle: 1, nodes: 6 });
    log.onEvent({ type: 'resize-submitted', at: 100_000, requestId: '43', from: 6, to: 3 });
    log.onEvent({ type: 'resize-failed', at: 130_000, durationMs: 29_000 });
    assert.equal(log.records.length, 2);
    assert.equal(log.records[1]!.outcome, 'failed');
    assert.equal(log.records[1]!.durationMs, 29_000, 'a duration given by the event wins');
    assert.equal(log.records[1]!.endMs, 130_000);
    assert.equal(log.records[0]!.durationMs, 60_000, 'earlier records are left alone');
  });

  test('completion without an open resize is ignored; unrelated events are ignored', () => {
    const log = new ResizeLog(() => 3);
    log.onEvent({ type: 'resize-completed', at: 5 });
    log.onEvent({ type: 'node-up', at: 6 });
    assert.equal(log.records.length, 0);
    log.onPhase({ kind: 'resizing', cycle: 9, from: 3, to: 6, requestId: null });
    assert.equal(log.records.length, 0);
    log.onEvent({ type: 'resize-adopted', at: 10, from: 3, to: 6 });
    assert.equal(log.records[0]!.requestId, null);
    assert.equal(log.records[0]!.cycle, 3);
  });
});

describe('rates are per second of load', () => {
  const T0 = 1_800_000_000_000;
  test('the drain and the verification sweep add no time to rates, the read target or phase durations', async () => {
    const clock = new FakeClock(T0);
    const probe = { due: 0, rowsDue: 0 };
    const rec = new Recorder(
      clock,
      {
        readTarget: () => 200,
        readsDue: () => probe.due,
        writeSchedule: () => ({ targetPerSec: 1000, rowsDue: probe.rowsDue, rowsTaken: Math.min(probe.rowsDue, 10_000) }),
        inflight: () => ({ inflight: 0, limit: 8 }),
        loader: () => ({ cpuPercent: 1, busiestThreadPercent: 1, eventLoopDelayP99Ms: 1, rssMb: 1, heapMb: 1 }),
      },
      { kind: 'steady', cycle: 0, nodes: 3 },
    );
    // 10 s of load: 1,000 rows/s and 200 reads/s, as scheduled
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 10; i++) rec.recordWrite(100, 1000, 1000);
      for (let i = 0; i < 200; i++) rec.recordRead(1000, 900);
      probe.due += 200;
      probe.rowsDue += 1000;
      await clock.advance(1000);
      rec.tick();
    }
    rec.endLoad();
    // a 5 s drain settles the last batch; the schedule keeps "falling due" in the probe, but nothing is sent
    rec.recordWrite(100, 5_000_000, 5_000_000);
    probe.due += 1000;
    probe.rowsDue += 5000;
    await clock.advance(5000);
    rec.finish();
    // a 113 s sweep finds nothing wrong
    await clock.advance(113_000);
    const o = rec.overall();
    assert.equal(o.durationMs, 10_000);
    assert.equal(o.writes.rows, 10_100, 'rows the drain settled are counted');
    assert.equal(o.writes.rowsPerSec, 1010);
    assert.equal(o.reads.readsPerSec, 200);
    assert.equal(o.reads.targetPerSec, 200, 'the target the user set, not diluted by the drain or the sweep');
    assert.equal(o.reads.scheduled, 2000, 'nothing falls due after the load ended');
    assert.equal(o.writes.targetRowsPerSec, 1000, 'open-loop writes: the target set, over the time of load');
    assert.equal(o.writes.rowsDue, 10_000);
    assert.equal(rec.intervals.at(-1)!.writes.behindRows, 0, 'rows the schedule would still have offered in the drain are not a backlog');
    const [phase] = rec.phaseReports();
    assert.equal(phase!.durationMs, 10_000);
    assert.equal(phase!.writes.rowsPerSec, 1010);
    assert.equal(phase!.reads.targetPerSec, 200);
    assert.equal(rec.byPhaseKey()[0]!.durationMs, 10_000);
    // the drain is still an interval of its own on the charts, with no reads asked for
    const drain = rec.intervals.at(-1)!;
    assert.equal(drain.durationMs, 5000);
    assert.equal(drain.reads.scheduled, 0);
    assert.equal(drain.reads.targetPerSec, 0);
  });

  test('an interval that spans the end of the load counts reads due and the target only up to it', async () => {
    const clock = new FakeClock(T0);
    const probe = { due: 0 };
    const rec = new Recorder(
      clock,
      { readTarget: () => 100, readsDue: () => probe.due, inflight: () => ({ inflight: 0, limit: 8 }), loader: () => ({ cpuPercent: 1, busiestThreadPercent: 1, eventLoopDelayP99Ms: 1, rssMb: 1, heapMb: 1 }) },
      { kind: 'steady', cycle: 0, nodes: 3 },
    );
    probe.due = 300;
    await clock.advance(3000);
    rec.endLoad();
    probe.due = 500; // the schedule's clock runs on through the drain
    await clock.advance(2000);
    rec.finish();
    const [iv] = rec.intervals;
    assert.equal(iv!.durationMs, 5000);
    assert.equal(iv!.reads.scheduled, 300);
    const o = rec.overall();
    assert.equal(o.durationMs, 3000);
    assert.equal(o.reads.targetPerSec, 100);
    assert.equal(o.reads.scheduled, 300);
  });

  test('a phase change during the drain starts an empty phase at the end of the load', async () => {
    const clock = new FakeClock(T0);
    const rec = new Recorder(
      clock,
      { readTarget: () => 0, readsDue: () => 0, inflight: () => ({ inflight: 0, limit: 8 }), loader: () => ({ cpuPercent: 1, busiestThreadPercent: 1, eventLoopDelayP99Ms: 1, rssMb: 1, heapMb: 1 }) },
      { kind: 'steady', cycle: 0, nodes: 3 },
    );
    rec.recordWrite(10, 1000, 1000);
    await clock.advance(4000);
    rec.endLoad();
    await clock.advance(2000);
    rec.setPhase({ kind: 'waiting', cycle: 1, nodes: null, reason: 'stopping' });
    await clock.advance(2000);
    rec.finish();
    const [first, second] = rec.phaseReports();
    assert.equal(first!.durationMs, 4000);
    assert.equal(second!.startMs, first!.endMs);
    assert.equal(second!.durationMs, 0);
    assert.equal(rec.overall().durationMs, 4000);
  });
});
