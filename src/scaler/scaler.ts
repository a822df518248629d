import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ScalerLiveState } from '../metrics/prometheus.js';
import type { Phase } from '../phase.js';
import { CloudApiError, type CloudApiClient, type ClusterView, type DcView, type NodeView } from './cloudApi.js';
import {
  ACTIVE_REQUEST_STATUSES,
  ERROR_ACTIONS,
  actionFor,
  checkBounds,
  currentSize,
  healthAt,
  isResizeRequest,
  nextTarget,
  nodesOfDc,
  pickDc,
  type Observation,
} from './clusterView.js';

// The scaler oscillates the cluster between MIN and MAX: wait until healthy, hold a window of continuous
// health, resize to the other bound, follow the request until the cluster is healthy at the target, repeat.
// It owns the phase every measurement is tagged with. It never stacks a second resize (after an ambiguous
// POST it adopts the request the POST may have created) and never submits while stopping. When the API says
// the scaler cannot work (auth, forbidden, bad settings), it ends with a reason; the load keeps running.

export type ScalerEventType =
  | 'resize-submitted'
  | 'resize-adopted'
  | 'resize-completed'
  | 'resize-failed'
  | 'healthy'
  | 'stability-lost'
  | 'stable'
  | 'api-error'
  | 'nodes-changed'
  | 'fatal'
  | 'dry-run';

export interface ScalerEvent {
  type: ScalerEventType;
  /** clock.now() when it happened. */
  at: number;
  requestId?: string;
  from?: number;
  to?: number;
  durationMs?: number;
  code?: string;
  message?: string;
  /** ACTIVE nodes of the DC at that moment. */
  nodes?: number;
}

export interface ScalerOptions {
  api: CloudApiClient;
  clock: Clock;
  log: Logger;
  minNodes: number;
  maxNodes: number;
  /** Seconds between polls; fractions allowed (tests). */
  pollSecs: number;
  /** Seconds of continuous health before each flip; fractions allowed (tests). */
  stableSecs: number;
  dryRun: boolean;
  /** Stop after this many full cycles (out and back, each followed by its stability window). */
  maxCycles?: number;
  /** The DC to resize (id or name); required only for multi-DC clusters. */
  dc?: number | string;
  onPhase: (p: Phase) => void;
  onEvent: (e: ScalerEvent) => void;
}

export interface ScalerOutcome {
  stopped: 'cycles-done' | 'aborted' | 'fatal' | 'dry-run';
  reason?: string;
  cyclesCompleted: number;
  resizesCompleted: number;
  resizesFailed: number;
  /** Every Cloud API error seen, by code (`041707`, `http-503`, `timeout`, ...), retried GETs included. */
  apiErrors: Record<string, number>;
}

/** Unwinds the state machine; carries how the scaler ends. */
class Stop extends Error {
  constructor(
    readonly kind: 'aborted' | 'fatal',
    readonly reason: string,
  ) {
    super(reason);
  }
}

type Submitted = { kind: 'request'; id: string } | { kind: 'at-target' } | { kind: 'not-submitted' };

/** How many times to look for the request an ambiguous POST may have created (one poll apart). */
const ADOPT_LOOKS = 3;
/** Consecutive failed GETs of a tracked request before the cluster itself is asked whether the resize is over. */
const UNREADABLE_POLLS = 5;

export class Scaler {
  private readonly pollMs: number;
  private readonly stableMs: number;
  private readonly apiErrors: Record<string, number> = {};
  private resizesCompleted = 0;
  private resizesFailed = 0;
  /** A flip that did not happen (refused, failed) is retried toward the same bound. */
  private pendingTarget: number | null = null;
  private dc: DcView | null = null;
  private cluster: ClusterView | null = null;
  private lastPhase = '';
  private lastMap = '';
  private lastWaitDetail = '';
  private signal: AbortSignal = new AbortController().signal;
  private doing = 'starting';
  private activeNodes: number | null = null;
  private progressPercent: number | null = null;

  constructor(private readonly o: ScalerOptions) {
    this.pollMs = Math.max(1, o.pollSecs * 1000);
    this.stableMs = Math.max(0, o.stableSecs * 1000);
  }

  /** What the scaler is doing right now, for the live status line (the phase says where the cluster is). */
  get activity(): string {
    return this.doing;
  }

