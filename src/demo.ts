import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from './config/load.js';
import { Secret } from './config/secret.js';
import { LocalCluster, ToolMissingError } from './local/cassandra.js';
import { CassandraProvider } from './local/cassandraProvider.js';
import { startCloudServer } from './local/cloudServer.js';
import { EXIT } from './verdict/exitCodes.js';
import { runTool, type RunDeps } from './run.js';

/**
 * The demo's settings, in place of the user's environment: a small local cluster (RF 1, so every size is a
 * valid multiple) growing 1→2 and shrinking back once, with short windows. Flags still override each.
 */
const DEMO_TOKEN = randomBytes(16).toString('hex');

export const DEMO_DEFAULTS: Record<string, string> = {
  SCY_CONTACT_POINTS: '127.0.0.1',
  SCY_LOCAL_DC: 'datacenter1',
  SCY_RF: '1',
  SCY_MIN_NODES: '1',
  SCY_MAX_NODES: '2',
  SCY_STABLE_SECS: '30',
  SCY_POLL_SECS: '2',
  SCY_CYCLES: '1',
  SCY_WRITE_WORKERS: '2',
  SCY_READ_WORKERS: '2',
  SCY_READ_RPS: '200',
  SCY_BATCH_INFLIGHT: '16',
  SCY_REPORT_SECS: '5',
  // Enough to prove the point in about a minute of reading back.
  SCY_VERIFY_SAMPLE: '200000',
  SCY_CLOUD_API_BASE: 'http://127.0.0.1:1',
  // The scaler is on; the URL is the local server's, set once it listens. The token is random per process,
  // since every secret's value is scrubbed from all output (a word like "demo" would be scrubbed everywhere).
  SCY_CLOUD_TOKEN: DEMO_TOKEN,
  SCY_ACCOUNT_ID: '1',
  SCY_CLUSTER_ID: '1',
};

export async function runDemo(config: Config, deps: RunDeps, opts: { heapMb: number }): Promise<number> {
  const { log } = deps;
  log.info(
    `demo: a local Apache Cassandra cluster stands in for Scylla Cloud (same CQL protocol; no shard awareness, ` +
      `no Cloud instance types); it will resize ${config.minNodes}↔${config.maxNodes} nodes behind a local Cloud API`,
  );
  const cluster = new LocalCluster({ baseDir: join('.cache', 'demo-cluster'), heapMb: opts.heapMb, log });
  let server: Awaited<ReturnType<typeof startCloudServer>> | null = null;
  try {
    try {
      log.info(`starting ${config.minNodes} local node(s); the first run downloads Cassandra 5.0 with Maven (about 70 MB)`);
      await cluster.start(config.minNodes);
    } catch (err) {
      if (err instanceof ToolMissingError) {
        log.error(err.message);
        return EXIT.setupFailed;
      }
      log.error(`the local cluster did not start: ${err instanceof Error ? err.message : String(err)}`);
      return EXIT.setupFailed;
    }
    server = await startCloudServer({
      token: DEMO_TOKEN,
      accountId: 1,
      clusterId: 1,
      rf: config.rf,
      provider: new CassandraProvider(cluster),
      log: log.child('cloud-api'),
    });
    log.info(`local Cloud API listening at ${server.url}`);
    const local: Config = {
      ...config,
      contactPoints: cluster.contactPoints(),
      cloud: { apiBase: server.url, token: new Secret(DEMO_TOKEN), accountId: 1, clusterId: 1, dcId: undefined },
    };
    return (await runTool(local, deps)).exitCode;
  } finally {
    await server?.close();
    await cluster.stop();
    log.info('demo: local cluster and Cloud API stopped');
  }
}
