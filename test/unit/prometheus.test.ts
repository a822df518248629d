import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { FakeClock } from '../../src/clock.js';
import { LatencyHistogram } from '../../src/metrics/histograms.js';
import { serveMetrics } from '../../src/metrics/metricsServer.js';
import { EXPOSED_PHASES, LATENCY_BUCKETS_SECONDS, METRIC_PREFIX, PrometheusExporter, loaderLabel, phaseLabels, type ScalerLiveState } from '../../src/metrics/prometheus.js';
import { Recorder, type RecorderProbes } from '../../src/metrics/recorder.js';
import type { Phase } from '../../src/phase.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text format's sample lines (comments skipped), labels unescaped enough for these values. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function pick(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === METRIC_PREFIX + name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = pick(samples, name, labels);
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
  return found[0]!.value;
}

function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31);
}

describe('LatencyHistogram.cumulative', () => {
  test('counts at or below each bound agree with the recorded values, within HDR precision', () => {
    const h = new LatencyHistogram();
    const values: number[] = [];
    const next = lcg(99);
    for (let i = 0; i < 30_000; i++) {
      // Log-spread 5 µs … ~80 s, so every bucket bound has values on both sides.
      const us = Math.round(5 * Math.exp((next() % 1_000_000) / 1_000_000 * 16.6));
      values.push(us);
      h.record(us);
    }
    const bounds = LATENCY_BUCKETS_SECONDS.map((s) => s * 1e6);
    const { atOrBelow, sumMicros } = h.cumulative(bounds);
    bounds.forEach((b, i) => {
      const exact = values.filter((v) => v <= b).length;
      // HDR keeps 3 significant digits: a value up to 0.1 % above a bound may share the bound's bucket.
      const loose = values.filter((v) => v <= b * 1.001).length;
      assert.ok(atOrBelow[i]! >= exact && atOrBelow[i]! <= loose, `≤ ${b} µs: ${atOrBelow[i]} not in [${exact}, ${loose}]`);
      if (i > 0) assert.ok(atOrBelow[i]! >= atOrBelow[i - 1]!, 'monotone');
    });
    const exactSum = values.reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(sumMicros - exactSum) <= exactSum * 0.001, `sum ${sumMicros} vs ${exactSum}`);
  });

  test('an empty histogram counts nothing', () => {
    assert.deepEqual(new LatencyHistogram().cumulative([10, 20]), { atOrBelow: [0, 0], sumMicros: 0 });
  });
});

function rig(initial: Phase, scaler: ScalerLiveState | null = null) {
  const clock = new FakeClock(1_000_000);
  const probe = { due: 0, inflight: 3, limit: 40 };
  const probes: RecorderProbes = {
    readTarget: () => 100,
    readsDue: () => probe.due,
    inflight: () => ({ inflight: probe.inflight, limit: probe.limit }),
    loader: () => ({ cpuPercent: 50, busiestThreadPercent: 50, eventLoopDelayP99Ms: 4, rssMb: 100, heapMb: 20 }),
  };
  const rec = new Recorder(clock, probes, initial);
  const exporter = new PrometheusExporter({ phase: () => rec.phase, scaler: () => scaler, loader: 'host-a-1234' });
  rec.addOutput(exporter);
  return { clock, probe, rec, exporter };
}