  /** Node count and resize progress as last seen, for the metrics endpoint. */
  get live(): ScalerLiveState {
    return { nodes: this.activeNodes, progressPercent: this.progressPercent };
  }

  /** Runs until `signal` aborts, `maxCycles` complete, a fatal error, or (dry run) the first would-be resize. */
  async run(signal: AbortSignal): Promise<ScalerOutcome> {
    this.signal = signal;
    try {
      for (;;) {
        const size = await this.settle();
        if (this.o.maxCycles !== undefined && this.cyclesCompleted >= this.o.maxCycles) {
          this.o.log.info(`Completed ${this.cyclesCompleted} cycle(s); scaler done.`);
          return this.outcome('cycles-done');
        }
        const to = this.pendingTarget !== null && this.pendingTarget !== size ? this.pendingTarget : nextTarget(size, this.o.minNodes, this.o.maxNodes);
        const { dc, instanceTypeId } = this.resizeTarget();
        if (this.o.dryRun) {
          const message = `dry-run: would POST resize dcId=${dc.id} wantedSize=${to} instanceTypeId=${instanceTypeId}`;
          this.o.log.info(`${message} (${size}→${to}); submitting nothing, the scaler stops here.`);
          this.emit({ type: 'dry-run', from: size, to, message });
          return this.outcome('dry-run');
        }
        const submitted = await this.submit(size, to, dc, instanceTypeId);
        if (submitted.kind === 'at-target') {
          this.o.log.info(`The service says the cluster already has ${to} nodes.`);
          this.pendingTarget = null;
        } else if (submitted.kind === 'not-submitted') {
          this.pendingTarget = to;
        } else if (await this.track(submitted.id, size, to)) {
          this.resizesCompleted++;
          this.pendingTarget = null;
        } else {
          this.resizesFailed++;
          this.pendingTarget = to;
        }
      }
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
      if (err.kind === 'aborted') return this.outcome('aborted');
      this.o.log.error(`Scaler stopped: ${err.reason}`);
      this.emit({ type: 'fatal', message: err.reason });
      return this.outcome('fatal', err.reason);
    }
  }

  // A cycle is out and back: two completed resizes, each followed by its stability window.
  private get cyclesCompleted(): number {
    return Math.floor(this.resizesCompleted / 2);
  }

  /** The initial steady phase is cycle 0; resize k (1-based) and the steady phase after it belong to ⌈k/2⌉. */
  private get steadyCycle(): number {
    return Math.ceil(this.resizesCompleted / 2);
  }

  private get resizeCycle(): number {
    return Math.floor(this.resizesCompleted / 2) + 1;
  }

  /** Waits for health, then holds it for the stability window; returns the size it held at. */
  private async settle(): Promise<number> {
    for (;;) {
      const size = await this.waitHealthy();
      if (await this.holdStable(size)) return size;
    }
  }

  private async waitHealthy(): Promise<number> {
    for (;;) {
      const obs = await this.observe();
      if (obs) {
        const size = currentSize(obs.nodes, obs.dc.id);
        const h = healthAt(size, obs);
        if (h.healthy) {
          this.lastWaitDetail = '';
          this.emit({ type: 'healthy', nodes: size });
          return size;
        }
        this.setPhase({ kind: 'waiting', cycle: this.steadyCycle, nodes: size, reason: h.reason });
        this.doing = `waiting for health: ${h.detail}`;
        if (h.detail !== this.lastWaitDetail) this.o.log.info(`Waiting: ${h.reason} (${h.detail})`);
        this.lastWaitDetail = h.detail;
      } else {
        this.setPhase({ kind: 'waiting', cycle: this.steadyCycle, nodes: null, reason: 'Cloud API error' });
        this.doing = 'waiting: the Cloud API answered with an error';
      }
      await this.sleep(this.pollMs);
    }
  }

