import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/config/secret.js';
import { CloudApi, CloudApiError, backoffDelay, decodeEnvelope, field, type CloudApiOptions } from '../../src/scaler/cloudApi.js';
import { startCloudServer, type CloudServer } from '../../src/local/cloudServer.js';
import { SimulatedProvider } from '../../src/local/simulatedProvider.js';

const TOKEN = 'unit-secret-token-31d0';
let server: CloudServer;

before(async () => {
  server = await startCloudServer({
    token: TOKEN,
    accountId: 5,
    clusterId: 9,
    rf: 3,
    provider: new SimulatedProvider({ initialNodes: 3, joinMs: 10, leaveMs: 10 }),
  });
});
after(() => server.close());

const client = (over: Partial<CloudApiOptions> = {}): CloudApi =>
  new CloudApi({
    baseUrl: server.url,
    token: new Secret(TOKEN),
    accountId: 5,
    clusterId: 9,
    timeoutMs: 1000,
    retry: { tries: 3, baseDelayMs: 1, maxDelayMs: 4 },
    ...over,
  });

const rejectsWith = async (p: Promise<unknown>, check: (e: CloudApiError) => void): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof CloudApiError, String(e));
    check(e);
    return true;
  });
};

test('field() looks keys up ignoring case', () => {
  assert.equal(field({ Name: 'dc1' }, 'name'), 'dc1');
  assert.equal(field({ dcID: 4 }, 'dcId'), 4);
  assert.equal(field({ name: 'exact', NAME: 'other' }, 'name'), 'exact');
  assert.equal(field(null, 'x'), undefined);
  assert.equal(field([1], '0'), undefined);
});

test('decodeEnvelope: data on success, error code even on HTTP 200, human message shown', () => {
  assert.deepEqual(decodeEnvelope(200, '{"error":"","data":{"a":1}}', 'GET /x'), { a: 1 });
  assert.deepEqual(decodeEnvelope(200, '{"Error":"","Data":[1]}', 'GET /x'), [1]);
  assert.throws(
    () => decodeEnvelope(200, '{"error":"041707","Message":"cluster is locked","data":null}', 'POST /r'),
    (e: unknown) => e instanceof CloudApiError && e.code === '041707' && e.httpStatus === 200 && /cluster is locked/.test(e.message) && !e.retryable,
  );
  assert.throws(
    () => decodeEnvelope(400, '{"error":"041001","data":{"message":"bad dcNodes"}}', 'POST /r'),
    (e: unknown) => e instanceof CloudApiError && /bad dcNodes/.test(e.message),
  );
  assert.throws(
    () => decodeEnvelope(200, '{"error":"000001","data":"slow down"}', 'GET /x'),
    (e: unknown) => e instanceof CloudApiError && e.retryable && /slow down/.test(e.message),
  );
});

test('decodeEnvelope: non-envelope answers', () => {
  assert.throws(() => decodeEnvelope(200, '<html>', 'GET /x'), (e: unknown) => e instanceof CloudApiError && e.code === 'malformed');
  assert.throws(() => decodeEnvelope(200, '{"data"', 'GET /x'), (e: unknown) => e instanceof CloudApiError && e.code === 'malformed');
  assert.throws(() => decodeEnvelope(200, '{"items":[]}', 'GET /x'), (e: unknown) => e instanceof CloudApiError && e.code === 'malformed');
  assert.throws(() => decodeEnvelope(503, 'upstream down', 'GET /x'), (e: unknown) => e instanceof CloudApiError && e.code === 'http-503' && e.retryable);
  assert.throws(() => decodeEnvelope(500, '', 'GET /x'), (e: unknown) => e instanceof CloudApiError && e.code === 'http-500' && !e.retryable);
});

