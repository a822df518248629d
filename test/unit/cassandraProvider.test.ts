import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CassandraProvider, type ProviderCluster } from '../../src/local/cassandraProvider.js';
import type { LocalNode, RingEntry } from '../../src/local/cassandra.js';
import type { ServerNode } from '../../src/local/cloudServer.js';

// The provider against a stand-in for LocalCluster that allocates indexes as it does (never reusing one), so the
// node list the local Cloud API shows can be checked without starting Cassandra.

class FakeCluster implements ProviderCluster {
  private highest = 0;
  private readonly live = new Map<number, 'NORMAL' | 'JOINING'>();
  /** Resolves the addNode() in progress. */
  finishJoin: (() => void) | null = null;

  constructor(initial: number) {
    for (let i = 0; i < initial; i++) this.live.set(++this.highest, 'NORMAL');
  }

  nextIndex(): number {
    return this.highest + 1;
  }

  async addNode(): Promise<LocalNode> {
    const index = ++this.highest;
    this.live.set(index, 'JOINING');
    await new Promise<void>((resolve) => (this.finishJoin = resolve));
    this.live.set(index, 'NORMAL');
    return this.describe(index);
  }

  async decommission(index?: number): Promise<void> {
    this.live.delete(index!);
  }

  nodes(): LocalNode[] {
    return [...this.live.keys()].map((i) => this.describe(i));
  }

  async ring(): Promise<RingEntry[]> {
    return [...this.live].map(([i, state]) => ({ address: `127.0.0.${i}`, status: 'UP', state, hostId: null, load: '' }));
  }

  private describe(index: number): LocalNode {
    return { index, address: `127.0.0.${index}`, jmxPort: 7199 + index, pid: 1, running: true, dataDir: '' };
  }
}

const joining = (nodes: ServerNode[]): string[] => nodes.filter((n) => n.status === 'QUEUED' || n.state === 'JOINING').map((n) => n.privateIP);

async function growByOne(cluster: FakeCluster, provider: CassandraProvider, wanted: number): Promise<ServerNode[]> {
  const done = provider.resize(wanted, () => {}, new AbortController().signal);
  while (!cluster.finishJoin) await new Promise((r) => setImmediate(r));
  const during = await provider.nodes();
  cluster.finishJoin();
  cluster.finishJoin = null;
  await done;
  return during;
}

test('after grow, shrink and grow again, only the node really joining is listed as joining', async () => {
  const cluster = new FakeCluster(1);
  const provider = new CassandraProvider(cluster);
  assert.deepEqual(joining(await growByOne(cluster, provider, 2)), ['127.0.0.2']);
  await provider.resize(1, () => {}, new AbortController().signal);
  // The cluster takes index 3 now (2 is never reused); listing 127.0.0.2 as joining would show a node that does not exist.
  const during = await growByOne(cluster, provider, 2);
  assert.deepEqual(joining(during), ['127.0.0.3']);
  assert.deepEqual(
    (await provider.nodes()).filter((n) => n.status === 'ACTIVE').map((n) => n.privateIP),
    ['127.0.0.1', '127.0.0.3'],
  );
});
