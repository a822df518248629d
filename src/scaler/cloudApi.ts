import { backoffMs } from '../backoff.js';
import { request, type Dispatcher } from 'undici';
import { realClock, type Clock } from '../clock.js';
import type { Secret } from '../config/secret.js';
import { sanitizeText } from '../text/sanitize.js';

// Client for the Scylla Cloud API contract (docs/cloud-api.md). It decodes the {error, data} envelope, matches
// keys case-insensitively (the service mixes `dcID`, `Name`, `ProgressPercent`, ...), retries GETs on transient
// failures (honouring Retry-After) and never retries the resize POST: deciding what to do after an ambiguous POST
// is the scaler's job, because only it can look for the request the POST may have created.
// Everything the server says is outside text: every string decoded here, and every error message, goes through
// sanitizeText() (no control characters, secrets masked, length capped), and bodies are read up to a size cap.

/** Longest error message kept from a server (its own message, or a snippet of a non-envelope body). */
const MESSAGE_MAX = 500;
/** A Retry-After longer than this is not waited for in one go: the scaler polls again after at most this. */
export const RETRY_AFTER_CAP_MS = 60_000;
/** Bodies past this size are not read: the call fails with code `too-large` (a GET is not retried on it). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export class CloudApiError extends Error {
  constructor(
    /**
     * The envelope's code, or `http-<status>`, `timeout`, `network`, `tls`, `bad-request-setup` (the request could
     * not be sent as configured, e.g. a token HTTP cannot carry), `malformed`, `too-large`, `mismatch` (an answer
     * about another request or cluster than asked), `aborted`.
     */
    readonly code: string,
    readonly httpStatus: number | null,
    message: string,
    readonly retryable: boolean,
    /** The server's Retry-After, capped at RETRY_AFTER_CAP_MS; null when it sent none. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(sanitizeText(message, MESSAGE_MAX));
    this.name = 'CloudApiError';
  }
}

export interface ProgressView {
  percent: number | null;
  description: string;
}

export interface DcView {
  /** Null when the service sent no usable id: such a DC cannot be resized (the POST needs its id). */
  id: number | null;
  name: string;
  status: string;
  instanceId: number | null;
  replicationFactor: number | null;
}

export interface ClusterView {
  id: number | null;
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

// Statuses of clusters, DCs and nodes are upper-cased when decoded (the contract compares them case-insensitively);
// a request's status is kept as sent, so an unknown one can be reported verbatim (see clusterView.requestState).
export interface NodeView {
  id: string;
  dcId: number | null;
  status: string;
  state: string;
  /** The wire spelling is `privateIp` (the Terraform model says `privateIP`; keys are matched ignoring case). */
  privateIP: string;
}

export interface RequestView {
  id: string;
  requestType: string;
  /** As the service sent it (sanitized); compare through clusterView.requestState(). */
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
  /** Response bodies past this many bytes are refused (code `too-large`); default MAX_BODY_BYTES. */
  maxBodyBytes?: number;
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
    const cluster = decodeCluster(c);
    // An answer about another cluster is not believed (a proxy or a server bug mixing up ids).
    if (cluster.id !== null && cluster.id !== this.opts.clusterId) {
      throw mismatch(`GET cluster ${this.opts.clusterId} answered about cluster ${cluster.id}`);
    }
    return cluster;
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
    // Requests that say they belong to another cluster or account are not ours to wait for.
    return listIn(data, 'requests')
      .filter((v) => this.foreignOwner(v) === null)
      .map(decodeRequest)
      .filter((r) => !filter.type || r.requestType === filter.type);
  }

  async getRequest(requestId: string, signal?: AbortSignal): Promise<RequestView> {
    const data = await this.get(`/account/${this.opts.accountId}/cluster/request/${encodeURIComponent(requestId)}`, signal);
    const raw = unwrap(data, 'request');
    const req = decodeRequest(raw);
    const foreign = this.foreignOwner(raw);
    if (req.id !== requestId || foreign) {
      throw mismatch(`GET request ${requestId} answered about ${foreign ?? `request ${req.id || '(no id)'}`}`);
    }
    return req;
  }

  /** The request the service created; an answer without an id, or about another cluster, fails with `mismatch`. */
  async resize(dcId: number, wantedSize: number, instanceTypeId: number, signal?: AbortSignal): Promise<RequestView> {
    const body = { dcNodes: [{ dcId, wantedSize, instanceTypeId }] };
    const data = await this.send('POST', `${this.clusterPath}/resize`, body, signal);
    const raw = unwrap(data, 'request');
    const req = decodeRequest(raw);
    const foreign = this.foreignOwner(raw);
    if (!req.id || foreign) throw mismatch(`POST resize answered ${foreign ?? 'a request without an id'}`);
    return req;
  }

  /** "cluster 43" / "account 8" when a request says it belongs elsewhere; null when it is ours or does not say. */
  private foreignOwner(raw: unknown): string | null {
    const cluster = asNumber(field(raw, 'clusterId'));
    if (cluster !== null && cluster !== this.opts.clusterId) return `cluster ${cluster}`;
    const account = asNumber(field(raw, 'accountId'));
    if (account !== null && account !== this.opts.accountId) return `account ${account}`;
    return null;
  }