test('backoffDelay grows exponentially, is capped, and jitters within the upper half of each step', () => {
  const p = { baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(backoffDelay(1, p, () => 0), 50);
  assert.equal(backoffDelay(1, p, () => 1), 100);
  assert.equal(backoffDelay(3, p, () => 1), 400);
  assert.equal(backoffDelay(10, p, () => 1), 1000);
  assert.equal(backoffDelay(10, p, () => 0), 500);
});

test('getCluster decodes the provider-spelled keys', async () => {
  const c = await client().getCluster();
  assert.equal(c.id, 9);
  assert.equal(c.status, 'ACTIVE');
  assert.equal(c.isLocked, false);
  assert.equal(c.replicationFactor, 3);
  assert.deepEqual(c.dc, { id: 1, name: 'AWS_US_EAST_1', status: 'ACTIVE', instanceId: 62, replicationFactor: 3 });
  assert.equal(c.dataCenters.length, 1);
  assert.deepEqual(c.progress, { percent: 100, description: '' });
});

test('listNodes decodes dcID and privateIP', async () => {
  const nodes = await client().listNodes();
  assert.equal(nodes.length, 3);
  assert.deepEqual(nodes[0], { id: '1', dcId: 1, status: 'ACTIVE', state: 'NORMAL', privateIP: '10.0.0.1' });
});

test('resize, getRequest and listRequests with client-side status filter', async () => {
  const api = client();
  const created = await api.resize(1, 6, 62);
  assert.equal(created.requestType, 'RESIZE_CLUSTER_V2');
  assert.equal(created.status, 'QUEUED');
  const one = await api.getRequest(created.id);
  assert.equal(one.id, created.id);
  const active = (await api.listRequests()).filter((r) => r.status === 'QUEUED' || r.status === 'IN_PROGRESS');
  assert.deepEqual(active.map((r) => r.id), [created.id]);
  for (let i = 0; i < 200 && (await api.getRequest(created.id)).status !== 'COMPLETED'; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal((await api.getRequest(created.id)).progressPercent, 100);
  assert.deepEqual((await api.listRequests()).filter((r) => r.status !== 'COMPLETED'), []);
  assert.equal((await api.listRequests()).length, 1);
});

test('a refused type filter (041191) is dropped and applied client-side', async () => {
  const api = client();
  const before = server.received.length;
  const list = await api.listRequests({ type: 'RESIZE_CLUSTER_WHATEVER' });
  assert.deepEqual(list, []);
  const paths = server.received.slice(before).map((r) => r.path);
  assert.ok(paths[0]?.includes('type=RESIZE_CLUSTER_WHATEVER'));
  assert.ok(paths[1]?.endsWith('/request'));
});

test('GETs retry on 429/503/000001 and connection errors, not on 500', async () => {
  const retries: string[] = [];
  const api = client({ onRetry: (e) => retries.push(e.code) });
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'http', status: 429 });
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'envelope-error', code: '000001' });
  assert.equal((await api.listNodes()).length > 0, true);
  assert.deepEqual(retries, ['http-429', '000001']);

  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 3, kind: 'http', status: 503 });
  await rejectsWith(api.listNodes(), (e) => assert.equal(e.code, 'http-503'));

  retries.length = 0;
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'http', status: 500 });
  await rejectsWith(api.listNodes(), (e) => assert.equal(e.httpStatus, 500));
  assert.equal(retries.length, 0);

  const dead = client({ baseUrl: 'http://127.0.0.1:1', onRetry: (e) => retries.push(e.code) });
  await rejectsWith(dead.listNodes(), (e) => assert.equal(e.code, 'network'));
  assert.deepEqual(retries, ['network', 'network']);
});

test('the resize POST is never retried', async () => {
  server.faults.push({ match: { method: 'POST' }, times: 1, kind: 'http', status: 503 });
  const before = server.received.length;
  await rejectsWith(client().resize(1, 9, 62), (e) => assert.equal(e.code, 'http-503'));
  assert.equal(server.received.slice(before).filter((r) => r.method === 'POST').length, 1);
});

test('a request that hangs times out with code "timeout"', async () => {
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'hang' });
  const api = client({ timeoutMs: 100, retry: { tries: 1 } });
  await rejectsWith(api.listNodes(), (e) => {
    assert.equal(e.code, 'timeout');
    assert.equal(e.retryable, true);
  });
});

test('an aborted call stops at once and is not retried', async () => {
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'hang' });
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 30);
  await rejectsWith(client().listNodes(ctl.signal), (e) => assert.equal(e.code, 'aborted'));
});

test('a wrong token gives 020001 and the token appears in no error', async () => {
  const wrong = 'wrong-token-unit-8812';
  await rejectsWith(client({ token: new Secret(wrong) }).getCluster(), (e) => {
    assert.equal(e.code, '020001');
    assert.equal(e.httpStatus, 401);
    assert.ok(!JSON.stringify({ ...e, m: e.message, s: e.stack }).includes(wrong));
  });
});

