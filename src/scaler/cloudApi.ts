import { backoffMs } from '../backoff.js';
import { request, type Dispatcher } from 'undici';
import { realClock, type Clock } from '../clock.js';
import { redact, type Secret } from '../config/secret.js';

// Client for the Scylla Cloud API contract (shared/scylla-cloud-api.md). It decodes the {error, data}
// envelope, matches keys case-insensitively (the service mixes `dcID`, `Name`, `ProgressPercent`, ...),
// retries GETs on transient failures and never retries the resize POST: deciding what to do after an
// ambiguous POST is the scaler's job, because only it can look for the request the POST may have created.

export class CloudApiError extends Error {
  constructor(
    /** The envelope's code, or `http-<status>`, `timeout`, `network`, `malformed`. */
    readonly code: string,
    readonly httpStatus: number | null,
    message: string,
    readonly retryable: boolean,
  ) {
    super(redact(message));
    this.name = 'CloudApiError';
  }
}

export interface ProgressView {
  percent: number | null;
  description: string;
}

export interface DcView {
  id: number;
  name: string;
  status: string;
  instanceId: number | null;
  replicationFactor: number | null;
}

export interface ClusterView {
  id: number;
  name: string;
  status: string;
  /** Only some sources report a lock flag; null when absent. */
  isLocked: boolean | null;
  replicationFactor: number | null;
  instanceId: number | null;
  progress: ProgressView | null;
  dc: DcView | null;
  dataCenters: DcView[];
}

export interface NodeView {
  id: string;
  dcId: number | null;
  status: string;
  state: string;
  privateIP: string;
}

export interface RequestView {
  id: string;
  requestType: string;
  status: string;
  progressPercent: number | null;
  progressDescription: string;
}

export interface RetryPolicy {
  /** Total attempts for a GET, first one included. */
  tries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface CloudApiOptions {
  baseUrl: string;
  token: Secret;
  accountId: number;
  clusterId: number;
  /** Per-request limit; a POST that runs out is ambiguous (it may have been applied). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
  dispatcher?: Dispatcher;
  /** Called before each GET retry, so callers can count and show transient errors. */
  onRetry?: (err: CloudApiError, attempt: number, delayMs: number) => void;
}

/** The calls the scaler needs; the scaler depends on this, not on HTTP. */
export interface CloudApiClient {
  getCluster(signal?: AbortSignal): Promise<ClusterView>;
  listNodes(signal?: AbortSignal): Promise<NodeView[]>;
  listRequests(filter?: RequestFilter, signal?: AbortSignal): Promise<RequestView[]>;
  getRequest(requestId: string, signal?: AbortSignal): Promise<RequestView>;
  resize(dcId: number, wantedSize: number, instanceTypeId: number, signal?: AbortSignal): Promise<RequestView>;
}

export interface RequestFilter {
  /** Sent as the `type` query parameter and checked client-side. */
  type?: string;
  /** Checked client-side only: servers may ignore a status query. */
  statuses?: readonly string[];
}

const RETRY_HTTP = new Set([408, 423, 425, 429, 502, 503, 504]);
const RETRY_CODES = new Set(['000001', '041190']);
const BAD_TYPE_FILTER = new Set(['041191', '041192']);

export class CloudApi implements CloudApiClient {
  private readonly base: string;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly timeoutMs: number;

