import type { Phase } from '../phase.js';

// The Cloud API's node count and the CQL driver's own view (hosts up in the local DC) should agree once the
// scaler calls the cluster steady. When they do not, the application sees a different cluster than the
// control plane reports: that is worth an event when it starts and ends, and a total in the summary.
export class ViewAgreement {
  private since: number | null = null;
  totalMs = 0;
  episodes = 0;

  constructor(private readonly emit: (e: { type: string; at: number; [k: string]: unknown }) => void) {}

  check(now: number, driverUpHosts: number, phase: Phase): void {
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

  /** Ends an open disagreement (at the end of the run). */
  close(now: number): void {
    if (this.since === null) return;
    this.totalMs += now - this.since;
    this.emit({ type: 'views-agree', at: now, disagreedMs: now - this.since });
    this.since = null;
  }

  warning(): string | null {
    if (this.episodes === 0) return null;
    return `the driver's count of up hosts disagreed with the Cloud API's node count ${this.episodes} time(s) while steady, for ${(this.totalMs / 1000).toFixed(0)} s in all`;
  }
}
