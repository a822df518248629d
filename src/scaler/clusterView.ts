import type { ClusterView, DcView, NodeView, RequestView } from './cloudApi.js';

// Pure readings of the API's answers: what size the cluster is, whether it is healthy, which DC to resize,
// and what an error code asks the scaler to do. Kept free of I/O so each rule is tested on its own.

export const ACTIVE_REQUEST_STATUSES = ['QUEUED', 'IN_PROGRESS'] as const;

export function isActiveRequest(r: RequestView): boolean {
  return (ACTIVE_REQUEST_STATUSES as readonly string[]).includes(r.status);
}

/** Resize requests show up as RESIZE_CLUSTER_V2/_V3; match the family, not one version. */
export function isResizeRequest(r: RequestView): boolean {
  return r.requestType.toUpperCase().startsWith('RESIZE_CLUSTER');
}

export function nodesOfDc(nodes: readonly NodeView[], dcId: number): NodeView[] {
  // A node without a dcID can only belong to the one DC we watch (single-DC is the supported case).
  return nodes.filter((n) => n.dcId === null || n.dcId === dcId);
}

/** Current size: ACTIVE nodes only, because joining-queued and being-deleted nodes are listed too. */
export function currentSize(nodes: readonly NodeView[], dcId: number): number {
  return nodesOfDc(nodes, dcId).filter((n) => n.status === 'ACTIVE').length;
}

export type PickDc = { ok: true; dc: DcView } | { ok: false; reason: string };

/** The DC to resize: the only one, or the one the user named (by id or name). */
export function pickDc(cluster: ClusterView, chosen?: number | string): PickDc {
  const all = cluster.dataCenters.length ? cluster.dataCenters : cluster.dc ? [cluster.dc] : [];
  if (all.length === 0) return { ok: false, reason: 'the cluster reports no data center' };
  if (chosen !== undefined) {
    const dc = all.find((d) => d.id === Number(chosen) || d.name === String(chosen));
    if (dc) return { ok: true, dc };
    return { ok: false, reason: `data center ${chosen} not found (have: ${all.map((d) => `${d.id} ${d.name}`).join(', ')})` };
  }
  if (all.length > 1) {
    return {
      ok: false,
      reason: `cluster has ${all.length} data centers (${all.map((d) => `${d.id} ${d.name}`).join(', ')}); only single-DC clusters are resized unless a DC is chosen`,
    };
  }
  return { ok: true, dc: all[0]! };
}

export interface Observation {
  cluster: ClusterView;
  dc: DcView;
  nodes: readonly NodeView[];
  /** Requests of the cluster that are QUEUED or IN_PROGRESS. */
  activeRequests: readonly RequestView[];
}

export type Health = { healthy: true } | { healthy: false; reason: string; detail: string };

/**
 * Healthy at N per the contract: cluster ACTIVE and not locked, DC ACTIVE, no request queued or running,
 * and exactly N ACTIVE nodes, all NORMAL. (Whether *our* resize request is COMPLETED is the caller's part.)
 */
export function healthAt(n: number, o: Observation): Health {
  if (o.cluster.status !== 'ACTIVE') return unhealthy('cluster not ACTIVE', `cluster status ${o.cluster.status || '(none)'}`);
  if (o.cluster.isLocked === true) return unhealthy('cluster locked', 'the cluster reports isLocked=true');
  if (o.dc.status !== 'ACTIVE') return unhealthy('data center not ACTIVE', `DC ${o.dc.name} status ${o.dc.status || '(none)'}`);
  if (o.activeRequests.length > 0) {
    const list = o.activeRequests.map((r) => `${r.id} ${r.requestType} ${r.status}`).join(', ');
    return unhealthy('another request is queued or in progress', `active requests: ${list}`);
  }
  const active = nodesOfDc(o.nodes, o.dc.id).filter((x) => x.status === 'ACTIVE');
  const normal = active.filter((x) => x.state === 'NORMAL').length;
  if (active.length !== n || normal !== n) {
    return unhealthy('nodes not all ACTIVE/NORMAL', `${normal} ACTIVE/NORMAL of ${active.length} ACTIVE nodes, want ${n}`);
  }
  return { healthy: true };
}

function unhealthy(reason: string, detail: string): Health {
  return { healthy: false, reason, detail };
}