  constructor(private readonly opts: CloudApiOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.retry = { tries: 5, baseDelayMs: 1000, maxDelayMs: 30_000, ...opts.retry };
    this.clock = opts.clock ?? realClock;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private get clusterPath(): string {
    return `/account/${this.opts.accountId}/cluster/${this.opts.clusterId}`;
  }

  async getCluster(signal?: AbortSignal): Promise<ClusterView> {
    const data = await this.get(`${this.clusterPath}?enriched=true`, signal);
    const c = field(data, 'cluster') ?? data;
    if (!isRecord(c)) throw malformed('cluster payload is not an object');
    return decodeCluster(c);
  }

  async listNodes(signal?: AbortSignal): Promise<NodeView[]> {
    const data = await this.get(`${this.clusterPath}/nodes?enriched=true`, signal);
    return listIn(data, 'nodes').map(decodeNode);
  }

  async listRequests(filter: RequestFilter = {}, signal?: AbortSignal): Promise<RequestView[]> {
    const path = `${this.clusterPath}/request`;
    let data: unknown;
    try {
      data = await this.get(filter.type ? `${path}?type=${encodeURIComponent(filter.type)}` : path, signal);
    } catch (err) {
      if (!(filter.type && err instanceof CloudApiError && BAD_TYPE_FILTER.has(err.code))) throw err;
      data = await this.get(path, signal);
    }
    return listIn(data, 'requests')
      .map(decodeRequest)
      .filter((r) => !filter.type || r.requestType === filter.type)
      .filter((r) => !filter.statuses || filter.statuses.includes(r.status));
  }

  async getRequest(requestId: string, signal?: AbortSignal): Promise<RequestView> {
    const data = await this.get(`/account/${this.opts.accountId}/cluster/request/${encodeURIComponent(requestId)}`, signal);
    return decodeRequest(unwrap(data, 'request'));
  }

  async resize(dcId: number, wantedSize: number, instanceTypeId: number, signal?: AbortSignal): Promise<RequestView> {
    const body = { dcNodes: [{ dcId, wantedSize, instanceTypeId }] };
    const data = await this.send('POST', `${this.clusterPath}/resize`, body, signal);
    return decodeRequest(unwrap(data, 'request'));
  }

  private async get(path: string, signal?: AbortSignal): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send('GET', path, undefined, signal);
      } catch (err) {
        if (!(err instanceof CloudApiError) || !err.retryable || attempt >= this.retry.tries || signal?.aborted) throw err;
        const delay = backoffDelay(attempt, this.retry);
        this.opts.onRetry?.(err, attempt, delay);
        await this.clock.sleep(delay, signal);
        if (signal?.aborted) throw err;
      }
    }
  }

  private async send(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status: number;
    let text: string;
    try {
      const res = await request(this.base + path, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.token.reveal()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: combined,
        ...(this.opts.dispatcher ? { dispatcher: this.opts.dispatcher } : {}),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw transportError(err, method, path, timeout.aborted && !signal?.aborted, this.timeoutMs);
    }
    return decodeEnvelope(status, text, `${method} ${stripQuery(path)}`);
  }
}

/** Capped exponential backoff with "equal jitter": never less than half the step, so retries stay spaced. */
export function backoffDelay(attempt: number, p: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  // Retry attempts count from 1 here.
  return Math.round(backoffMs(attempt - 1, p.baseDelayMs, p.maxDelayMs, random));
}

/** Turns a raw HTTP answer into the envelope's data, or a CloudApiError carrying the envelope's code. */
export function decodeEnvelope(status: number, text: string, what: string): unknown {
  let parsed: unknown;
  try {
    parsed = text.length ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const envelope = isRecord(parsed) ? parsed : null;
  const code = envelope ? asString(field(envelope, 'error')) : '';
  const ok = status >= 200 && status < 300;
  if (code) {
    const retryable = RETRY_CODES.has(code) || RETRY_HTTP.has(status);
    throw new CloudApiError(code, status, `${what}: ${code}${humanMessage(envelope)}`, retryable);
  }
  if (!ok) {
    const snippet = text.slice(0, 120).replace(/\s+/g, ' ').trim();
    throw new CloudApiError(`http-${status}`, status, `${what}: HTTP ${status}${snippet ? ` (${snippet})` : ''}`, RETRY_HTTP.has(status));
  }
  if (!envelope || !hasKey(envelope, 'data')) throw malformed(`${what}: response is not a {error, data} envelope`, status);
  return field(envelope, 'data');
}

function humanMessage(envelope: Record<string, unknown> | null): string {
  if (!envelope) return '';
  const direct = asString(field(envelope, 'message'));
  const data = field(envelope, 'data');
  const msg = direct || (typeof data === 'string' ? data : asString(field(data, 'message')));
  return msg ? ` ${msg}` : '';
}

function transportError(err: unknown, method: string, path: string, timedOut: boolean, timeoutMs: number): CloudApiError {
  const what = `${method} ${stripQuery(path)}`;
  if (timedOut) return new CloudApiError('timeout', null, `${what}: no answer within ${timeoutMs} ms`, true);
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'AbortError') return new CloudApiError('aborted', null, `${what}: aborted`, false);
  // A bad certificate or URL will not get better by retrying.
  const permanent = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_INVALID_URL|UND_ERR_INVALID_ARG|ERR_INVALID_PROTOCOL/.test(e?.code ?? '');
  return new CloudApiError('network', null, `${what}: ${e?.code ?? ''} ${e?.message ?? String(err)}`.trim(), !permanent);
}

