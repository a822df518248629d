import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';

// A local stand-in for the Scylla Cloud API (docs/cloud-api.md): same paths, envelope, states, rules and error
// codes. Node fields use the wire spellings ScyllaDB's own client reads (privateIp, publicIp, instance, region);
// other keys are spelled as the Terraform provider's models spell them (dcID, Name, Status, ReplicationFactor,
// ProgressPercent), so clients must decode case-insensitively. The actual node changes are delegated to a
// ResizeProvider (simulated, or real local Cassandra nodes). Faults make it misbehave on purpose, for tests.

export interface ServerNode {
  id: number;
  privateIP: string;
  status: 'ACTIVE' | 'INACTIVE' | 'PENDING_DELETE' | 'DELETED' | 'QUEUED';
  state: 'NORMAL' | 'JOINING' | 'LEAVING' | 'DECOMMISSIONED' | 'MOVING' | 'REMOVED';
}

export interface ResizeProvider {
  /** Current node list as the API should show it. */
  nodes(): Promise<ServerNode[]>;
  /** Resolves when done; rejects → request FAILED. */
  resize(wanted: number, progress: (percent: number, description: string) => void, signal: AbortSignal): Promise<void>;
}

export type RequestStatus = 'QUEUED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | (string & {});

export interface FaultMatch {
  method?: string;
  pathRegex?: RegExp;
}

/**
 * How a matched call misbehaves. `delay` and `rewrite` still apply the call (a POST creates its request): `delay`
 * answers late, `rewrite` answers with `edit(data)` in place of the real payload (a lower-case status, a DC without
 * an id, another request's id, hostile text). `http`, `envelope-error`, `redirect` and `raw` apply nothing.
 */
export type FaultKind =
  | { kind: 'http'; status: number; code?: string; message?: string; headers?: Record<string, string> }
  | { kind: 'envelope-error'; code: string; message?: string }
  | { kind: 'redirect'; status: 301 | 302 | 307 | 308; location: string }
  | { kind: 'raw'; status: number; body: string | Buffer; headers?: Record<string, string> }
  | { kind: 'rewrite'; edit: (data: unknown) => unknown }
  | { kind: 'malformed' }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' };

export type Fault = { match: FaultMatch; times: number } & FaultKind;

export interface ReceivedCall {
  method: string;
  path: string;
  at: number;
  /** The request body as sent (empty for GETs), for asserting what a POST asked for. */
  body: string;
}

export interface CloudServerOptions {
  token: string;
  accountId: number;
  clusterId: number;
  rf: number;
  provider: ResizeProvider;
  host?: string;
  port?: number;
  instanceId?: number;
  dcId?: number;
  log?: Logger;
  /** Serve HTTPS with this key and certificate (PEM), e.g. a self-signed pair to test TLS refusal. */
  tls?: { key: string; cert: string };
}

export interface CloudServer {
  url: string;
  /** Faults are consumed in order of matching; `times` counts down to removal. */
  faults: Fault[];
  /** Every call received, faulted ones included, for asserting e.g. "exactly one POST". */
  received: ReceivedCall[];
  setLocked(locked: boolean): void;
  /** Starts a request of another actor (not backed by the provider); returns its id. */
  startForeignRequest(status: 'QUEUED' | 'IN_PROGRESS', requestType?: string): string;
  setRequestStatus(requestId: string, status: RequestStatus): void;
  /** The next resize is accepted, runs briefly, then ends FAILED with `reason`; the nodes do not change. */
  failNextResize(reason: string): void;
  close(): Promise<void>;
}

interface StoredRequest {
  id: number;
  requestType: string;
  status: RequestStatus;
  progressPercent: number;
  progressDescription: string;
  requestBody: string;
  createdAt: string;
}

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REQUEST_TYPES = new Set(['RESIZE_CLUSTER_V2', 'RESIZE_CLUSTER_V3', 'CREATE_CLUSTER', 'DELETE_CLUSTER']);

