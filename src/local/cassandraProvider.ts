import type { ResizeProvider, ServerNode } from './cloudServer.js';
import type { LocalCluster, RingEntry } from './cassandra.js';
import { nodeAddress } from './cassandraConfig.js';

// The local Cloud API's real resize provider: a resize really bootstraps or decommissions local Cassandra
// nodes, one topology change at a time, and the node list is read from the ring (nodetool), so the scaler
// sees what the cluster itself reports.

/** nodetool status costs a JVM start; polls within this window share one answer. */
const RING_CACHE_MS = 1500;

/** What the provider needs of a local cluster (a fake one in unit tests). */
export type ProviderCluster = Pick<LocalCluster, 'ring' | 'nodes' | 'addNode' | 'decommission' | 'nextIndex'>;

export class CassandraProvider implements ResizeProvider {
  private cached: { at: number; ring: Promise<RingEntry[]> } | null = null;
  /** Nodes started but not yet in the ring, and nodes stopped after leaving, by address. */
  private readonly transient = new Map<string, ServerNode>();

  constructor(private readonly cluster: ProviderCluster) {}

  private ring(): Promise<RingEntry[]> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > RING_CACHE_MS) {
      const ring = this.cluster.ring();
      this.cached = { at: now, ring };
      ring.catch(() => {
        if (this.cached?.ring === ring) this.cached = null;
      });
    }
    return this.cached.ring;
  }

  async nodes(): Promise<ServerNode[]> {
    const ring = await this.ring();
    const listed = new Map<string, ServerNode>();
    for (const e of ring) listed.set(e.address, toServerNode(e));
    for (const [address, node] of this.transient) if (!listed.has(address)) listed.set(address, node);
    return [...listed.values()].sort((a, b) => a.id - b.id);
  }

  async resize(wanted: number, progress: (percent: number, description: string) => void, signal: AbortSignal): Promise<void> {
    const start = this.cluster.nodes().filter((n) => n.running).length;
    const steps = Math.abs(wanted - start);
    for (let done = 0; done < steps; done++) {
      if (signal.aborted) throw new Error('resize aborted');
      const pct = Math.floor((done * 100) / steps);
      if (wanted > start) {
        // The node the cluster is about to start: its index, as the cluster counts (never one already used, even by a
        // node since removed; guessing from the running nodes listed a node that did not exist after grow, shrink, grow).
        const id = this.cluster.nextIndex();
        const next = { id, address: nodeAddress(id) };
        this.transient.set(next.address, { id: next.id, privateIP: next.address, status: 'QUEUED', state: 'JOINING' });
        progress(pct, `Bootstrapping node ${next.id} at ${next.address} (${done + 1}/${steps})`);
        try {
          await this.cluster.addNode();
        } finally {
          this.transient.delete(next.address);
        }
      } else {
        const victim = [...this.cluster.nodes()].filter((n) => n.running && n.index !== 1).sort((a, b) => b.index - a.index)[0];
        if (!victim) throw new Error('no node left that may be decommissioned (the seed stays)');
        progress(pct, `Decommissioning node ${victim.index} at ${victim.address} (${done + 1}/${steps})`);
        await this.cluster.decommission(victim.index);
        this.transient.set(victim.address, { id: victim.index, privateIP: victim.address, status: 'PENDING_DELETE', state: 'DECOMMISSIONED' });
        // Shown as being deleted for one poll window, as the Cloud API lists nodes on their way out.
        setTimeout(() => this.transient.delete(victim.address), RING_CACHE_MS * 2).unref();
      }
      this.cached = null;
    }
    progress(100, `Cluster has ${wanted} nodes`);
  }
}

function toServerNode(e: RingEntry): ServerNode {
  const id = Number(e.address.split('.').pop());
  if (e.status === 'DOWN') return { id, privateIP: e.address, status: 'INACTIVE', state: e.state };
  // A joining node does not serve yet, so it is not counted as ACTIVE (the contract counts ACTIVE nodes).
  if (e.state === 'JOINING') return { id, privateIP: e.address, status: 'QUEUED', state: 'JOINING' };
  return { id, privateIP: e.address, status: 'ACTIVE', state: e.state };
}
