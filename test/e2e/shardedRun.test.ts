// One run split over 3 loader processes of the built CLI against a real local Cassandra cluster that grows 1→2
// and shrinks back behind the local Cloud API: shard 0 drives the scaler, shards 1 and 2 follow its phases
// read-only, then `merge` gives one answer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import cassandra from 'cassandra-driver';
import { LocalCluster } from '../../src/local/cassandra.js';
import { CassandraProvider } from '../../src/local/cassandraProvider.js';
import { startCloudServer, type CloudServer } from '../../src/local/cloudServer.js';
import { MAX_LOADERS, parseId } from '../../src/load/rowContent.js';
import { sharedRunIdentity } from '../../src/load/shardIdentity.js';
import { LatencyHistogram } from '../../src/metrics/histograms.js';
import { EXIT } from '../../src/verdict/exitCodes.js';
import type { RunSummary } from '../../src/metrics/types.js';
import type { MergedSummary } from '../../src/shard/merge.js';
import { readShardRecord } from '../../src/shard/record.js';
import { startCountingProxy, type CountingProxy } from '../helpers/countingProxy.js';
import { startCluster } from '../helpers/sharedCluster.js';

const TOKEN = 'shard-e2e-token-5b81d07e9c2a';
const RUN_ID = `e2e-${Date.now().toString(36)}`;
const SHARDS = 3;

// Small load and short windows: three loader processes share two cores with the Cassandra nodes.
const RUN_ENV = {
  SCY_CONTACT_POINTS: '127.0.0.1',
  SCY_LOCAL_DC: 'datacenter1',
  SCY_KEYSPACE: 'shards_ks',
  SCY_RF: '1',
  SCY_MIN_NODES: '1',
  SCY_MAX_NODES: '2',
  SCY_STABLE_SECS: '5',
  SCY_POLL_SECS: '1',
  SCY_CYCLES: '1',
  SCY_DURATION: '8m',
  SCY_LOADER_THREADS: '2',
  SCY_WRITE_WORKERS: '2',
  SCY_BATCH_INFLIGHT: '6',
  SCY_BATCH_MIN: '5',
  SCY_BATCH_MAX: '10',
  SCY_READ_WORKERS: '1',
  SCY_READ_RPS: '60',
  SCY_REPORT_SECS: '2',
  SCY_DRAIN_SECS: '20',
  SCY_ACCOUNT_ID: '7',
  SCY_CLUSTER_ID: '42',
  SCY_CLOUD_TOKEN: TOKEN,
  SCY_RUN_ID: RUN_ID,
};

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli.js', ...args], { cwd: process.cwd(), env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, out });
    });
  });
}