export async function startCloudServer(opts: CloudServerOptions): Promise<CloudServer> {
  const instanceId = opts.instanceId ?? 62;
  const dcId = opts.dcId ?? 1;
  const dcName = 'AWS_US_EAST_1';
  const regionId = 1;
  const requests = new Map<number, StoredRequest>();
  const running = new Set<AbortController>();
  const faults: Fault[] = [];
  const received: ReceivedCall[] = [];
  let nextRequestId = 1000;
  let locked = false;
  let failNext: string | null = null;

  const activeRequest = (): StoredRequest | undefined =>
    [...requests.values()].find((r) => r.status === 'QUEUED' || r.status === 'IN_PROGRESS');

  const nodeJson = (n: ServerNode): Record<string, unknown> => ({
    id: n.id,
    dcID: dcId,
    status: n.status,
    state: n.state,
    privateIp: n.privateIP,
    publicIp: '',
    dns: `node-${n.id}.local`,
    instanceId,
    instance: { externalId: `local-${n.id}`, id: instanceId },
    region: { name: 'us-east-1', id: regionId },
    regionID: regionId,
    clusterJoinDate: '2024-01-01T00:00:00Z',
  });

  const dcJson = (): Record<string, unknown> => ({
    id: dcId,
    Name: dcName,
    Status: 'ACTIVE',
    ClusterID: opts.clusterId,
    instanceId,
    ReplicationFactor: opts.rf,
    regionID: regionId,
  });

  const requestJson = (r: StoredRequest): Record<string, unknown> => ({
    id: r.id,
    requestType: r.requestType,
    accountID: opts.accountId,
    clusterID: opts.clusterId,
    status: r.status,
    progressPercent: r.progressPercent,
    progressDescription: r.progressDescription,
    requestBody: r.requestBody,
    createdAt: r.createdAt,
  });

  const newRequest = (status: RequestStatus, requestType: string, body: string): StoredRequest => {
    const r: StoredRequest = {
      id: nextRequestId++,
      requestType,
      status,
      progressPercent: 0,
      progressDescription: status === 'QUEUED' ? 'Queued' : 'In progress',
      requestBody: body,
      createdAt: new Date().toISOString(),
    };
    requests.set(r.id, r);
    return r;
  };

  const clusterJson = async (): Promise<Record<string, unknown>> => {
    const active = activeRequest();
    return {
      id: opts.clusterId,
      accountId: opts.accountId,
      clusterName: 'local-cluster',
      status: 'ACTIVE',
      instanceId,
      replicationFactor: opts.rf,
      isLocked: locked,
      progress: { ProgressPercent: active ? active.progressPercent : 100, ProgressDescription: active ? active.progressDescription : '' },
      dc: dcJson(),
      dataCenters: [dcJson()],
      nodes: (await opts.provider.nodes()).map(nodeJson),
    };
  };

  const runResize = (r: StoredRequest, wanted: number): void => {
    const ctl = new AbortController();
    running.add(ctl);
    const failReason = failNext;
    failNext = null;
    // Start on the next tick, so the POST's answer shows the request QUEUED like the real service.
    setImmediate(() => {
      if (ctl.signal.aborted) return;
      r.status = 'IN_PROGRESS';
      r.progressDescription = 'Resizing';
      const work = failReason
        ? new Promise<void>((_, reject) => setTimeout(() => reject(new Error(failReason)), 20))
        : opts.provider.resize(
            wanted,
            (percent, description) => {
              r.progressPercent = percent;
              r.progressDescription = description;
            },
            ctl.signal,
          );
      work.then(
        () => {
          r.status = 'COMPLETED';
          r.progressPercent = 100;
          r.progressDescription = 'Completed';
        },
        (err: unknown) => {
          r.status = 'FAILED';
          r.progressDescription = err instanceof Error ? err.message : String(err);
          opts.log?.warn(`resize request ${r.id} failed: ${r.progressDescription}`);
        },
      ).finally(() => running.delete(ctl));
    });
  };

  const resize = async (bodyText: string): Promise<unknown> => {
    let wanted: number;
    try {
      const body = JSON.parse(bodyText) as { dcNodes?: { dcId?: unknown; wantedSize?: unknown; instanceTypeId?: unknown }[] };
      const dn = body.dcNodes?.[0];
      if (!dn || body.dcNodes?.length !== 1 || dn.dcId !== dcId || !Number.isInteger(dn.wantedSize) || dn.instanceTypeId !== instanceId) {
        throw new Error('bad body');
      }
      wanted = dn.wantedSize as number;
    } catch {
      throw new ApiFailure(400, '041001', `invalid request format: want {"dcNodes":[{"dcId":${dcId},"wantedSize":<int>,"instanceTypeId":${instanceId}}]}`);
    }
    if (locked) throw new ApiFailure(409, '041707', 'cluster is locked');
    const active = activeRequest();
    if (active) {
      const same = active.requestType.startsWith('RESIZE_CLUSTER');
      throw new ApiFailure(409, same ? '041303' : '041006', `request ${active.id} (${active.requestType}) is ${active.status}`);
    }
    if (wanted <= 0 || wanted % opts.rf !== 0) throw new ApiFailure(400, '041007', `wanted size ${wanted} is not a multiple of RF ${opts.rf}`);
    const current = (await opts.provider.nodes()).filter((n) => n.status === 'ACTIVE').length;
    if (wanted === current) throw new ApiFailure(400, '0420017', `cluster already has ${current} nodes`);
    const r = newRequest('QUEUED', 'RESIZE_CLUSTER_V2', bodyText);
    opts.log?.info(`resize request ${r.id}: ${current} → ${wanted} nodes`);
    runResize(r, wanted);
    return requestJson(r);
  };

  const route = async (method: string, url: URL, body: string): Promise<unknown> => {
    const p = url.pathname.replace(/\/+$/, '');
    if (method === 'GET' && p === '/account/default') return { accountId: opts.accountId };
    const m = /^\/account\/(\d+)\/cluster\/(?:(\d+)(\/nodes|\/dcs|\/request|\/resize)?|request\/(\d+))$/.exec(p);
    if (!m || Number(m[1]) !== opts.accountId) throw new ApiFailure(404, '', `no route ${method} ${p}`);
    const [, , clusterId, sub, requestId] = m;
    if (requestId !== undefined) {
      const r = requests.get(Number(requestId));
      if (method !== 'GET' || !r) throw new ApiFailure(404, '041190', `request ${requestId} not found`);
      return requestJson(r);
    }
    if (Number(clusterId) !== opts.clusterId) throw new ApiFailure(404, '040001', `cluster ${clusterId} not found`);
    if (method === 'GET' && sub === undefined) return { cluster: await clusterJson() };
    if (method === 'GET' && sub === '/nodes') return { nodes: (await opts.provider.nodes()).map(nodeJson) };
    if (method === 'GET' && sub === '/dcs') return { dataCenters: [dcJson()] };
    if (method === 'GET' && sub === '/request') {
      const type = url.searchParams.get('type');
      if (type !== null && !REQUEST_TYPES.has(type)) throw new ApiFailure(400, '041191', `invalid type ${type}`);
      return [...requests.values()].filter((r) => type === null || r.requestType === type).map(requestJson);
    }
    if (method === 'POST' && sub === '/resize') return resize(body);
    throw new ApiFailure(405, '', `method ${method} not allowed on ${p}`);
  };

  const takeFault = (method: string, path: string): Fault | undefined => {
    const i = faults.findIndex(
      (f) => f.times > 0 && (!f.match.method || f.match.method === method) && (!f.match.pathRegex || f.match.pathRegex.test(path)),
    );
    const f = faults[i];
    if (!f) return undefined;
    if (--f.times <= 0) faults.splice(i, 1);
    return f;
  };

  const send = (res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(payload));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://local');
    const call: ReceivedCall = { method, path: url.pathname + url.search, at: Date.now(), body: '' };
    received.push(call);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    call.body = body;

    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      return send(res, 401, { error: '020001', message: 'unauthorized: invalid or missing token', data: null });
    }
    const fault = takeFault(method, url.pathname + url.search);
    if (fault?.kind === 'hang') return; // the socket stays open until the client gives up or the server closes
    if (fault?.kind === 'http') {
      return send(res, fault.status, { error: fault.code ?? '', message: fault.message ?? `injected HTTP ${fault.status}`, data: null }, fault.headers);
    }
    if (fault?.kind === 'redirect') {
      res.writeHead(fault.status, { location: fault.location, 'content-type': 'text/html' });
      return void res.end(`<a href="${fault.location}">moved</a>`);
    }
    if (fault?.kind === 'raw') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      return void res.end(fault.body);
    }
    if (fault?.kind === 'envelope-error') return send(res, 200, { error: fault.code, message: fault.message ?? 'injected error', data: null });
    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"error": "", "data": {"cluster": ');
    }
    let status = 200;
    let payload: unknown;
    try {
      const data = await route(method, url, body);
      payload = { error: '', data: fault?.kind === 'rewrite' ? fault.edit(structuredClone(data)) : data };
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      status = err.status;
      payload = { error: err.code, message: err.message, data: null };
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    send(res, status, payload);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      opts.log?.error(`local cloud API: ${err instanceof Error ? err.message : String(err)}`);
      send(res, 500, { error: '', message: 'internal error', data: null });
    });
  };
  const server = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${addr.port}`,
    faults,
    received,
    setLocked: (v) => {
      locked = v;
    },
    startForeignRequest: (status, requestType = 'RESIZE_CLUSTER_V2') => String(newRequest(status, requestType, '{}').id),
    setRequestStatus: (id, status) => {
      const r = requests.get(Number(id));
      if (!r) throw new Error(`no request ${id}`);
      r.status = status;
    },
    failNextResize: (reason) => {
      failNext = reason;
    },
    close: async () => {
      for (const ctl of running) ctl.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