test('server rules: RF multiple, equal size, locked', async () => {
  const api = client();
  await rejectsWith(api.resize(1, 4, 62), (e) => assert.equal(e.code, '041007'));
  const size = (await api.listNodes()).filter((n) => n.status === 'ACTIVE').length;
  await rejectsWith(api.resize(1, size, 62), (e) => assert.equal(e.code, '0420017'));
  await rejectsWith(api.resize(2, 3, 62), (e) => assert.equal(e.code, '041001'));
  server.setLocked(true);
  try {
    await rejectsWith(api.resize(1, size === 3 ? 6 : 3, 62), (e) => assert.equal(e.code, '041707'));
    assert.equal((await api.getCluster()).isLocked, true);
  } finally {
    server.setLocked(false);
  }
  const foreign = server.startForeignRequest('IN_PROGRESS');
  await rejectsWith(api.resize(1, size === 3 ? 6 : 3, 62), (e) => assert.equal(e.code, '041303'));
  server.setRequestStatus(foreign, 'CANCELLED');
});

test('answers about another request or cluster are not believed; requests of another cluster are not listed', async () => {
  const api = client();
  const foreign = server.startForeignRequest('IN_PROGRESS');
  try {
    server.faults.push({ match: { pathRegex: /\/cluster\/request\// }, times: 1, kind: 'rewrite', edit: (d) => ({ ...(d as object), id: 1 }) });
    await rejectsWith(api.getRequest(foreign), (e) => {
      assert.equal(e.code, 'mismatch');
      assert.match(e.message, new RegExp(`GET request ${foreign} answered about request 1; the answer is not believed`));
    });
    server.faults.push({ match: { pathRegex: /\/cluster\/request\// }, times: 1, kind: 'rewrite', edit: (d) => ({ ...(d as object), accountID: 6 }) });
    await rejectsWith(api.getRequest(foreign), (e) => assert.match(e.message, /answered about account 6/));
    server.faults.push({ match: { pathRegex: /\/cluster\/9\/request/ }, times: 1, kind: 'rewrite', edit: (d) => (d as object[]).map((r) => ({ ...r, clusterID: 10 })) });
    assert.deepEqual(await api.listRequests(), []);
    assert.ok((await api.listRequests()).some((r) => r.id === foreign));
  } finally {
    server.setRequestStatus(foreign, 'CANCELLED');
  }
});

test('statuses of clusters, DCs and nodes are upper-cased; a request status is kept as sent; text is sanitized', async () => {
  const lower = (d: unknown): unknown => JSON.parse(JSON.stringify(d).replace(/"(ACTIVE|NORMAL)"/g, (m) => m.toLowerCase()));
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'rewrite', edit: lower });
  assert.deepEqual([...new Set((await client().listNodes()).map((n) => `${n.status}/${n.state}`))], ['ACTIVE/NORMAL']);
  const foreign = server.startForeignRequest('IN_PROGRESS');
  server.setRequestStatus(foreign, 'in_progress');
  server.faults.push({ match: { pathRegex: /\/cluster\/request\// }, times: 1, kind: 'rewrite', edit: (d) => ({ ...(d as object), progressDescription: '\x1b[2Jhalf\r\nway' }) });
  const r = await client().getRequest(foreign);
  assert.equal(r.status, 'in_progress');
  assert.equal(r.progressDescription, 'half way');
  server.setRequestStatus(foreign, 'CANCELLED');
});

test('a body past the cap fails with too-large and is not retried; Retry-After stretches a GET retry', async () => {
  const retries: number[] = [];
  const api = client({ onRetry: (_e, _n, delay) => retries.push(delay) });
  const capped = client({ maxBodyBytes: 4000, onRetry: (_e, _n, delay) => retries.push(delay) });
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'raw', status: 200, body: JSON.stringify({ error: '', data: { nodes: [], pad: 'x'.repeat(5000) } }) });
  await rejectsWith(capped.listNodes(), (e) => {
    assert.equal(e.code, 'too-large');
    assert.equal(e.retryable, false);
  });
  assert.deepEqual(retries, []);
  server.faults.push({ match: { pathRegex: /\/nodes/ }, times: 1, kind: 'http', status: 429, headers: { 'retry-after': '1' } });
  assert.equal((await api.listNodes()).length > 0, true);
  assert.deepEqual(retries, [1000]);
});
