import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { phaseKey, type Phase } from '../phase.js';
import { CloudApiError } from './cloudApi.js';
import type { ScalerOptions } from './scaler.js';
import {
  actionFor,
  currentSize,
  healthAt,
  isActiveRequest,
  isResizeRequest,
  nextTarget,
  permanentMeaning,
  pickDc,
} from './clusterView.js';

// The phases of a shard that does not drive the scaler. Shards may run on machines that share nothing but the
// cluster and the Cloud API, so a follower reads the phase from the Cloud API the way the scaler does (the same
// GETs, the same health rule) and never POSTs. The rules mirror the scaler's phase changes:
//  - a resize request QUEUED or IN_PROGRESS → resizing (from the last steady size to the next bound);
//  - once resizing, it stays resizing until the cluster is healthy again with no active request, as the scaler
//    follows its request until healthy at the target;
//  - healthy → steady at the ACTIVE node count; a steady size different from the last one is a resize done,
//    which is what advances the cycle (so a resize missed between two polls still counts);
//  - otherwise → waiting, with the health rule's reason.
// Its phase changes lag the scaler's by up to one poll; `merge` aligns the shards' phases by key and cycle.

/** The scaler's own options that a follower reads (it uses only the GETs of `api`, and stops after `maxCycles` like the scaler). */
export type PhaseFollowerOptions = Pick<ScalerOptions, 'api' | 'clock' | 'log' | 'minNodes' | 'maxNodes' | 'pollSecs' | 'stableSecs' | 'maxCycles' | 'dc' | 'onPhase'>;

export interface FollowerOutcome {
  stopped: 'cycles-done' | 'aborted' | 'fatal';
  reason?: string;
  resizesSeen: number;
}

export class PhaseFollower {
  private resizesSeen = 0;
  private lastSteady: number | null = null;
  private steadySince = 0;
  private phase: Phase | null = null;
  private lastKey = '';

  constructor(private readonly o: PhaseFollowerOptions) {}

  get activity(): string {
    return this.phase ? `following shard 0's scaler: ${phaseKey(this.phase)}` : "following shard 0's scaler";
  }

  async run(signal: AbortSignal): Promise<FollowerOutcome> {
    const pollMs = Math.max(1, this.o.pollSecs * 1000);
    while (!signal.aborted) {
      const fatal = await this.poll(signal);
      if (fatal) {
        this.o.log.error(`phase follower stopped: ${fatal}; phases stay as last seen`);
        return { stopped: 'fatal', reason: fatal, resizesSeen: this.resizesSeen };
      }
      if (this.cyclesDone()) return { stopped: 'cycles-done', resizesSeen: this.resizesSeen };
      await this.o.clock.sleep(pollMs, signal).catch(() => undefined);
    }
    return { stopped: 'aborted', resizesSeen: this.resizesSeen };
  }

  private cyclesDone(): boolean {
    const max = this.o.maxCycles;
    if (max === undefined || this.phase?.kind !== 'steady' || this.resizesSeen < 2 * max) return false;
    return this.o.clock.monotonic() - this.steadySince >= this.o.stableSecs * 1000;
  }

  /** One look at the cluster; returns a reason when the follower cannot go on. */
  private async poll(signal: AbortSignal): Promise<string | null> {
    let cluster, nodes, requests;
    try {
      [cluster, nodes, requests] = await Promise.all([this.o.api.getCluster(signal), this.o.api.listNodes(signal), this.o.api.listRequests({}, signal)]);
    } catch (err) {
      if (signal.aborted || !(err instanceof CloudApiError)) {
        if (signal.aborted) return null;
        throw err;
      }
      const action = actionFor(err.code, err.httpStatus);
      if (action === 'fatal' || action === 'config') return `Cloud API error ${err.code} (${permanentMeaning(err.code, err.httpStatus) ?? err.message})`;
      // An API error says nothing about the cluster: the phase stays as it was.
      this.o.log.warn(`Cloud API error ${err.code}: ${err.message}`);
      return null;
    }
    const picked = pickDc(cluster, this.o.dc);
    if (!picked.ok) return picked.reason;
    const active = requests.filter(isActiveRequest);
    const obs = { cluster, dc: picked.dc, nodes, activeRequests: active };
    const size = currentSize(nodes, picked.dc.id);
    const resize = active.find(isResizeRequest);
    if (resize) {
      const from = this.lastSteady ?? size;
      this.set({ kind: 'resizing', cycle: Math.floor(this.resizesSeen / 2) + 1, from, to: nextTarget(from, this.o.minNodes, this.o.maxNodes), requestId: resize.id });
      return null;
    }
    const health = healthAt(size, obs);
    if (health.healthy) {
      if (this.lastSteady !== null && size !== this.lastSteady) this.resizesSeen++;
      this.lastSteady = size;
      if (this.set({ kind: 'steady', cycle: Math.ceil(this.resizesSeen / 2), nodes: size })) this.steadySince = this.o.clock.monotonic();
    } else if (this.phase?.kind !== 'resizing') {
      this.set({ kind: 'waiting', cycle: Math.ceil(this.resizesSeen / 2), nodes: size, reason: health.reason });
    }
    return null;
  }

  /** True when the phase changed. */
  private set(p: Phase): boolean {
    const key = JSON.stringify(p);
    if (key === this.lastKey) return false;
    this.lastKey = key;
    this.phase = p;
    this.o.onPhase(p);
    return true;
  }
}