describe('one run split over 3 loader processes', { timeout: 15 * 60_000 }, () => {
  let cluster: LocalCluster;
  let server: CloudServer;
  const proxies: CountingProxy[] = [];

  before(async () => {
    cluster = await startCluster(1, 'e2e-shards');
    server = await startCloudServer({ token: TOKEN, accountId: 7, clusterId: 42, rf: 1, provider: new CassandraProvider(cluster) });
    // Each shard talks to the Cloud API through its own counting proxy, so every shard's calls are told apart.
    for (let i = 0; i < SHARDS; i++) proxies.push(await startCountingProxy(server.url));
  });

  after(async () => {
    for (const p of proxies) await p.close();
    await server?.close();
    await cluster?.stop();
  });

  it('resizes once, only shard 0 POSTs, and merge gives one exact answer with no lost row', { timeout: 12 * 60_000 }, async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'srt-shards-e2e-'));
    const runs = await Promise.all(
      proxies.map((proxy, i) => runCli([], { ...RUN_ENV, SCY_OUT_DIR: outDir, SCY_SHARD: `${i}/${SHARDS}`, SCY_CLOUD_API_BASE: proxy.url })),
    );
    for (const [i, r] of runs.entries()) {
      assert.equal(r.code, EXIT.ok, `shard ${i}:\n${r.out.slice(-3000)}`);
      assert.ok(!r.out.includes(TOKEN), `shard ${i} never prints the token`);
    }
    assert.equal(proxies[0]!.methods.get('POST'), 2, 'the scaler POSTed the grow and the shrink');
    for (const i of [1, 2]) {
      assert.equal(proxies[i]!.methods.get('POST') ?? 0, 0, `shard ${i} never POSTed`);
      assert.ok((proxies[i]!.methods.get('GET') ?? 0) > 10, `shard ${i} followed the phases`);
    }

    const dirs = Array.from({ length: SHARDS }, (_, i) => join(outDir, RUN_ID, `shard-${i}`));
    const shardSummaries = dirs.map((d) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as RunSummary);
    const merged = await runCli(['merge', ...dirs], {});
    assert.equal(merged.code, EXIT.ok, merged.out.slice(-3000));
    assert.match(merged.out, /PASS/);
    const s = JSON.parse(readFileSync(join(outDir, RUN_ID, 'merged', 'summary.json'), 'utf8')) as MergedSummary;

    // Every shard labelled its samples with the same phases; the merged run has them once each.
    const keys = s.phases.map((p) => p.key).filter((k) => k !== 'waiting');
    assert.deepEqual(keys, ['steady@1', 'resize 1→2', 'steady@2', 'resize 2→1', 'steady@1']);
    for (const [i, sum] of shardSummaries.entries()) {
      assert.deepEqual(sum.phases.map((p) => p.key).filter((k) => k !== 'waiting'), keys, `shard ${i} phases`);
    }
    assert.equal(s.resizes.length, 2);
    assert.ok(s.resizes.every((r) => r.outcome === 'completed'));

    // Throughput is the sum; rows add up; percentiles are those of all shards' histograms taken together.
    const sum = (f: (x: RunSummary) => number): number => shardSummaries.reduce((a, x) => a + f(x), 0);
    assert.ok(Math.abs(s.overall.writes.rowsPerSec - sum((x) => x.overall.writes.rowsPerSec)) < 1e-6);
    assert.equal(s.overall.writes.rows, sum((x) => x.overall.writes.rows));
    assert.ok(shardSummaries.every((x) => x.overall.writes.rows > 0 && x.overall.reads.completed > 0), 'every shard loaded the cluster');
    for (const field of ['batchLatency', 'rowLatency'] as const) {
      const all = new LatencyHistogram();
      for (const d of dirs) all.add(LatencyHistogram.decode(readShardRecord(d).spans.overall.span[field] as never));
      assert.deepEqual(s.overall.writes[field], all.stats(), field);
    }
    const reads = new LatencyHistogram();
    for (const d of dirs) reads.add(LatencyHistogram.decode(readShardRecord(d).spans.overall.span.responseLatency as never));
    assert.deepEqual(s.overall.reads.responseLatency, reads.stats());

    // No acknowledged row lost on any shard; one verdict.
    assert.ok(s.verification);
    assert.equal(s.verification.missing + s.verification.corrupt, 0);
    assert.equal(s.verification.checked, s.verification.acknowledged);
    assert.equal(s.verification.acknowledged, s.overall.writes.rows);
    assert.equal(s.exitCode, EXIT.ok);

    // The rows in the table belong to this run and to exactly the three shards' loaders (shard × 64 + thread 0).
    const client = new cassandra.Client({ contactPoints: ['127.0.0.1'], localDataCenter: 'datacenter1' });
    try {
      const base = sharedRunIdentity(RUN_ID);
      const loaders = new Map<number, number>();
      const rows = client.stream('SELECT id FROM shards_ks.demo_table', [], { prepare: true, fetchSize: 5000 }) as unknown as AsyncIterable<cassandra.types.Row>;
      for await (const row of rows) {
        const parsed = parseId((row.get('id') as cassandra.types.Uuid).getBuffer());
        assert.ok(parsed && parsed.run.startMs === base.startMs && Math.floor(parsed.run.nonce / MAX_LOADERS) === base.nonce / MAX_LOADERS);
        const loader = parsed.run.nonce % MAX_LOADERS;
        loaders.set(loader, (loaders.get(loader) ?? 0) + 1);
      }
      // loader number = shard × 64 + thread, with the 2 loader threads of each shard
      assert.deepEqual([...loaders.keys()].sort((a, b) => a - b), [0, 1, 64, 65, 128, 129]);
      for (const [i, x] of shardSummaries.entries()) {
        const mine = (loaders.get(i * 64) ?? 0) + (loaders.get(i * 64 + 1) ?? 0);
        assert.ok(mine >= x.overall.writes.rows, `shard ${i}'s rows are under its own loader numbers`);
      }
    } finally {
      await client.shutdown();
    }
  });
});
