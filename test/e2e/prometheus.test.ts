// A real Prometheus scrapes the tool's /metrics during a real-cluster run whose scaler resizes (simulated by the
// local Cloud API) so the phase labels change; what Prometheus stored must agree with the run's summary, and
// every query of the Grafana dashboard must return data. Two such runs are then compared with `compare`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { LocalCluster } from '../../src/local/cassandra.js';
import { startCloudServer, type CloudServer } from '../../src/local/cloudServer.js';
import { SimulatedProvider } from '../../src/local/simulatedProvider.js';
import { LATENCY_BUCKETS_SECONDS, phaseLabels } from '../../src/metrics/prometheus.js';
import type { IntervalReport, RunSummary } from '../../src/metrics/types.js';
import { runTool, type RunResult } from '../../src/run.js';
import { startCluster } from '../helpers/sharedCluster.js';
import { capturedDeps, testConfig } from '../helpers/runHarness.js';
import { freeLoopbackPort, prometheusInstalled, startPrometheus, type PromSeries, type TestPrometheus } from '../helpers/prometheus.js';

const TOKEN = 'prom-token-5d1e8a3c7b9f20e4a6c8d0f2';
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const DASHBOARD = fileURLToPath(new URL('../../../deploy/grafana/scylla-resize-test.json', import.meta.url));

