import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { ScalerLiveState } from '../metrics/prometheus.js';
import type { Phase } from '../phase.js';
import { sanitizeText } from '../text/sanitize.js';
import { CloudApiError, type CloudApiClient, type ClusterView, type NodeView, type RequestView } from './cloudApi.js';
import {
  actionFor,
  checkBounds,
  currentSize,
  healthAt,
  isActiveRequest,
  isResizeRequest,
  nextTarget,
  nodesOfDc,
  permanentMeaning,
  pickDc,
  requestState,
  type Observation,
  type ResizableDc,
} from './clusterView.js';

// The scaler oscillates the cluster between MIN and MAX: wait until healthy, hold a window of continuous
// health, resize to the other bound, follow the request until the cluster is healthy at the target, repeat.
// It owns the phase every measurement is tagged with. It never stacks a second resize (after an ambiguous
// POST it adopts the request the POST may have created) and never submits while stopping. When the API says
// the scaler cannot work (auth, forbidden, bad settings, redirect, TLS), or gives no usable answer for longer
// than a bound, it ends with a reason and a `scaler-stopped` phase; the load keeps running.
// It decides only on what it understands (docs/cloud-api.md, "What the tool does with unknown values"): an
// unknown request status is a running request, an answer it cannot use stops that decision, not the run.

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
  | 'dry-run'
  /** The API said something outside the contract (an unknown status, a payload missing what a decision needs). */
  | 'api-unexpected'
  /** The scaler stopped while a resize request it started (or may have started) still runs on the service. */
  | 'resize-left-running';

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
  /** How late the end of a resize may be seen: the poll interval while a resize is followed (resize-completed/-failed). */
  resolutionMs?: number;
  /** Addresses (privateIp) of the DC's ACTIVE nodes (nodes-changed), to compare with the hosts the driver knows. */
  activeAddresses?: string[];
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
  /**
   * Seconds the scaler may go without a usable answer (every call failing, or payloads it cannot use, or a request
   * in a status it does not know) before it stops with a reason; default ERROR_BOUND_SECS.
   */
  errorBoundSecs?: number;
  onPhase: (p: Phase) => void;
  onEvent: (e: ScalerEvent) => void;
}

export interface ScalerOutcome {
  stopped: 'cycles-done' | 'aborted' | 'fatal' | 'dry-run';
  reason?: string;
  cyclesCompleted: number;
  resizesCompleted: number;
  resizesFailed: number;
  /** Every Cloud API error seen, by code (`041707`, `http-503`, `timeout`, `odd-payload`, ...), retried GETs included. */
  apiErrors: Record<string, number>;
  /** A resize request still running on the service when the scaler stopped (Ctrl+C or a fatal stop), if any. */
  leftRunning?: string;
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
/** Default bound on time without a usable answer from the API: long enough for a real outage to pass, not hours. */
export const ERROR_BOUND_SECS = 600;
/** While a resize is followed, polls come at least this often, so its duration is known to within a second. */
export const RESIZE_POLL_MAX_MS = 1000;
/** Looks in a row at a cluster whose shape the settings do not fit (several DCs, the chosen one absent) before stopping. */
const CONFIG_LOOKS = 3;
/** Resize attempts in a row abandoned on an unknown error code before the scaler stops. */
const ABANDONED_ATTEMPTS = 3;
/** How long a Ctrl+C during the POST may spend asking whether the POST created a request. */
const ORPHAN_LOOK_MS = 3000;

export class Scaler {
  private readonly pollMs: number;
  private readonly stableMs: number;
  private readonly apiErrors: Record<string, number> = {};
  private resizesCompleted = 0;
  private resizesFailed = 0;
  /** A flip that did not happen (refused, failed) is retried toward the same bound. */
  private pendingTarget: number | null = null;
  private dc: ResizableDc | null = null;
  private cluster: ClusterView | null = null;
  private readonly errorBoundMs: number;
  /** monotonic() of the last usable answer; the error bound counts from here. */
  private lastUsefulAt = 0;
  private configLooks = 0;
  private abandonedInARow = 0;
  /** monotonic() of the first of the POST refusals in a row (busy, locked, rate limited); null after a POST went through. */
  private refusedSince: number | null = null;
  /** Unknown request statuses already reported, and since when each request has shown one. */
  private readonly unknownSince = new Map<string, number>();
  /** The resize request being followed, so a stop can say it is left running. */
  private inFlight: string | null = null;
  /** The request reported as left running on the service, once reported. */
  private leftRunning: string | null = null;
  private lastSize: number | null = null;
  private currentPhase: Phase | null = null;
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
    this.errorBoundMs = (o.errorBoundSecs ?? ERROR_BOUND_SECS) * 1000;
  }

