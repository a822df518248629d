import type { ClusterView, DcView, NodeView, RequestView } from './cloudApi.js';

// Pure readings of the API's answers: what size the cluster is, whether it is healthy, which DC to resize,
// and what an error code asks the scaler to do. Kept free of I/O so each rule is tested on its own.

/** Where a request stands; `known` is false for a status outside the contract's list (reported, read as running). */
export interface RequestState {
  state: 'running' | 'completed' | 'failed' | 'cancelled';
  known: boolean;
}

/**
 * Only COMPLETED, FAILED and CANCELLED end a request (compared ignoring case). QUEUED and IN_PROGRESS run; so does
 * anything else (`PENDING`, an empty status): reading an unknown status as "ended" would stack a second resize on
 * one the service is still running.
 */
export function requestState(r: Pick<RequestView, 'status'>): RequestState {
  switch (r.status.trim().toUpperCase()) {
    case 'COMPLETED':
      return { state: 'completed', known: true };
    case 'FAILED':
      return { state: 'failed', known: true };
    case 'CANCELLED':
      return { state: 'cancelled', known: true };
    case 'QUEUED':
    case 'IN_PROGRESS':
      return { state: 'running', known: true };
    default:
      return { state: 'running', known: false };
  }
}

export function isActiveRequest(r: RequestView): boolean {
  return requestState(r).state === 'running';
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

/** A DC the scaler can resize: one with an id (the POST's `dcId`). */
export type ResizableDc = DcView & { id: number };

/**
 * `odd-payload`: this answer cannot be used (no DC, a DC without an id); ask again later. `config`: the cluster's
 * shape and the settings disagree (several DCs and none chosen, the chosen one absent).
 */
export type PickDc = { ok: true; dc: ResizableDc } | { ok: false; problem: 'odd-payload' | 'config'; reason: string };

/** The DC to resize: the only one, or the one the user named (by id or name). */
export function pickDc(cluster: ClusterView, chosen?: number | string): PickDc {
  const all = cluster.dataCenters.length ? cluster.dataCenters : cluster.dc ? [cluster.dc] : [];
  const names = (): string => all.map((d) => `${d.id ?? '(no id)'} ${d.name}`).join(', ');
  if (all.length === 0) return { ok: false, problem: 'odd-payload', reason: 'the cluster reports no data center' };
  let dc: DcView | undefined;
  if (chosen !== undefined) {
    dc = all.find((d) => (d.id !== null && d.id === Number(chosen)) || d.name === String(chosen));
    if (!dc) return { ok: false, problem: 'config', reason: `data center ${chosen} not found (have: ${names()})` };
  } else if (all.length > 1) {
    return {
      ok: false,
      problem: 'config',
      reason: `cluster has ${all.length} data centers (${names()}); only single-DC clusters are resized unless a DC is chosen`,
    };
  } else {
    dc = all[0]!;
  }
  if (dc.id === null) return { ok: false, problem: 'odd-payload', reason: `data center ${dc.name || '(no name)'} has no id; a resize cannot name it` };
  return { ok: true, dc: { ...dc, id: dc.id } };
}

export interface Observation {
  cluster: ClusterView;
  dc: ResizableDc;
  nodes: readonly NodeView[];
  /** Requests of the cluster that have not ended (QUEUED, IN_PROGRESS or a status outside the contract's list). */
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
    const list = o.activeRequests.map((r) => `${r.id} ${r.requestType} ${r.status || '(no status)'}`).join(', ');
    return unhealthy('another request is queued or in progress', `active requests: ${list}`);
  }
  const active = nodesOfDc(o.nodes, o.dc.id).filter((x) => x.status === 'ACTIVE');
  // A cluster of no serving node is never healthy, whatever size was asked (nodes all INACTIVE, all in another DC).
  if (n < 1 || active.length === 0) {
    return unhealthy('no ACTIVE node in the data center', `0 ACTIVE of ${nodesOfDc(o.nodes, o.dc.id).length} listed in DC ${o.dc.id} (${o.nodes.length} in the cluster)`);
  }
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

/** Client-side codes that no retry can clear: the scaler stops and says why. */
const PERMANENT: Readonly<Record<string, string>> = {
  tls: 'TLS failed (a certificate the system does not trust, or not TLS at all); check SCY_CLOUD_API_BASE',
  'bad-request-setup': 'the request cannot be sent as configured (a token with characters HTTP cannot carry?)',
};

/** HTTP statuses that say "not now" without an envelope code: wait and re-check (the contract's retry list). */
const BUSY_HTTP = new Set([408, 423, 425, 429]);

/** Why an error stops the scaler, for errors no retry can clear; null for the others. */
export function permanentMeaning(code: string, httpStatus: number | null): string | null {
  if (ERROR_ACTIONS[code]) return ERROR_ACTIONS[code].meaning;
  if (PERMANENT[code]) return PERMANENT[code];
  if (httpStatus === 401 || httpStatus === 403) return 'check SCY_CLOUD_TOKEN';
  if (httpStatus !== null && httpStatus >= 300 && httpStatus < 400) return 'the API answered with a redirect; set SCY_CLOUD_API_BASE to the address it names';
  return null;
}

/**
 * What an error asks for. Codes without an envelope code (`http-503`, `timeout`, `network`) are read from
 * the transport: after a POST they are ambiguous, because the service may have applied it anyway. On a POST
 * (`post`), a 4xx without an envelope code that is not a "busy" status is a wrong address or a refused body,
 * which the next attempt would meet again: fatal.
 */
export function actionFor(code: string, httpStatus: number | null, post = false): ErrorAction {
  const known = ERROR_ACTIONS[code];
  if (known) return known.action;
  if (PERMANENT[code]) return 'fatal';
  // An unreadable answer to a POST says nothing about whether it was applied.
  if (code === 'timeout' || code === 'network' || code === 'malformed' || code === 'too-large' || code === 'mismatch') return 'ambiguous';
  if (httpStatus === 401 || httpStatus === 403) return 'fatal';
  if (httpStatus !== null && httpStatus >= 300 && httpStatus < 400) return 'fatal';
  if (httpStatus !== null && BUSY_HTTP.has(httpStatus)) return 'wait';
  if (httpStatus !== null && httpStatus >= 500) return 'ambiguous';
  if (post && code.startsWith('http-') && httpStatus !== null && httpStatus >= 400) return 'fatal';
  return 'abandon';
}