function malformed(message: string, status: number | null = null): CloudApiError {
  return new CloudApiError('malformed', status, message, false);
}

function stripQuery(path: string): string {
  return path.replace(/\?.*$/, '');
}

// ---- case-insensitive decoding ----

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasKey(obj: Record<string, unknown>, key: string): boolean {
  const lower = key.toLowerCase();
  return Object.keys(obj).some((k) => k.toLowerCase() === lower);
}

/** Looks a key up ignoring case: `field(dc, 'name')` finds `Name`; undefined for non-objects. */
export function field(obj: unknown, key: string): unknown {
  if (!isRecord(obj)) return undefined;
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function asString(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function asNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function asBool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

/** A payload may be the list itself or an object holding it under `key`. */
function listIn(data: unknown, key: string): unknown[] {
  if (Array.isArray(data)) return data;
  const inner = field(data, key);
  if (Array.isArray(inner)) return inner;
  throw malformed(`expected a list of ${key}`);
}

/** A payload may be the object itself or an object holding it under `key`. */
function unwrap(data: unknown, key: string): Record<string, unknown> {
  const inner = field(data, key);
  const obj = isRecord(inner) ? inner : data;
  if (!isRecord(obj)) throw malformed(`expected a ${key} object`);
  return obj;
}

function decodeDc(v: unknown): DcView {
  return {
    id: asNumber(field(v, 'id')) ?? -1,
    name: asString(field(v, 'name')),
    status: asString(field(v, 'status')),
    instanceId: asNumber(field(v, 'instanceId')),
    replicationFactor: asNumber(field(v, 'replicationFactor')),
  };
}

function decodeCluster(c: Record<string, unknown>): ClusterView {
  const progress = field(c, 'progress');
  const dc = field(c, 'dc');
  const dcs = field(c, 'dataCenters');
  return {
    id: asNumber(field(c, 'id')) ?? -1,
    name: asString(field(c, 'clusterName')),
    status: asString(field(c, 'status')),
    isLocked: asBool(field(c, 'isLocked')),
    replicationFactor: asNumber(field(c, 'replicationFactor')),
    instanceId: asNumber(field(c, 'instanceId')),
    progress: isRecord(progress)
      ? { percent: asNumber(field(progress, 'progressPercent')), description: asString(field(progress, 'progressDescription')) }
      : null,
    dc: isRecord(dc) ? decodeDc(dc) : null,
    dataCenters: Array.isArray(dcs) ? dcs.filter(isRecord).map(decodeDc) : [],
  };
}

function decodeNode(v: unknown): NodeView {
  return {
    id: asString(field(v, 'id')),
    dcId: asNumber(field(v, 'dcId')),
    status: asString(field(v, 'status')),
    state: asString(field(v, 'state')),
    privateIP: asString(field(v, 'privateIP')),
  };
}

function decodeRequest(v: unknown): RequestView {
  return {
    id: asString(field(v, 'id')),
    requestType: asString(field(v, 'requestType')),
    status: asString(field(v, 'status')),
    progressPercent: asNumber(field(v, 'progressPercent')),
    progressDescription: asString(field(v, 'progressDescription')),
  };
}
