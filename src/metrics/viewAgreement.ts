import type { Phase } from '../phase.js';

// The Cloud API's node count and the CQL driver's own view (hosts up in the local DC) should agree once the
// scaler calls the cluster steady. When they do not, the application sees a different cluster than the
// control plane reports: that is worth an event when it starts and ends, and a total in the summary.
// A count can agree by accident, so addresses are compared too: an ACTIVE node of the Cloud API that the driver
// has never seen (not even as down) for longer than a grace period is a node the application cannot reach.

/** How long a new ACTIVE node may stay unknown to the driver: it learns of joined nodes from topology events. */
export const UNSEEN_GRACE_MS = 30_000;

export class ViewAgreement {
  private since: number | null = null;
  totalMs = 0;
  episodes = 0;
  /** The Cloud API's ACTIVE node addresses, from the scaler's latest node list. */
  private cloudActive: readonly string[] = [];
  private readonly unseenSince = new Map<string, number>();
  /** ACTIVE addresses the driver never saw within the grace period, reported once each. */
  readonly neverSeen = new Set<string>();

  constructor(
    private readonly emit: (e: { type: string; at: number; [k: string]: unknown }) => void,
    private readonly warn: (line: string) => void = () => {},
  ) {}

  /** Takes the ACTIVE node addresses from the scaler's `nodes-changed` events; other events are ignored. */
  onScalerEvent(e: { type: string; activeAddresses?: readonly string[] }): void {
    if (e.type === 'nodes-changed' && e.activeAddresses) this.cloudActive = e.activeAddresses;
  }

  /** `driverSeen`: every host address the driver knows, up or down, without port. */
  check(now: number, driverUpHosts: number, phase: Phase, driverSeen?: ReadonlySet<string>): void {
    if (driverSeen) this.checkAddresses(now, driverSeen);
    const comparable = phase.kind === 'steady';
    const agree = !comparable || driverUpHosts === phase.nodes;
    if (!agree && this.since === null) {
      this.since = now;
      this.episodes++;
      this.emit({ type: 'views-disagree', at: now, driverUpHosts, cloudNodes: phase.kind === 'steady' ? phase.nodes : null });
    } else if (agree && this.since !== null) {
      this.close(now);
    }
  }

  private checkAddresses(now: number, driverSeen: ReadonlySet<string>): void {
    for (const address of [...this.unseenSince.keys()]) {
      if (!this.cloudActive.includes(address) || driverSeen.has(address)) this.unseenSince.delete(address);
    }
    for (const address of this.cloudActive) {
      if (driverSeen.has(address) || this.neverSeen.has(address)) continue;
      const since = this.unseenSince.get(address) ?? now;
      this.unseenSince.set(address, since);
      if (now - since < UNSEEN_GRACE_MS) continue;
      this.neverSeen.add(address);
      const message = `the Cloud API lists ACTIVE node ${address}, which the CQL driver has not seen in ${Math.round((now - since) / 1000)} s`;
      this.warn(message);
      this.emit({ type: 'views-unseen-node', at: now, address, message });
    }
  }

  /** Ends an open disagreement (at the end of the run). */
  close(now: number): void {
    if (this.since === null) return;
    this.totalMs += now - this.since;
    this.emit({ type: 'views-agree', at: now, disagreedMs: now - this.since });
    this.since = null;
  }

  warning(): string | null {
    const parts: string[] = [];
    if (this.episodes > 0) {
      parts.push(`the driver's count of up hosts disagreed with the Cloud API's node count ${this.episodes} time(s) while steady, for ${(this.totalMs / 1000).toFixed(0)} s in all`);
    }
    if (this.neverSeen.size > 0) parts.push(`the Cloud API listed ACTIVE node(s) the CQL driver never saw: ${[...this.neverSeen].join(', ')}`);
    return parts.length ? parts.join('; ') : null;
  }
}