  /** Poll interval while a resize is followed: the resolution of its measured duration. */
  private get resizePollMs(): number {
    return Math.min(this.pollMs, RESIZE_POLL_MAX_MS);
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
    this.lastUsefulAt = this.o.clock.monotonic();
    try {
      for (;;) {
        const size = await this.settle();
        if (this.o.maxCycles !== undefined && this.cyclesCompleted >= this.o.maxCycles) {
          this.o.log.info(`Completed ${this.cyclesCompleted} cycle(s); scaler done.`);
          return this.outcome('cycles-done');
        }
        const to = this.pendingTarget !== null && this.pendingTarget !== size ? this.pendingTarget : nextTarget(size, this.o.minNodes, this.o.maxNodes);
        const target = this.resizeTarget();
        if (!target) {
          await this.sleep(this.pollMs);
          continue;
        }
        const { dc, instanceTypeId } = target;
        if (this.o.dryRun) {
          const message = `dry-run: would POST resize dcId=${dc.id} wantedSize=${to} instanceTypeId=${instanceTypeId}`;
          this.o.log.info(`${message} (${size}→${to}); submitting nothing, the scaler stops here.`);
          this.emit({ type: 'dry-run', from: size, to, message });
          return this.outcome('dry-run');
        }
        const submitted = await this.submit(size, to, dc, instanceTypeId);
        if (submitted.kind === 'request') this.inFlight = submitted.id;
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
        this.inFlight = null;
      }
    } catch (err) {
      if (!(err instanceof Stop)) throw err;
      if (this.inFlight && !this.leftRunning) this.reportLeftRunning(this.inFlight, err.kind === 'aborted' ? 'the run is stopping' : 'the scaler stopped');
      if (err.kind === 'aborted') return this.outcome('aborted');
      this.o.log.error(`Scaler stopped: ${err.reason}`);
      this.emit({ type: 'fatal', message: err.reason });
      // Later load must not be charged to a resize or a steady state the scaler no longer watches.
      const cycle = this.currentPhase && 'cycle' in this.currentPhase ? this.currentPhase.cycle : 0;
      this.setPhase({ kind: 'scaler-stopped', cycle, nodes: this.lastSize, reason: sanitizeText(err.reason) });
      return this.outcome('fatal', err.reason);
    }
  }