describe('Prometheus scraping a real run', { timeout: 15 * 60_000 }, () => {
  let cluster: LocalCluster;
  let cloud: CloudServer;
  let prom: TestPrometheus;
  let metricsPort: number;

  before(async () => {
    assert.ok(prometheusInstalled(), 'the prometheus binary is on PATH (Debian: apt-get install prometheus; .ci/run installs it)');
    cluster = await startCluster(1, 'e2e-prometheus');
    // The resizes are simulated by the Cloud API (the CQL node stays one), so the phases change within seconds.
    cloud = await startCloudServer({ token: TOKEN, accountId: 7, clusterId: 42, rf: 1, provider: new SimulatedProvider({ initialNodes: 1, joinMs: 3_000, leaveMs: 3_000 }) });
    metricsPort = await freeLoopbackPort();
    prom = await startPrometheus(metricsPort);
  });

  after(async () => {
    await prom?.stop();
    await cloud?.close();
    await cluster?.stop();
  });

  type Ran = RunResult & { summary: RunSummary; runDir: string; lines: string[] };
  const runOnce = async (keyspace: string, metrics: boolean): Promise<Ran> => {
    const config = testConfig({
      SCY_CONTACT_POINTS: '127.0.0.1',
      SCY_LOCAL_DC: 'datacenter1',
      SCY_KEYSPACE: keyspace,
      SCY_RF: '1',
      SCY_WRITE_WORKERS: '1',
      SCY_BATCH_INFLIGHT: '2',
      SCY_BATCH_MIN: '5',
      SCY_BATCH_MAX: '10',
      SCY_READ_WORKERS: '1',
      SCY_READ_RPS: '50',
      SCY_REPORT_SECS: '1',
      SCY_DRAIN_SECS: '10',
      SCY_VERIFY_SAMPLE: '500',
      SCY_MIN_NODES: '1',
      SCY_MAX_NODES: '2',
      SCY_STABLE_SECS: '2',
      SCY_POLL_SECS: '0.5',
      SCY_CYCLES: '1',
      SCY_CLOUD_API_BASE: cloud.url,
      SCY_CLOUD_TOKEN: TOKEN,
      SCY_ACCOUNT_ID: '7',
      SCY_CLUSTER_ID: '42',
      ...(metrics ? { SCY_METRICS_PORT: String(metricsPort) } : {}),
    });
    const deps = capturedDeps();
    const result = await runTool(config, deps);
    assert.ok(result.summary && result.runDir, `a summary was produced:\n${deps.lines.join('\n')}`);
    if (metrics) assert.ok(deps.lines.some((l) => l.includes(`metrics: Prometheus can scrape http://127.0.0.1:${metricsPort}/metrics`)), deps.lines.join('\n'));
    return { ...(result as RunResult & { summary: RunSummary; runDir: string }), lines: deps.lines };
  };

  let first: Ran;
  let startSec = 0;
  let endSec = 0;

  it('stores every series with its phase labels and the values of the summary', { timeout: 5 * 60_000 }, async () => {
    startSec = Date.now() / 1000;
    first = await runOnce('prom_ks', true);
    endSec = Date.now() / 1000;
    const s = first.summary;
    const intervals = readFileSync(join(first.runDir, 'timeline.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as IntervalReport & { type: string })
      .filter((e) => e.type === 'interval');
    const window = `${Math.ceil(endSec - startSec) + 30}s`;
    const last = (expr: string): Promise<PromSeries[]> => prom.query(`last_over_time(${expr}[${window}])`);
    const key = (m: Record<string, string>): string => `${m.phase} #${m.cycle}`;

    // The time of the last scrape that reached the tool: the endpoint closes at the end of the run.
    // The raw samples of a range selector carry the scrapes' own timestamps (a function over a range, such as
    // last_over_time, is stamped with the time of the query instead).
    const scrapes = await prom.query(`scylla_resize_test_phase_info[${window}]`);
    assert.equal(scrapes.length > 0, true, 'Prometheus scraped the tool');
    const lastScrapeMs = Math.max(...scrapes.flatMap((x) => (x.values ?? []).map(([t]) => t))) * 1000;

    // Per phase occurrence (key and cycle): the summary's figure, and what was closed in intervals Prometheus had a
    // chance to see. A scrape that starts at T sees every interval closed before T, and may see one that closes
    // while the request is on its way; intervals closing after that cannot have been scraped.
    const phases = new Map<string, { rows: number; batches: number; reads: number; due: number }>();
    for (const p of s.phases) {
      const k = key(phaseLabels(p.phase));
      const was = phases.get(k) ?? { rows: 0, batches: 0, reads: 0, due: 0 };
      phases.set(k, { rows: was.rows + p.writes.rows, batches: was.batches + p.writes.batches, reads: was.reads + p.reads.completed, due: was.due + p.reads.scheduled });
    }
    assert.ok(['steady@1 #0', 'resize 1→2 #1', 'steady@2 #1', 'resize 2→1 #1', 'steady@1 #1'].every((k) => phases.has(k)), [...phases.keys()].join(', '));

    const checks: [string, (iv: IntervalReport) => number, 'rows' | 'batches' | 'reads' | 'due'][] = [
      ['scylla_resize_test_rows_written_total', (iv) => iv.writes.rows, 'rows'],
      ['scylla_resize_test_batches_written_total', (iv) => iv.writes.batches, 'batches'],
      ['scylla_resize_test_reads_total', (iv) => iv.reads.completed, 'reads'],
      ['scylla_resize_test_reads_due_total', (iv) => iv.reads.scheduled, 'due'],
    ];
    for (const [metric, of, field] of checks) {
      const series = await last(metric);
      assert.deepEqual(series.map((x) => key(x.metric)).sort(), [...phases.keys()].sort(), `${metric}: one series per phase occurrence`);
      for (const x of series) {
        assert.equal(x.metric.loader, `${hostname()}-${process.pid}`);
        const k = key(x.metric);
        const got = Number(x.value![1]);
        const mine = intervals.filter((iv) => key(phaseLabels(iv.phase)) === k);
        const prefixes = mine.reduce<number[]>((acc, iv) => [...acc, acc[acc.length - 1]! + of(iv)], [0]);
        const seen = mine.filter((iv) => iv.endMs < lastScrapeMs).reduce((a, iv) => a + of(iv), 0);
        assert.equal(prefixes[prefixes.length - 1], phases.get(k)![field], `${k}: the timeline's intervals add up to the summary`);
        assert.ok(prefixes.includes(got), `${metric} ${k}: ${got} is the sum of the first intervals of the phase (${prefixes.join(', ')})`);
        assert.ok(got >= seen, `${metric} ${k}: ${got} includes every interval closed before the last scrape (${seen})`);
      }
    }
    // The endpoint waited for one more scrape after the reports (SCY_METRICS_LINGER_SECS): every phase, the last
    // one too, is complete in Prometheus, and so is the verdict.
    assert.ok(first.lines.some((l) => l.includes('metrics: the final figures were scraped')), first.lines.join('\n'));
    for (const [metric, field] of [['scylla_resize_test_rows_written_total', 'rows'], ['scylla_resize_test_reads_due_total', 'due']] as const) {
      const series = await last(metric);
      for (const [k, want] of phases) assert.equal(Number(series.find((x) => key(x.metric) === k)!.value![1]), want[field], `${metric} of ${k}`);
    }
    const [exit] = await last('scylla_resize_test_run_exit_code');
    assert.equal(Number(exit!.value![1]), s.exitCode, 'the exit code Prometheus stored is the run\'s');

    // Histograms: one count per acknowledged batch, and a p99 in the bucket of the summary's HDR p99.
    const counts = await last('scylla_resize_test_write_batch_duration_seconds_count');
    const batches = await last('scylla_resize_test_batches_written_total');
    for (const x of counts) assert.equal(x.value![1], batches.find((b) => key(b.metric) === key(x.metric))!.value![1], `histogram count = batches in ${key(x.metric)}`);
    const steady2 = s.phases.find((p) => p.key === 'steady@2')!;
    const [q] = await prom.query(`histogram_quantile(0.99, sum by (le) (last_over_time(scylla_resize_test_write_batch_duration_seconds_bucket{phase="steady@2"}[${window}])))`);
    const bucketOf = (sec: number): number => LATENCY_BUCKETS_SECONDS.findIndex((b) => sec <= b);
    const qSec = Number(q!.value![1]);
    assert.ok(Math.abs(bucketOf(qSec) - bucketOf(steady2.writes.batchLatency.p99 / 1000)) <= 1, `p99 ${qSec}s vs HDR ${steady2.writes.batchLatency.p99}ms`);

    // The scaler's state as it changed: 1 → 2 → 1 nodes, a resize request followed with its progress.
    const nodes = await prom.queryRange('max(scylla_resize_test_cluster_nodes)', startSec, endSec, 1);
    const seenNodes = new Set(nodes.flatMap((x) => x.values!.map((v) => Number(v[1]))));
    assert.deepEqual([...seenNodes].sort(), [1, 2], 'node counts seen');
    const progress = await prom.queryRange('max(scylla_resize_test_resize_progress_ratio)', startSec, endSec, 1);
    const ratios = progress.flatMap((x) => x.values!.map((v) => Number(v[1])));
    assert.ok(ratios.length > 0 && ratios.every((r) => r >= 0 && r <= 1), `progress ratios ${ratios.join(', ')}`);
    const info = await prom.query(`count by (phase, kind, request_id) (last_over_time(scylla_resize_test_phase_info[${window}]))`);
    const resizing = info.filter((x) => x.metric.kind === 'resizing');
    assert.ok(resizing.length >= 1 && resizing.every((x) => x.metric.request_id !== ''), JSON.stringify(info.map((x) => x.metric)));
    assert.equal(first.summary.losses.length, 0);
    const lost = await prom.query(`sum(last_over_time(scylla_resize_test_rows_lost_total[${window}]))`);
    assert.equal(Number(lost[0]!.value![1]), 0);
  });

  it('every query of the Grafana dashboard returns data for the run', { timeout: 60_000 }, async () => {
    assert.ok(endSec > 0, 'the run above ran');
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[]; templating: { list: { name: string; query: unknown }[] } };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
    assert.ok(exprs.length >= 10);
    // Grafana's variables as Grafana would fill them: every loader, a rate window of a few scrapes.
    const fill = (e: string): string => e.replaceAll('$__rate_interval', '5s').replaceAll('$loader', '.+');
    // The range reaches a step past the run's end: its last scrape, the only one with the exit code, falls in
    // the run's last second, which a 1 s step from its start can step over.
    for (const { panel, expr } of exprs) {
      const result = await prom.queryRange(fill(expr), startSec, endSec + 1, 1);
      assert.ok(result.some((x) => (x.values ?? []).length > 0), `"${panel}": ${expr} returned no data`);
    }
    const loaderVar = dashboard.templating.list.find((v) => v.name === 'loader')!;
    const labelQuery = /label_values\((\w+), (\w+)\)/.exec(JSON.stringify(loaderVar.query))!;
    const values = await prom.queryRange(`count by (${labelQuery[2]}) (${labelQuery[1]})`, startSec, endSec, 1);
    assert.deepEqual(values.map((x) => x.metric.loader), [`${hostname()}-${process.pid}`]);
  });

  it('compare reads two real run folders: per phase kind; at zero tolerance one direction fails', { timeout: 5 * 60_000 }, async () => {
    assert.ok(first, 'the run above ran');
    const second = await runOnce('prom_ks2', false);
    const compare = (a: string, b: string, ...flags: string[]) => spawnSync(process.execPath, [CLI, 'compare', a, b, ...flags], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    // Without a tolerance compare only prints (figures on a shared 2-core machine vary too much to gate on here).
    const shown = compare(first.runDir, second.runDir);
    assert.equal(shown.status, 0, shown.stdout + shown.stderr);
    for (const k of ['steady@1', 'resize 1→2', 'steady@2', 'resize 2→1']) assert.match(shown.stdout, new RegExp(`^${k}\\s+rows/s`, 'm'));
    assert.match(shown.stdout, /resize time/);
    // At zero tolerance, a measure that differs between the runs (both nonzero) fails in at least one direction.
    const differs = (f: (p: RunSummary['byPhaseKey'][number]) => number): boolean =>
      first.summary.byPhaseKey.some(
        (p) => p.key !== 'waiting' && second.summary.byPhaseKey.some((q) => q.key === p.key && f(p) > 0 && f(q) > 0 && f(q) !== f(p)),
      );
    for (const [flag, f] of [
      ['--max-throughput-drop', (p: RunSummary['byPhaseKey'][number]) => p.writes.rowsPerSec],
      ['--max-p99-rise', (p: RunSummary['byPhaseKey'][number]) => p.writes.batchLatency.p99],
    ] as const) {
      const ab = compare(first.runDir, second.runDir, flag, '0');
      const ba = compare(second.runDir, first.runDir, flag, '0');
      for (const r of [ab, ba]) assert.ok(r.status === 0 || r.status === 3, r.stderr);
      if (differs(f)) assert.ok(ab.status === 3 || ba.status === 3, `${flag} 0 fails one way:\n${ab.stdout}\n${ba.stdout}`);
      assert.ok([ab, ba].filter((r) => r.status === 3).every((r) => r.stdout.includes(`is beyond ${flag} 0`)));
    }
  });
});
