// The local cluster manager against real Cassandra JVMs: grow, kill, restart and shrink a cluster while the data
// written before stays readable, and leave no JVM behind.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import { LocalCluster, type RingEntry } from '../../src/local/cassandra.js';
import { createLogger } from '../../src/log.js';
import { clusterDir } from '../helpers/sharedCluster.js';

const NAME = 'local-cluster-e2e';
const ROWS = 300;
const MINUTE = 60_000;

function rssMb(pid: number | null): number {
  if (pid === null) return NaN;
  return Math.round(Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024);
}

/** Every process whose command line mentions the cluster's folder. */
function jvmsOf(dir: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(dir) && !l.includes('ps -eo'));
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const allUpNormal = (ring: RingEntry[], n: number): boolean =>
  ring.length === n && ring.every((e) => e.status === 'UP' && e.state === 'NORMAL');

async function timed(t: TestContext, label: string, fn: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  await fn();
  t.diagnostic(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

describe('local Cassandra cluster', { timeout: 30 * MINUTE }, () => {
  const dir = clusterDir(NAME);
  const logLines: string[] = [];
  const log = createLogger((_level, line) => {
    logLines.push(line);
    process.stdout.write(`${line}\n`);
  }).child(NAME);
  const cluster = new LocalCluster({ baseDir: dir, clusterName: NAME, log });
  let client: cassandra.Client | undefined;

  before(async () => {
    const lib = await LocalCluster.ensureInstalled();
    assert.ok(existsSync(join(lib, 'cassandra-all-5.0.9.jar')), `classpath in ${lib}`);
  });

  after(async () => {
    await client?.shutdown();
    await cluster.stop();
  });

  it('starts one node that serves CQL', { timeout: 17 * MINUTE }, async (t) => {
    await timed(t, 'first node start', () => cluster.start(1));
    assert.deepEqual(cluster.contactPoints(), ['127.0.0.1']);
    const ring = await cluster.ring();
    assert.ok(allUpNormal(ring, 1), JSON.stringify(ring));
    assert.match(ring[0]!.hostId ?? '', /^[0-9a-f-]{36}$/);

    client = new cassandra.Client({
      contactPoints: cluster.contactPoints(),
      localDataCenter: 'datacenter1',
      protocolOptions: { maxVersion: 4 },
    });
    await client.connect();
    await client.execute(
      "CREATE KEYSPACE e2e WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
    );
    await client.execute('CREATE TABLE e2e.kv (id int PRIMARY KEY, v text)');
    const ids = Array.from({ length: ROWS }, (_, i) => i);
    await Promise.all(ids.map((id) => client!.execute('INSERT INTO e2e.kv (id, v) VALUES (?, ?)', [id, `v${id}`], { prepare: true })));
  });

  it('adds a second node by bootstrap', { timeout: 5 * MINUTE }, async (t) => {
    let added: Awaited<ReturnType<LocalCluster['addNode']>> | undefined;
    await timed(t, 'bootstrap node 2', async () => (added = await cluster.addNode()));
    assert.equal(added?.index, 2);
    assert.equal(added?.address, '127.0.0.2');
    assert.ok(allUpNormal(await cluster.ring(), 2));
    assert.deepEqual(cluster.contactPoints(), ['127.0.0.1', '127.0.0.2']);
    // One node cannot hold RF 2, so leaving must take decommission's --force path.
    await client!.execute("CREATE KEYSPACE e2e_rf2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}");
    for (const n of cluster.nodes()) t.diagnostic(`node ${n.index} RSS: ${rssMb(n.pid)} MB`);
  });

  it('kills node 2 and restarts it on the same data', { timeout: 5 * MINUTE }, async (t) => {
    await cluster.kill(2);
    const killed = cluster.nodes().find((n) => n.index === 2);
    assert.equal(killed?.running, false);
    assert.equal(killed?.pid, null);
    assert.deepEqual(cluster.contactPoints(), ['127.0.0.1']);
    await until('node 1 to see node 2 down', MINUTE, async () =>
      (await cluster.ring()).some((e) => e.address === '127.0.0.2' && e.status === 'DOWN') || undefined,
    );

    await timed(t, 'restart node 2', () => cluster.restart(2));
    assert.equal(cluster.nodes().find((n) => n.index === 2)?.running, true);
    await until('both nodes UP and NORMAL', MINUTE, async () => allUpNormal(await cluster.ring(), 2) || undefined);
  });

  it('decommissions node 2 and keeps every row', { timeout: 5 * MINUTE }, async (t) => {
    // Node 2 was killed right after the RF 2 keyspace was created; until it has that schema again it would not
    // see the RF 2 keyspace, and decommission would not need --force.
    // checkSchemaAgreement exists in cassandra-driver 4.10 but is missing from its typings.
    const metadata = client!.metadata as unknown as { checkSchemaAgreement(): Promise<boolean> };
    await until('schema agreement', MINUTE, async () => (await metadata.checkSchemaAgreement()) || undefined);
    await timed(t, 'decommission node 2', () => cluster.decommission());
    assert.deepEqual(cluster.nodes().map((n) => n.index), [1]);
    assert.ok(logLines.some((l) => l.includes('retrying with --force')), 'the RF 2 keyspace should have forced --force');
    assert.ok(allUpNormal(await cluster.ring(), 1));

    const rows = await until('all rows readable', MINUTE, async () => {
      const rs = await client!.execute('SELECT id, v FROM e2e.kv', [], { fetchSize: ROWS * 2 });
      return rs.rows.length === ROWS ? rs.rows : undefined;
    });
    for (const row of rows) assert.equal(row['v'], `v${row['id'] as number}`);
  });

  it('stops every JVM it started', { timeout: MINUTE }, async () => {
    await client?.shutdown();
    client = undefined;
    await cluster.stop();
    await cluster.stop();
    assert.deepEqual(cluster.contactPoints(), []);
    assert.deepEqual(jvmsOf(dir), []);
  });
});