  /** True when `size` stayed healthy for the whole window; false (and a log line) as soon as it breaks. */
  private async holdStable(size: number): Promise<boolean> {
    this.setPhase({ kind: 'steady', cycle: this.steadyCycle, nodes: size });
    const start = this.o.clock.monotonic();
    const fmt = (ms: number): string => (Number.isInteger(this.o.stableSecs) ? String(Math.floor(ms / 1000)) : (ms / 1000).toFixed(1));
    this.doing = `stable 0/${fmt(this.stableMs)}s at ${size}`;
    while (this.o.clock.monotonic() - start < this.stableMs) {
      await this.sleep(Math.min(this.pollMs, this.stableMs - (this.o.clock.monotonic() - start)));
      // An API error says nothing about the cluster: the window neither breaks nor completes on it.
      const obs = await this.observe();
      if (!obs) continue;
      const h = healthAt(size, obs);
      if (!h.healthy) {
        this.o.log.warn(`Stability lost; restarting timer. (${h.reason}: ${h.detail})`);
        this.emit({ type: 'stability-lost', nodes: currentSize(obs.nodes, obs.dc.id), message: h.detail });
        return false;
      }
      const elapsed = Math.min(this.o.clock.monotonic() - start, this.stableMs);
      this.o.log.info(`Stable ${fmt(elapsed)}/${fmt(this.stableMs)}s at ${size} nodes`);
      this.doing = `stable ${fmt(elapsed)}/${fmt(this.stableMs)}s at ${size}`;
    }
    this.emit({ type: 'stable', nodes: size, durationMs: this.stableMs });
    return true;
  }

  /** The DC and instance type of the POST, after checking the bounds against the RF (a config error is fatal). */
  private resizeTarget(): { dc: DcView; instanceTypeId: number } {
    const dc = this.dc!;
    const rf = dc.replicationFactor ?? this.cluster?.replicationFactor ?? null;
    const bad = checkBounds(this.o.minNodes, this.o.maxNodes, rf);
    if (bad) throw new Stop('fatal', `configuration error: ${bad}`);
    const instanceTypeId = dc.instanceId ?? this.cluster?.instanceId ?? null;
    if (instanceTypeId === null) throw new Stop('fatal', `the API reports no instance type for DC ${dc.id}; cannot build a resize request`);
    return { dc, instanceTypeId };
  }

  private async submit(from: number, to: number, dc: DcView, instanceTypeId: number): Promise<Submitted> {
    this.checkAborted();
    this.o.log.info(`Resizing ${from} → ${to} nodes (POST resize dcId=${dc.id} wantedSize=${to} instanceTypeId=${instanceTypeId})`);
    this.doing = `submitting resize ${from}→${to}`;
    try {
      const req = await this.o.api.resize(dc.id, to, instanceTypeId, this.signal);
      this.emit({ type: 'resize-submitted', requestId: req.id, from, to });
      return { kind: 'request', id: req.id };
    } catch (err) {
      const e = this.countError(err);
      const action = actionFor(e.code, e.httpStatus);
      if (action === 'at-target') return { kind: 'at-target' };
      if (action === 'ambiguous') {
        this.o.log.warn(`Resize POST ended ambiguously (${e.message}); looking for the request it may have created.`);
        const adopted = await this.findActiveResize();
        if (adopted) {
          this.o.log.info(`Adopting resize request ${adopted} instead of posting again.`);
          this.emit({ type: 'resize-adopted', requestId: adopted, from, to });
          return { kind: 'request', id: adopted };
        }
        this.o.log.warn('No active resize request found; will try again after the cluster is stable.');
      } else if (action === 'wait' || action === 'retry' || action === 'drop-filter') {
        this.o.log.warn(`Resize refused (${e.message}); waiting and re-checking.`);
      } else {
        // The contract: any other code stops this attempt, shows the code and keeps the load running.
        this.resizesFailed++;
        this.o.log.warn(`Resize attempt abandoned: ${e.message}`);
        this.emit({ type: 'resize-failed', from, to, code: e.code, message: e.message });
      }
      return { kind: 'not-submitted' };
    }
  }

  private async findActiveResize(): Promise<string | null> {
    for (let look = 0; look < ADOPT_LOOKS; look++) {
      await this.sleep(this.pollMs);
      try {
        const active = await this.o.api.listRequests({ statuses: ACTIVE_REQUEST_STATUSES }, this.signal);
        return active.find(isResizeRequest)?.id ?? null;
      } catch (err) {
        this.countError(err);
      }
    }
    return null;
  }

