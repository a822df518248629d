// Starts a local Cassandra cluster for an e2e test. The caller owns teardown: `after(() => cluster.stop())`.
// Every cluster binds 127.0.0.x:9042, so clusters take turns through a machine-wide lock (see LocalCluster.start).
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import { LocalCluster } from '../../src/local/cassandra.js';
import { repoRoot } from '../../src/local/cassandraInstall.js';

/**
 * A fixed folder per name (not a random temp dir), so a run that was interrupted leaves its pid files where the
 * next run with the same name finds them and kills those JVMs first.
 */
export function clusterDir(name: string): string {
  return join(repoRoot(), '.cache', 'clusters', name);
}

export async function startCluster(count: number, name: string): Promise<LocalCluster> {
  const cluster = new LocalCluster({ baseDir: clusterDir(name), clusterName: name, log: createLogger().child(name) });
  await cluster.start(count);
  return cluster;
}