/** Checks the configured bounds against the replication factor; returns a message or null. */
export function checkBounds(min: number, max: number, rf: number | null): string | null {
  if (!(Number.isInteger(min) && Number.isInteger(max) && min > 0 && max > 0)) return `SCY_MIN_NODES=${min} and SCY_MAX_NODES=${max} must be positive integers`;
  if (min >= max) return `SCY_MIN_NODES=${min} must be less than SCY_MAX_NODES=${max}`;
  if (rf === null) return null;
  if (min < rf) return `SCY_MIN_NODES=${min} is below the cluster's replication factor ${rf}`;
  const bad = [min, max].filter((x) => x % rf !== 0);
  if (bad.length) return `SCY_MIN_NODES=${min} and SCY_MAX_NODES=${max} must be multiples of the cluster's replication factor ${rf} (${bad.join(', ')} is not)`;
  return null;
}

/**
 * Where to go next: at or below MIN → MAX, at or above MAX → MIN (the original's rule). Strictly between
 * the bounds (a resize that failed half-way, or someone else's resize) → the nearer bound, ties to MIN, so
 * the first move is the smallest one that puts the cluster back on its MIN↔MAX track.
 */
export function nextTarget(current: number, min: number, max: number): number {
  if (current <= min) return max;
  if (current >= max) return min;
  return max - current < current - min ? max : min;
}

export type ErrorAction =
  /** Stop the scaler; the load keeps running. */
  | 'fatal'
  /** Configuration problem (bounds vs RF, step size): stop the scaler and say which setting. */
  | 'config'
  /** Busy/locked/not-ready: wait for health and re-check; never stack a second resize. */
  | 'wait'
  /** The POST may have been applied: look for the request it may have created before anything else. */
  | 'ambiguous'
  /** Transient: retry (the client does this for GETs). */
  | 'retry'
  /** The `type` filter was refused: ask again without it. */
  | 'drop-filter'
  /** The cluster is already the wanted size. */
  | 'at-target'
  /** Anything else: abandon this attempt, show the code, try again later. */
  | 'abandon';

/** The contract's error-code table, as data. */
export const ERROR_ACTIONS: Readonly<Record<string, { action: ErrorAction; meaning: string }>> = {
  '041001': { action: 'fatal', meaning: 'invalid resize request format (a bug or bad setting)' },
  '041002': { action: 'ambiguous', meaning: 'general error resizing the cluster' },
  '041303': { action: 'wait', meaning: 'an active request of the same type exists' },
  '041190': { action: 'retry', meaning: 'error getting cluster requests' },
  '041191': { action: 'drop-filter', meaning: 'invalid type query parameter' },
  '041192': { action: 'drop-filter', meaning: 'invalid type query parameter' },
  '041006': { action: 'wait', meaning: 'a resize is already running' },
  '041003': { action: 'wait', meaning: 'data center not active' },
  '0420006': { action: 'wait', meaning: 'data center not active' },
  '041707': { action: 'wait', meaning: 'cluster locked' },
  '041708': { action: 'wait', meaning: 'actions queued on the cluster' },
  '041007': { action: 'config', meaning: 'wanted size is not a multiple of the replication factor' },
  '0420020': { action: 'config', meaning: 'wanted size is not a multiple of the replication factor' },
  '0420017': { action: 'at-target', meaning: 'wanted size equals current size' },
  '041005': { action: 'config', meaning: 'resize step too large' },
  '041008': { action: 'fatal', meaning: 'this cluster type cannot be resized through the API (X Cloud)' },
  '041009': { action: 'fatal', meaning: 'bad instance type' },
  '0420018': { action: 'fatal', meaning: 'free/developer clusters cannot be resized' },
  '0420019': { action: 'fatal', meaning: 'free/developer clusters cannot be resized' },
  '000001': { action: 'retry', meaning: 'rate limited' },
  '000002': { action: 'fatal', meaning: 'forbidden: the token lacks permission' },
  '020001': { action: 'fatal', meaning: 'unauthorized: check SCY_CLOUD_TOKEN' },
  '020005': { action: 'fatal', meaning: 'unauthorized: check SCY_CLOUD_TOKEN' },
  '020006': { action: 'fatal', meaning: 'unauthorized: check SCY_CLOUD_TOKEN' },
  '040001': { action: 'fatal', meaning: 'cluster deleted' },
};

/**
 * What an error asks for. Codes without an envelope code (`http-503`, `timeout`, `network`) are read from
 * the transport: after a POST they are ambiguous, because the service may have applied it anyway.
 */
export function actionFor(code: string, httpStatus: number | null): ErrorAction {
  const known = ERROR_ACTIONS[code];
  if (known) return known.action;
  // An unreadable answer to a POST says nothing about whether it was applied.
  if (code === 'timeout' || code === 'network' || code === 'malformed') return 'ambiguous';
  if (httpStatus === 401) return 'fatal';
  if (httpStatus === 403) return 'fatal';
  if (httpStatus !== null && httpStatus >= 500) return 'ambiguous';
  return 'abandon';
}
