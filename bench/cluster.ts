// For iterating on the bench: `node dist/bench/cluster.js` starts the bench's one local node and keeps it until
// SIGTERM/SIGINT; `node dist/bench/bench.js --external` then uses it (and reads the JVM pid from the pid file).
import { writeFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../src/local/cassandra.js';
import { createLogger } from '../src/log.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const EXTERNAL_PID_FILE = join(repo, '.cache', 'clusters', 'bench-external.pid');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const log = createLogger();
  const cluster = new LocalCluster({ baseDir: join(repo, '.cache', 'clusters', 'bench'), clusterName: 'bench', heapMb: 1024, log });
  await cluster.start(1);
  writeFileSync(EXTERNAL_PID_FILE, String(cluster.nodes()[0]?.pid ?? ''));
  log.info(`node up at ${cluster.contactPoints().join(',')}; Ctrl+C or SIGTERM stops it`);
  const stop = async (): Promise<void> => {
    rmSync(EXTERNAL_PID_FILE, { force: true });
    await cluster.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  setInterval(() => {}, 1 << 30);
}