  /** Follows a request until COMPLETED and healthy at `to` (true), or until it ends any other way (false). */
  private async track(requestId: string, from: number, to: number): Promise<boolean> {
    this.setPhase({ kind: 'resizing', cycle: this.resizeCycle, from, to, requestId });
    this.progressPercent = null;
    const start = this.o.clock.monotonic();
    let lastProgress = '';
    let lastWait = '';
    let unreadable = 0;
    for (;;) {
      await this.sleep(this.pollMs);
      let req;
      try {
        req = await this.o.api.getRequest(requestId, this.signal);
      } catch (err) {
        const e = this.countError(err);
        this.doing = `request ${requestId}: Cloud API error ${e.code}, polling`;
        if (++unreadable >= UNREADABLE_POLLS) {
          const settled = await this.settledWithoutRequest(requestId, from, to, start, `${unreadable} GETs failed, last ${e.code}`);
          if (settled !== null) return settled;
        }
        continue;
      }
      unreadable = 0;
      this.progressPercent = req.progressPercent ?? null;
      const progress = `${req.progressPercent ?? '?'}% ${req.progressDescription}`.trim();
      if (progress !== lastProgress) this.o.log.info(`Resize ${from}→${to} (request ${requestId}, ${req.status}): ${progress}`);
      this.doing = `request ${requestId} ${req.status} ${progress}`.trim();
      lastProgress = progress;

      if (req.status === 'QUEUED' || req.status === 'IN_PROGRESS') {
        await this.refreshMap();
        continue;
      }
      if (req.status !== 'COMPLETED') {
        const why = `resize request ${requestId} ended ${req.status}${req.progressDescription ? `: ${req.progressDescription}` : ''}`;
        this.o.log.warn(`Resize ${from}→${to} failed: ${why}. Waiting for health, then trying again.`);
        this.emit({ type: 'resize-failed', requestId, from, to, message: why, durationMs: this.o.clock.monotonic() - start });
        return false;
      }
      const obs = await this.observe();
      if (!obs) continue;
      const h = healthAt(to, obs);
      const size = currentSize(obs.nodes, obs.dc.id);
      if (h.healthy) {
        const durationMs = this.o.clock.monotonic() - start;
        this.o.log.info(`Resize complete & healthy (${from}→${to} in ${secs(durationMs)}s)`);
        this.emit({ type: 'resize-completed', requestId, from, to, durationMs, nodes: size });
        this.emit({ type: 'healthy', nodes: size });
        return true;
      }
      if (size !== to && healthAt(size, obs).healthy) {
        const why = `resize request ${requestId} COMPLETED but the cluster is healthy at ${size} nodes, not ${to}`;
        this.o.log.warn(why);
        this.emit({ type: 'resize-failed', requestId, from, to, message: why, durationMs: this.o.clock.monotonic() - start });
        return false;
      }
      if (h.detail !== lastWait) this.o.log.info(`Request ${requestId} COMPLETED; waiting for health at ${to} nodes (${h.detail})`);
      lastWait = h.detail;
    }
  }

  /**
   * A request that can no longer be read (purged, or the API keeps failing) must not keep the scaler in the
   * resizing phase for ever: once the cluster is healthy with no active request, the resize is over, and the
   * size it is healthy at says how it ended. Null while the cluster cannot tell yet.
   */
  private async settledWithoutRequest(requestId: string, from: number, to: number, start: number, why: string): Promise<boolean | null> {
    const obs = await this.observe();
    if (!obs || obs.activeRequests.length > 0) return null;
    const size = currentSize(obs.nodes, obs.dc.id);
    if (!healthAt(size, obs).healthy) return null;
    const durationMs = this.o.clock.monotonic() - start;
    const message = `request ${requestId} cannot be read (${why}); the cluster is healthy at ${size} nodes with no active request`;
    if (size === to) {
      this.o.log.warn(`Resize ${from}→${to}: ${message}, so the resize counts as completed.`);
      this.emit({ type: 'resize-completed', requestId, from, to, durationMs, nodes: size, message });
      this.emit({ type: 'healthy', nodes: size });
      return true;
    }
    this.o.log.warn(`Resize ${from}→${to} failed: ${message}. Waiting for health, then trying again.`);
    this.emit({ type: 'resize-failed', requestId, from, to, message, durationMs });
    return false;
  }