describe('PrometheusExporter', () => {
  const steady: Phase = { kind: 'steady', cycle: 0, nodes: 3 };
  const resizing: Phase = { kind: 'resizing', cycle: 1, from: 3, to: 6, requestId: '42' };

  test('counters per phase and cycle, every series labelled with the loader, names by the conventions', async () => {
    const { clock, probe, rec, exporter } = rig(steady, { nodes: 4, progressPercent: 35 });
    rec.recordWrite(10, 2_000, 2_000);
    rec.recordWrite(20, 3_000, 3_000);
    rec.recordWriteRetry('timeout');
    probe.due = 7;
    rec.recordRead(1_500, 1_200);
    await clock.advance(5_000);
    rec.tick();
    rec.setPhase(resizing);
    rec.recordWrite(5, 9_000, 9_000);
    rec.recordWriteFailed(8, 'overloaded');
    rec.recordReadError('unavailable');
    rec.recordLoss('missing', 'id-1', 'read');
    await clock.advance(2_000);
    rec.tick();
    rec.recordLoss('corrupt', 'id-2', 'sweep');
    exporter.finished(4);

    const text = await exporter.metrics();
    const s = parseExposition(text);
    const inSteady = { phase: 'steady@3', cycle: '0' };
    const inResize = { phase: 'resize 3→6', cycle: '1' };
    assert.equal(value(s, 'rows_written_total', inSteady), 30);
    assert.equal(value(s, 'batches_written_total', inSteady), 2);
    assert.equal(value(s, 'rows_written_total', inResize), 5);
    assert.equal(value(s, 'write_failed_rows_total', inResize), 8);
    assert.equal(value(s, 'write_errors_total', { ...inSteady, class: 'timeout' }), 1);
    assert.equal(value(s, 'write_errors_total', { ...inResize, class: 'overloaded' }), 1);
    assert.equal(value(s, 'write_errors_total', { ...inResize, class: 'busy' }), 0, 'every class is there from the start, at 0');
    assert.equal(value(s, 'read_errors_total', { ...inResize, class: 'unavailable' }), 1);
    assert.equal(value(s, 'reads_total', inSteady), 1);
    assert.equal(value(s, 'reads_due_total', inSteady), 7);
    assert.equal(value(s, 'rows_lost_total', { ...inResize, kind: 'missing', detected_by: 'read' }), 1);
    assert.equal(value(s, 'rows_lost_total', { ...inResize, kind: 'corrupt', detected_by: 'sweep' }), 1, 'a loss the final sweep finds counts too');
    // 50 % of a core over the 5 s and the 2 s intervals.
    assert.equal(value(s, 'loader_cpu_seconds_total', inSteady), 2.5);
    assert.equal(value(s, 'loader_cpu_seconds_total', inResize), 1);

    // Interval gauges only for the phase of the last interval: the old phase's series goes stale.
    assert.equal(pick(s, 'write_inflight_limit_batches', inSteady).length, 0);
    assert.equal(value(s, 'write_inflight_limit_batches', inResize), 40);
    assert.equal(value(s, 'write_inflight_batches', inResize), 3);
    assert.equal(value(s, 'loader_cpu_ratio', inResize), 0.5);
    assert.equal(value(s, 'loader_event_loop_delay_p99_seconds', inResize), 0.004);
    assert.equal(value(s, 'loader_resident_memory_bytes', inResize), 100 * 2 ** 20);

    // Scraped state: the phase right now, the scaler's view of the cluster.
    assert.equal(value(s, 'phase_info', { ...inResize, kind: 'resizing', request_id: '42' }), 1);
    assert.equal(pick(s, 'phase_info').length, 1);
    assert.equal(value(s, 'cycle', inResize), 1);
    assert.equal(value(s, 'cluster_nodes', inResize), 4);
    assert.equal(value(s, 'cluster_target_nodes', inResize), 6);
    assert.equal(value(s, 'resize_progress_ratio', inResize), 0.35);
    assert.equal(value(s, 'run_exit_code', inResize), 4, 'the verdict, in the phase the run ended in');

    for (const x of s) {
      assert.ok(x.name.startsWith(METRIC_PREFIX), x.name);
      assert.equal(x.labels.loader, 'host-a-1234', `${x.name} carries the loader label`);
      assert.ok(x.labels.phase && x.labels.cycle, `${x.name} carries phase and cycle`);
    }
    const types = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    for (const [name, type] of types) {
      if (type === 'counter') assert.ok(name.endsWith('_total'), `counter ${name} ends in _total`);
      if (type === 'histogram') assert.ok(name.endsWith('_seconds'), `histogram ${name} is in seconds`);
      assert.ok(!/_(ms|milliseconds|mb|percent)(_|$)/.test(name), `${name} is in base units`);
    }
    assert.equal(types.get(`${METRIC_PREFIX}write_batch_duration_seconds`), 'histogram');
  });

  test('latency histograms: buckets monotone and matching the HDR counts of the recorded batches', async () => {
    const { clock, rec, exporter } = rig(steady);
    const micros: number[] = [];
    const next = lcg(7);
    for (let i = 0; i < 5_000; i++) {
      const us = 100 + (next() % 300_000);
      micros.push(us);
      rec.recordWrite(10, us, us);
      rec.recordRead(us * 2, us);
      if (i === 2_500) {
        await clock.advance(1_000);
        rec.tick();
      }
    }
    await clock.advance(1_000);
    rec.tick();
    const s = parseExposition(await exporter.metrics());
    const labels = { phase: 'steady@3', cycle: '0' };
    const buckets = pick(s, 'write_batch_duration_seconds_bucket', labels);
    assert.equal(buckets.length, LATENCY_BUCKETS_SECONDS.length + 1);
    const all = new LatencyHistogram();
    for (const us of micros) all.record(us);
    const hdr = all.cumulative(LATENCY_BUCKETS_SECONDS.map((b) => b * 1e6)).atOrBelow;
    let previous = 0;
    buckets.forEach((b, i) => {
      assert.ok(b.value >= previous, `bucket le=${b.labels.le} ≥ the one below`);
      previous = b.value;
      if (i < LATENCY_BUCKETS_SECONDS.length) {
        assert.equal(Number(b.labels.le), LATENCY_BUCKETS_SECONDS[i]);
        // Two intervals summed bucket by bucket equal one histogram of every value.
        assert.equal(b.value, hdr[i], `le=${b.labels.le}`);
      } else {
        assert.equal(b.labels.le, '+Inf');
        assert.equal(b.value, micros.length);
      }
    });
    assert.equal(value(s, 'write_batch_duration_seconds_count', labels), micros.length);
    const exactSum = micros.reduce((a, v) => a + v, 0) / 1e6;
    assert.ok(Math.abs(value(s, 'write_batch_duration_seconds_sum', labels) - exactSum) <= exactSum * 0.001);
    assert.equal(value(s, 'read_service_duration_seconds_count', labels), micros.length);
    assert.equal(value(s, 'read_response_duration_seconds_bucket', { ...labels, le: '+Inf' }), micros.length);
  });

  test(`only the last ${EXPOSED_PHASES} phase occurrences stay exposed, so many cycles keep the scrape bounded`, async () => {
    const { clock, rec, exporter } = rig(steady);
    const seq: Phase[] = [];
    for (let c = 1; c <= 6; c++) {
      seq.push({ kind: 'resizing', cycle: c, from: 3, to: 6, requestId: String(c) }, { kind: 'steady', cycle: c, nodes: 6 });
    }
    for (const [i, p] of seq.entries()) {
      rec.recordWrite(i + 1, 1_000, 1_000);
      rec.recordLoss('missing', `id-${i}`, 'read');
      await clock.advance(1_000);
      rec.setPhase(p);
    }
    rec.recordWrite(100, 1_000, 1_000);
    rec.tick();
    const s = parseExposition(await exporter.metrics());
    const all = [steady, ...seq];
    const kept = all.slice(-EXPOSED_PHASES).map((p) => phaseLabels(p));
    const shown = (name: string): string[] => [...new Set(pick(s, name).map((x) => `${x.labels.phase} #${x.labels.cycle}`))].sort();
    const expected = kept.map((l) => `${l.phase} #${l.cycle}`).sort();
    for (const name of ['rows_written_total', 'write_errors_total', 'rows_lost_total', 'write_batch_duration_seconds_bucket', 'read_service_duration_seconds_count']) {
      assert.deepEqual(shown(name), expected, name);
    }
    // The kept series still hold their whole counts.
    all.slice(-EXPOSED_PHASES).forEach((p, i) => {
      const idx = all.length - EXPOSED_PHASES + i;
      assert.equal(value(s, 'rows_written_total', phaseLabels(p)), idx === all.length - 1 ? 100 : idx + 1);
    });
  });

  test('a load-only run: cycle 0, no scaler series, the loader label defaults to host and pid', async () => {
    const clock = new FakeClock(0);
    const rec = new Recorder(
      clock,
      { readTarget: () => 0, readsDue: () => 0, inflight: () => ({ inflight: 0, limit: 1 }), loader: () => ({ cpuPercent: 0, busiestThreadPercent: 0, eventLoopDelayP99Ms: 0, rssMb: 0, heapMb: 0 }) },
      { kind: 'load-only' },
    );
    const exporter = new PrometheusExporter({ phase: () => rec.phase, loader: loaderLabel({ index: 0, count: 1 }) });
    rec.addOutput(exporter);
    rec.tick();
    const s = parseExposition(await exporter.metrics());
    assert.equal(value(s, 'phase_info', { phase: 'load-only', cycle: '0', kind: 'load-only' }), 1);
    assert.equal(pick(s, 'cluster_nodes').length, 0);
    assert.equal(pick(s, 'resize_progress_ratio').length, 0);
    assert.match(s[0]!.labels.loader!, new RegExp(`-${process.pid}$`));
  });

  test('the loader label names the shard in a split run (stable across pods and restarts), else the process', () => {
    assert.equal(loaderLabel({ index: 2, count: 3 }, 'pod-x', 7), 'shard-2-of-3');
    assert.equal(loaderLabel({ index: 0, count: 1 }, 'host-a', 1234), 'host-a-1234');
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('serveMetrics', () => {
  test('serves /metrics on the loopback address, 404 elsewhere, refuses a port in use, closes', async () => {
    const { rec } = rig({ kind: 'load-only' });
    const port = await freePort();
    const endpoint = await serveMetrics({ host: '127.0.0.1', port, recorder: rec, clock: new FakeClock(), loader: 'x' });
    try {
      assert.equal(endpoint.url, `http://127.0.0.1:${port}/metrics`);
      rec.recordWrite(4, 1000, 1000);
      rec.tick();
      const res = await fetch(endpoint.url);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const s = parseExposition(await res.text());
      assert.equal(value(s, 'rows_written_total', { phase: 'load-only', cycle: '0', loader: 'x' }), 4);
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
      await assert.rejects(serveMetrics({ host: '127.0.0.1', port, recorder: rec, clock: new FakeClock(), loader: 'y' }), /EADDRINUSE/);
    } finally {
      await endpoint.close();
    }
    await assert.rejects(fetch(endpoint.url));
  });

  /** An endpoint on a fake clock, scraped at t = 0 and t = gapMs when gapMs is given (once at t = 0 for 0, never for null). */
  const scrapedEndpoint = async (gapMs: number | null) => {
    const { rec } = rig({ kind: 'load-only' });
    const clock = new FakeClock();
    const endpoint = await serveMetrics({ host: '127.0.0.1', port: 0, recorder: rec, clock, loader: 'x' });
    const scrape = async (): Promise<Sample[]> => parseExposition(await (await fetch(endpoint.url)).text());
    if (gapMs !== null) await scrape();
    if (gapMs) {
      await clock.advance(gapMs);
      await scrape();
    }
    return { endpoint, clock, scrape };
  };

  test('the final scrape: waited for, it carries the exit code; at most twice the scrape gap seen and a second', async () => {
    const { endpoint, scrape } = await scrapedEndpoint(5000);
    try {
      assert.equal(pick(await scrape(), 'run_exit_code').length, 0, 'no exit code while the run goes on');
      endpoint.exporter.finished(4);
      const wait = endpoint.finalScrape(60_000);
      assert.equal(wait.waitMs, 11_000, 'twice the gap and a second');
      let settled = false;
      void wait.outcome.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(settled, false, 'no scrape yet since the wait began');
      assert.equal(value(await scrape(), 'run_exit_code', { phase: 'load-only', cycle: '0', loader: 'x' }), 4);
      assert.equal(await wait.outcome, 'scraped');
    } finally {
      await endpoint.close();
    }
  });

  test('the final scrape: a scraper that stopped costs at most the linger, or twice its gap and a second; none is not waited for', async () => {
    const stopped = await scrapedEndpoint(5000);
    const once = await scrapedEndpoint(0);
    const never = await scrapedEndpoint(null);
    try {
      const a = stopped.endpoint.finalScrape(3000);
      assert.equal(a.waitMs, 3000, 'the linger caps twice the gap');
      await stopped.clock.advance(3000);
      assert.equal(await a.outcome, 'timed-out');
      const b = once.endpoint.finalScrape(7000);
      assert.equal(b.waitMs, 7000, 'one scrape seen: no gap known, the linger alone');
      await once.clock.advance(6999);
      let settled = false;
      void b.outcome.then(() => (settled = true));
      await new Promise((r) => setImmediate(r));
      assert.equal(settled, false);
      await once.clock.advance(1);
      assert.equal(await b.outcome, 'timed-out');
      const c = never.endpoint.finalScrape(60_000);
      assert.equal(c.waitMs, 0);
      assert.equal(await c.outcome, 'no-scraper');
    } finally {
      await Promise.all([stopped, once, never].map((x) => x.endpoint.close()));
    }
  });
});
