import type { ResizeProvider, ServerNode } from './cloudServer.js';

// A resize provider without any database: nodes walk through the states the Cloud API shows, one topology
// change at a time (as on a real cluster), with configurable timings so scaler tests run in milliseconds.
// Joining: QUEUED/JOINING → ACTIVE/JOINING → ACTIVE/NORMAL. Leaving: ACTIVE/LEAVING →
// PENDING_DELETE/DECOMMISSIONED → gone. Each step takes half of joinMs / leaveMs.

export interface SimulatedProviderOptions {
  initialNodes: number;
  joinMs: number;
  leaveMs: number;
}

export class SimulatedProvider implements ResizeProvider {
  private readonly list: ServerNode[] = [];
  private nextId = 1;

  constructor(private readonly opts: SimulatedProviderOptions) {
    for (let i = 0; i < opts.initialNodes; i++) this.list.push(this.makeNode('ACTIVE', 'NORMAL'));
  }

  async nodes(): Promise<ServerNode[]> {
    return this.list.map((n) => ({ ...n }));
  }

  async resize(wanted: number, progress: (percent: number, description: string) => void, signal: AbortSignal): Promise<void> {
    const start = this.activeCount();
    const steps = Math.abs(wanted - start);
    for (let done = 0; done < steps; done++) {
      if (wanted > start) {
        const node = this.makeNode('QUEUED', 'JOINING');
        this.list.push(node);
        progress(Math.floor((done * 100) / steps), `Adding node ${node.id} (${done + 1}/${steps})`);
        await pause(this.opts.joinMs / 2, signal);
        node.status = 'ACTIVE';
        await pause(this.opts.joinMs / 2, signal);
        node.state = 'NORMAL';
      } else {
        // Newest first, so the first node (a seed on a real cluster) is never removed.
        const node = [...this.list].reverse().find((n) => n.status === 'ACTIVE');
        if (!node) throw new Error('no ACTIVE node left to remove');
        node.state = 'LEAVING';
        progress(Math.floor((done * 100) / steps), `Removing node ${node.id} (${done + 1}/${steps})`);
        await pause(this.opts.leaveMs / 2, signal);
        node.status = 'PENDING_DELETE';
        node.state = 'DECOMMISSIONED';
        await pause(this.opts.leaveMs / 2, signal);
        this.list.splice(this.list.indexOf(node), 1);
      }
    }
    progress(100, `Cluster has ${this.activeCount()} nodes`);
  }

  private activeCount(): number {
    return this.list.filter((n) => n.status === 'ACTIVE').length;
  }

  private makeNode(status: ServerNode['status'], state: ServerNode['state']): ServerNode {
    const id = this.nextId++;
    return { id, privateIP: `10.0.${id >> 8}.${id & 255}`, status, state };
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('resize aborted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Error('resize aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