  private async get(path: string, signal?: AbortSignal): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send('GET', path, undefined, signal);
      } catch (err) {
        if (!(err instanceof CloudApiError) || !err.retryable || attempt >= this.retry.tries || signal?.aborted) throw err;
        const delay = Math.max(backoffDelay(attempt, this.retry), err.retryAfterMs ?? 0);
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
    let retryAfter: string | string[] | undefined;
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
      retryAfter = res.headers['retry-after'];
      text = await readCapped(res.body, this.opts.maxBodyBytes ?? MAX_BODY_BYTES, `${method} ${stripQuery(path)}`, status);
    } catch (err) {
      if (err instanceof CloudApiError) throw err;
      throw transportError(err, method, path, timeout.aborted && !signal?.aborted, this.timeoutMs);
    }
    return decodeEnvelope(status, text, `${method} ${stripQuery(path)}`, parseRetryAfter(retryAfter, this.clock.now()));
  }
}

/** The body as text, or `too-large` once it passes `max` bytes (the rest is not read: the connection is dropped). */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number, what: string, status: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > max) {
      body.destroy();
      throw new CloudApiError('too-large', status, `${what}: response body larger than ${max} bytes, not read`, false);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Retry-After as seconds or an HTTP date, in ms from now, capped; null when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | null {
  const v = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!v) return null;
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - nowMs;
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(ms, 0), RETRY_AFTER_CAP_MS);
}

/** Capped exponential backoff with "equal jitter": never less than half the step, so retries stay spaced. */
export function backoffDelay(attempt: number, p: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  // Retry attempts count from 1 here.
  return Math.round(backoffMs(attempt - 1, p.baseDelayMs, p.maxDelayMs, random));
}

/** Turns a raw HTTP answer into the envelope's data, or a CloudApiError carrying the envelope's code. */
export function decodeEnvelope(status: number, text: string, what: string, retryAfterMs: number | null = null): unknown {
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
    throw new CloudApiError(code, status, `${what}: ${code}${humanMessage(envelope)}`, retryable, retryAfterMs);
  }
  if (!ok) {
    const snippet = sanitizeText(text.slice(0, 2000), 120).replace(/\s+/g, ' ').trim();
    throw new CloudApiError(`http-${status}`, status, `${what}: HTTP ${status}${snippet ? ` (${snippet})` : ''}`, RETRY_HTTP.has(status), retryAfterMs);
  }
  if (!envelope || !hasKey(envelope, 'data')) throw malformed(`${what}: response is not a {error, data} envelope`, status);
  return field(envelope, 'data');
}

function humanMessage(envelope: Record<string, unknown> | null): string {
  if (!envelope) return '';
  const direct = asString(field(envelope, 'message'));
  const data = field(envelope, 'data');
  const msg = direct || (typeof data === 'string' ? asString(data) : asString(field(data, 'message')));
  return msg ? ` ${msg}` : '';
}

function transportError(err: unknown, method: string, path: string, timedOut: boolean, timeoutMs: number): CloudApiError {
  const what = `${method} ${stripQuery(path)}`;
  if (timedOut) return new CloudApiError('timeout', null, `${what}: no answer within ${timeoutMs} ms`, true);
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'AbortError') return new CloudApiError('aborted', null, `${what}: aborted`, false);
  const detail = `${what}: ${e?.code ?? ''} ${e?.message ?? String(err)}`.trim();
  // A bad certificate, URL or header will not get better by retrying: each gets its own code so the scaler stops.
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(e?.code ?? '')) return new CloudApiError('tls', null, detail, false);
  if (/ERR_INVALID_URL|UND_ERR_INVALID_ARG|ERR_INVALID_PROTOCOL|ERR_INVALID_CHAR/.test(e?.code ?? '')) {
    // undici names the header it refused; the usual cause is a token with characters HTTP cannot carry.
    return new CloudApiError('bad-request-setup', null, `${detail} (check SCY_CLOUD_TOKEN and SCY_CLOUD_API_BASE)`, false);
  }
  return new CloudApiError('network', null, detail, true);
}

function malformed(message: string, status: number | null = null): CloudApiError {
  return new CloudApiError('malformed', status, message, false);
}

function mismatch(message: string): CloudApiError {
  return new CloudApiError('mismatch', null, `${message}; the answer is not believed`, false);
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

/** A string or number from the server, sanitized and capped (every decoded string goes through here). */
function asString(v: unknown): string {
  return typeof v === 'string' ? sanitizeText(v) : typeof v === 'number' ? String(v) : '';
}

/** A status word: sanitized and upper-cased, since the contract compares statuses case-insensitively. */
function asStatus(v: unknown): string {
  return asString(v).trim().toUpperCase();
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
    id: asNumber(field(v, 'id')),
    name: asString(field(v, 'name')),
    status: asStatus(field(v, 'status')),
    instanceId: asNumber(field(v, 'instanceId')),
    replicationFactor: asNumber(field(v, 'replicationFactor')),
  };
}

function decodeCluster(c: Record<string, unknown>): ClusterView {
  const progress = field(c, 'progress');
  const dc = field(c, 'dc');
  const dcs = field(c, 'dataCenters');
  return {
    id: asNumber(field(c, 'id')),
    name: asString(field(c, 'clusterName')),
    status: asStatus(field(c, 'status')),
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
    status: asStatus(field(v, 'status')),
    state: asStatus(field(v, 'state')),
    privateIP: asString(field(v, 'privateIp')),
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