  /** One look at cluster, nodes and active requests; null after a (counted) non-fatal API error. */
  private async observe(): Promise<Observation | null> {
    try {
      const [cluster, nodes, activeRequests] = await Promise.all([
        this.o.api.getCluster(this.signal),
        this.o.api.listNodes(this.signal),
        this.o.api.listRequests({ statuses: ACTIVE_REQUEST_STATUSES }, this.signal),
      ]);
      const dc = this.chooseDc(cluster);
      this.cluster = cluster;
      this.showMap(nodes, dc);
      return { cluster, dc, nodes, activeRequests };
    } catch (err) {
      this.countError(err);
      return null;
    }
  }

  private async refreshMap(): Promise<void> {
    try {
      this.showMap(await this.o.api.listNodes(this.signal), this.dc!);
    } catch (err) {
      this.countError(err);
    }
  }

  private chooseDc(cluster: ClusterView): DcView {
    const picked = pickDc(cluster, this.o.dc);
    if (!picked.ok) throw new Stop('fatal', picked.reason);
    this.dc = picked.dc;
    return picked.dc;
  }

  /** Prints the cluster map whenever a node appears, leaves or changes status/state. */
  private showMap(nodes: readonly NodeView[], dc: DcView): void {
    const mine = nodesOfDc(nodes, dc.id);
    this.activeNodes = currentSize(nodes, dc.id);
    const lines = mine.map((n) => `  node ${n.id.padEnd(4)} ${n.privateIP.padEnd(15)} ${n.status}/${n.state}`);
    const key = lines.join('\n');
    if (key === this.lastMap) return;
    this.lastMap = key;
    const active = currentSize(nodes, dc.id);
    this.o.log.info(`Cluster map (DC ${dc.id} ${dc.name}): ${active} ACTIVE of ${mine.length} listed\n${key}`);
    this.emit({ type: 'nodes-changed', nodes: active, message: mine.map((n) => `${n.id} ${n.privateIP} ${n.status}/${n.state}`).join('; ') });
  }

  /** Counts an API error and decides whether the scaler can go on; rethrows anything that is not an API error. */
  private countError(err: unknown): CloudApiError {
    this.checkAborted();
    if (err instanceof Stop || !(err instanceof CloudApiError)) throw err;
    this.apiErrors[err.code] = (this.apiErrors[err.code] ?? 0) + 1;
    const action = actionFor(err.code, err.httpStatus);
    if (action === 'fatal' || action === 'config') {
      const meaning = ERROR_ACTIONS[err.code]?.meaning ?? (err.httpStatus === 401 || err.httpStatus === 403 ? 'check SCY_CLOUD_TOKEN' : '');
      throw new Stop('fatal', `Cloud API error ${err.code}${meaning ? ` (${meaning})` : ''}: ${err.message}`);
    }
    this.o.log.warn(`Cloud API error ${err.code}: ${err.message}`);
    this.emit({ type: 'api-error', code: err.code, message: err.message });
    return err;
  }

  /** Counts the errors the client retried on its own (wire this to CloudApiOptions.onRetry). */
  noteRetry(err: CloudApiError): void {
    this.apiErrors[err.code] = (this.apiErrors[err.code] ?? 0) + 1;
    this.emit({ type: 'api-error', code: err.code, message: `${err.message} (retrying)` });
  }

  private setPhase(p: Phase): void {
    const key = JSON.stringify(p);
    if (key === this.lastPhase) return;
    this.lastPhase = key;
    this.o.onPhase(p);
  }

  private emit(e: Omit<ScalerEvent, 'at'>): void {
    this.o.onEvent({ at: this.o.clock.now(), ...e });
  }

  private async sleep(ms: number): Promise<void> {
    await this.o.clock.sleep(ms, this.signal);
    this.checkAborted();
  }

  private checkAborted(): void {
    if (this.signal.aborted) throw new Stop('aborted', 'stopping');
  }

  private outcome(stopped: ScalerOutcome['stopped'], reason?: string): ScalerOutcome {
    this.doing = `stopped: ${stopped}`;
    return {
      stopped,
      ...(reason === undefined ? {} : { reason }),
      cyclesCompleted: this.cyclesCompleted,
      resizesCompleted: this.resizesCompleted,
      resizesFailed: this.resizesFailed,
      apiErrors: { ...this.apiErrors },
    };
  }
}

function secs(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}