  /** A resize the service keeps running although this tool no longer follows it: the user must hear of it. */
  private reportLeftRunning(requestId: string, why: string): void {
    this.leftRunning = requestId;
    const message = `${why} while resize request ${requestId} is still running on the service; it is not cancelled, check it in the Scylla Cloud console`;
    this.o.log.warn(message);
    this.emit({ type: 'resize-left-running', requestId, message });
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
        this.lastSize = size;
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

  /**
   * The DC and instance type of the POST, after checking the bounds against the RF (a config error is fatal).
   * Null when the last answer lacks the instance type: this decision is dropped and made again on a later answer.
   */
  private resizeTarget(): { dc: ResizableDc; instanceTypeId: number } | null {
    const dc = this.dc!;
    const rf = dc.replicationFactor ?? this.cluster?.replicationFactor ?? null;
    const bad = checkBounds(this.o.minNodes, this.o.maxNodes, rf);
    if (bad) throw new Stop('fatal', `configuration error: ${bad}`);
    const instanceTypeId = dc.instanceId ?? this.cluster?.instanceId ?? null;
    if (instanceTypeId === null) {
      this.oddPayload(`the API reports no instance type for DC ${dc.id}; cannot build a resize request, will look again`);
      return null;
    }
    return { dc, instanceTypeId };
  }

  private async submit(from: number, to: number, dc: ResizableDc, instanceTypeId: number): Promise<Submitted> {
    this.checkAborted();
    this.o.log.info(`Resizing ${from} → ${to} nodes (POST resize dcId=${dc.id} wantedSize=${to} instanceTypeId=${instanceTypeId})`);
    this.doing = `submitting resize ${from}→${to}`;
    try {
      const req = await this.o.api.resize(dc.id, to, instanceTypeId, this.signal);
      this.abandonedInARow = 0;
      this.refusedSince = null;
      this.emit({ type: 'resize-submitted', requestId: req.id, from, to });
      return { kind: 'request', id: req.id };
    } catch (err) {
      if (this.signal.aborted) await this.lookForOrphan();
      const e = this.countError(err, true);
      const action = actionFor(e.code, e.httpStatus, true);
      if (action === 'at-target') return { kind: 'at-target' };
      if (action === 'ambiguous') {
        this.o.log.warn(`Resize POST ended ambiguously (${e.message}); looking for the request it may have created.`);
        if (e.retryAfterMs) await this.sleep(e.retryAfterMs);
        const adopted = await this.findActiveResize();
        if (adopted) {
          this.o.log.info(`Adopting resize request ${adopted} instead of posting again.`);
          this.emit({ type: 'resize-adopted', requestId: adopted, from, to });
          return { kind: 'request', id: adopted };
        }
        this.o.log.warn('No active resize request found; will try again after the cluster is stable.');
      } else if (action === 'wait' || action === 'retry' || action === 'drop-filter') {
        // Busy, locked, rate limited: not a failed resize. Honour the server's Retry-After before looking again.
        const after = e.retryAfterMs ? ` (the service asks to wait ${Math.round(e.retryAfterMs / 1000)} s)` : '';
        this.o.log.warn(`Resize refused (${e.message}); waiting and re-checking${after}.`);
        // A cluster that looks ready to every GET yet refuses every POST is an error state too: bounded like the others.
        this.refusedSince ??= this.o.clock.monotonic();
        const refusedFor = this.o.clock.monotonic() - this.refusedSince;
        if (refusedFor >= this.errorBoundMs) {
          throw new Stop('fatal', `the service has refused every resize for ${secs(refusedFor)} s (bound ${secs(this.errorBoundMs)} s); last: ${e.message}`);
        }
        if (e.retryAfterMs) await this.sleep(e.retryAfterMs);
      } else {
        // The contract: any other code stops this attempt, shows the code and keeps the load running; the same
        // refusal attempt after attempt is not going to clear, so a few in a row stop the scaler.
        this.resizesFailed++;
        this.o.log.warn(`Resize attempt abandoned: ${e.message}`);
        this.emit({ type: 'resize-failed', from, to, code: e.code, message: e.message });
        if (++this.abandonedInARow >= ABANDONED_ATTEMPTS) {
          throw new Stop('fatal', `${this.abandonedInARow} resize attempts in a row were refused (last: ${e.message})`);
        }
      }
      return { kind: 'not-submitted' };
    }
  }

  /**
   * Ctrl+C while the POST was on its way: the service may have created the request anyway. One short look (on its
   * own deadline, the run's signal is already aborted) says which, so no resize is left running unreported.
   */
  private async lookForOrphan(): Promise<void> {
    try {
      const found = (await this.o.api.listRequests({}, AbortSignal.timeout(ORPHAN_LOOK_MS))).find((r) => isActiveRequest(r) && isResizeRequest(r));
      if (found) this.reportLeftRunning(found.id, 'interrupted during the resize POST');
      else this.o.log.info('Interrupted during the resize POST; the service shows no resize request running.');
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const message = `interrupted during the resize POST and could not tell whether it created a request (${why}); check the Scylla Cloud console`;
      this.o.log.warn(message);
      this.emit({ type: 'resize-left-running', message });
    }
  }

  private async findActiveResize(): Promise<string | null> {
    for (let look = 0; look < ADOPT_LOOKS; look++) {
      await this.sleep(this.pollMs);
      try {
        const active = (await this.o.api.listRequests({}, this.signal)).filter(isActiveRequest);
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
    const resolutionMs = this.resizePollMs;
    for (;;) {
      await this.sleep(resolutionMs);
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
      if (progress !== lastProgress) this.o.log.info(`Resize ${from}→${to} (request ${requestId}, ${req.status || '(no status)'}): ${progress}`);
      this.doing = `request ${requestId} ${req.status || '(no status)'} ${progress}`.trim();
      lastProgress = progress;

      const state = requestState(req);
      if (state.state === 'running') {
        if (state.known) this.useful();
        else this.unknownStatus(req);
        await this.refreshMap();
        continue;
      }
      this.useful();
      if (state.state !== 'completed') {
        const why = `resize request ${requestId} ended ${req.status}${req.progressDescription ? `: ${req.progressDescription}` : ''}`;
        this.o.log.warn(`Resize ${from}→${to} failed: ${why}. Waiting for health, then trying again.`);
        this.emit({ type: 'resize-failed', requestId, from, to, message: why, durationMs: this.o.clock.monotonic() - start, resolutionMs });
        return false;
      }
      const obs = await this.observe();
      if (!obs) continue;
      const h = healthAt(to, obs);
      const size = currentSize(obs.nodes, obs.dc.id);
      if (h.healthy) {
        const durationMs = this.o.clock.monotonic() - start;
        this.o.log.info(`Resize complete & healthy (${from}→${to} in ${secs(durationMs)}s, to within ${secs(resolutionMs)}s)`);
        this.emit({ type: 'resize-completed', requestId, from, to, durationMs, nodes: size, resolutionMs });
        this.emit({ type: 'healthy', nodes: size });
        return true;
      }
      if (size !== to && healthAt(size, obs).healthy) {
        const why = `resize request ${requestId} COMPLETED but the cluster is healthy at ${size} nodes, not ${to}`;
        this.o.log.warn(why);
        this.emit({ type: 'resize-failed', requestId, from, to, message: why, durationMs: this.o.clock.monotonic() - start, resolutionMs });
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
    const resolutionMs = this.resizePollMs * UNREADABLE_POLLS;
    const message = `request ${requestId} cannot be read (${why}); the cluster is healthy at ${size} nodes with no active request`;
    if (size === to) {
      this.o.log.warn(`Resize ${from}→${to}: ${message}, so the resize counts as completed.`);
      this.emit({ type: 'resize-completed', requestId, from, to, durationMs, nodes: size, message, resolutionMs });
      this.emit({ type: 'healthy', nodes: size });
      return true;
    }
    this.o.log.warn(`Resize ${from}→${to} failed: ${message}. Waiting for health, then trying again.`);
    this.emit({ type: 'resize-failed', requestId, from, to, message, durationMs, resolutionMs });
    return false;
  }

  /** One look at cluster, nodes and active requests; null after a (counted) non-fatal API error or an unusable answer. */
  private async observe(): Promise<Observation | null> {
    let cluster: ClusterView;
    let nodes: NodeView[];
    let requests: RequestView[];
    try {
      [cluster, nodes, requests] = await Promise.all([
        this.o.api.getCluster(this.signal),
        this.o.api.listNodes(this.signal),
        this.o.api.listRequests({}, this.signal),
      ]);
    } catch (err) {
      this.countError(err);
      return null;
    }
    const dc = this.chooseDc(cluster);
    if (!dc) return null;
    this.useful();
    const activeRequests = requests.filter(isActiveRequest);
    for (const r of activeRequests) if (!requestState(r).known) this.unknownStatus(r);
    this.cluster = cluster;
    this.showMap(nodes, dc);
    return { cluster, dc, nodes, activeRequests };
  }

  private async refreshMap(): Promise<void> {
    try {
      this.showMap(await this.o.api.listNodes(this.signal), this.dc!);
    } catch (err) {
      this.countError(err);
    }
  }

  /** The DC this answer lets the scaler resize; null (reported) when this answer cannot be used. */
  private chooseDc(cluster: ClusterView): ResizableDc | null {
    const picked = pickDc(cluster, this.o.dc);
    if (picked.ok) {
      this.configLooks = 0;
      this.dc = picked.dc;
      return picked.dc;
    }
    // One odd answer is asked again; a cluster shape the settings do not fit, seen look after look, is for the user.
    if (picked.problem === 'config' && ++this.configLooks >= CONFIG_LOOKS) throw new Stop('fatal', picked.reason);
    this.oddPayload(`${picked.reason}; will look again`);
    return null;
  }

  /** A usable answer: the error bound starts again. */
  private useful(): void {
    this.lastUsefulAt = this.o.clock.monotonic();
  }

  /** Stops the scaler once it has gone longer than the bound without a usable answer. */
  private checkErrorBound(last: string): void {
    const since = this.o.clock.monotonic() - this.lastUsefulAt;
    if (since < this.errorBoundMs) return;
    throw new Stop('fatal', `no usable answer from the Cloud API for ${secs(since)} s (bound ${secs(this.errorBoundMs)} s); last: ${last}`);
  }

  /** An answer the scaler cannot decide on: counted as `odd-payload`, reported, asked again later (within the bound). */
  private oddPayload(message: string): void {
    this.apiErrors['odd-payload'] = (this.apiErrors['odd-payload'] ?? 0) + 1;
    this.o.log.warn(`Cloud API answer not usable: ${message}`);
    this.emit({ type: 'api-unexpected', code: 'odd-payload', message });
    this.checkErrorBound(message);
  }

  /**
   * A request status outside the contract: reported once per request and status, read as running (it blocks a new
   * resize). A request that shows only unknown statuses for longer than the bound stops the scaler.
   */
  private unknownStatus(r: RequestView): void {
    const key = `${r.id} ${r.status}`;
    if (!this.unknownSince.has(key)) {
      this.unknownSince.set(key, this.o.clock.monotonic());
      const message = `request ${r.id} (${r.requestType || 'no type'}) has status "${r.status}", which the contract does not list; read as still running, no new resize while it lasts`;
      this.o.log.warn(message);
      this.emit({ type: 'api-unexpected', code: 'unknown-status', requestId: r.id, message });
    }
    const since = this.o.clock.monotonic() - this.unknownSince.get(key)!;
    if (since >= this.errorBoundMs) {
      throw new Stop('fatal', `request ${r.id} has stayed in unknown status "${r.status}" for ${secs(since)} s (bound ${secs(this.errorBoundMs)} s)`);
    }
  }

  /** Prints the cluster map whenever a node appears, leaves or changes status/state. */
  private showMap(nodes: readonly NodeView[], dc: ResizableDc): void {
    const mine = nodesOfDc(nodes, dc.id);
    this.activeNodes = currentSize(nodes, dc.id);
    const lines = mine.map((n) => `  node ${n.id.padEnd(4)} ${n.privateIP.padEnd(15)} ${n.status}/${n.state}`);
    const key = lines.join('\n');
    if (key === this.lastMap) return;
    this.lastMap = key;
    const active = currentSize(nodes, dc.id);
    this.o.log.info(`Cluster map (DC ${dc.id} ${dc.name}): ${active} ACTIVE of ${mine.length} listed\n${key}`);
    this.emit({
      type: 'nodes-changed',
      nodes: active,
      message: mine.map((n) => `${n.id} ${n.privateIP} ${n.status}/${n.state}`).join('; '),
      activeAddresses: mine.filter((n) => n.status === 'ACTIVE' && n.privateIP).map((n) => n.privateIP),
    });
  }

  /**
   * Counts an API error and decides whether the scaler can go on (`post`: the error answered the resize POST);
   * rethrows anything that is not an API error. Errors that cannot clear stop the scaler, and so does going
   * longer than the error bound without a usable answer.
   */
  private countError(err: unknown, post = false): CloudApiError {
    this.checkAborted();
    if (err instanceof Stop || !(err instanceof CloudApiError)) throw err;
    this.apiErrors[err.code] = (this.apiErrors[err.code] ?? 0) + 1;
    const action = actionFor(err.code, err.httpStatus, post);
    if (action === 'fatal' || action === 'config') {
      const meaning = permanentMeaning(err.code, err.httpStatus) ?? (post ? 'the resize POST was refused' : '');
      throw new Stop('fatal', `Cloud API error ${err.code}${meaning ? ` (${meaning})` : ''}: ${err.message}`);
    }
    this.o.log.warn(`Cloud API error ${err.code}: ${err.message}`);
    this.emit({ type: 'api-error', code: err.code, message: err.message });
    if (!post) this.checkErrorBound(`${err.code}: ${err.message}`);
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
    this.currentPhase = p;
    this.o.onPhase(p);
  }

  /** Events reach timeline.ndjson and the report: their text is outside text, made safe here once for all. */
  private emit(e: Omit<ScalerEvent, 'at'>): void {
    const safe = { ...e };
    if (safe.message !== undefined) safe.message = sanitizeText(safe.message, 2000);
    if (safe.code !== undefined) safe.code = sanitizeText(safe.code, 40);
    if (safe.requestId !== undefined) safe.requestId = sanitizeText(safe.requestId, 80);
    if (safe.activeAddresses !== undefined) safe.activeAddresses = safe.activeAddresses.map((a) => sanitizeText(a, 80));
    this.o.onEvent({ at: this.o.clock.now(), ...safe });
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
      ...(this.leftRunning ? { leftRunning: this.leftRunning } : {}),
    };
  }
}

function secs(ms: number): string {
  return ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
}
