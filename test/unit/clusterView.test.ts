import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterView, DcView, NodeView, RequestView } from '../../src/scaler/cloudApi.js';
import {
  ERROR_ACTIONS,
  actionFor,
  checkBounds,
  currentSize,
  healthAt,
  isResizeRequest,
  nextTarget,
  pickDc,
  requestState,
  type Observation,
  type ResizableDc,
} from '../../src/scaler/clusterView.js';

const dc = (over: Partial<ResizableDc> = {}): ResizableDc => ({ id: 1, name: 'AWS_US_EAST_1', status: 'ACTIVE', instanceId: 62, replicationFactor: 3, ...over });
const dcNoId = (): DcView => ({ ...dc(), id: null });

const cluster = (over: Partial<ClusterView> = {}): ClusterView => ({
  id: 9,
  name: 'c',
  status: 'ACTIVE',
  isLocked: null,
  replicationFactor: 3,
  instanceId: 62,
  progress: null,
  dc: dc(),
  dataCenters: [dc()],
  ...over,
});

const node = (id: number, status = 'ACTIVE', state = 'NORMAL', dcId: number | null = 1): NodeView => ({ id: String(id), dcId, status, state, privateIP: `10.0.0.${id}` });

const req = (status: string, requestType = 'RESIZE_CLUSTER_V2'): RequestView => ({ id: '1', requestType, status, progressPercent: null, progressDescription: '' });

const obs = (over: Partial<Observation> = {}): Observation => ({
  cluster: cluster(),
  dc: dc(),
  nodes: [node(1), node(2), node(3)],
  activeRequests: [],
  ...over,
});

test('current size counts ACTIVE nodes of the DC only', () => {
  const nodes = [node(1), node(2), node(3), node(4, 'QUEUED', 'JOINING'), node(5, 'PENDING_DELETE', 'DECOMMISSIONED'), node(6, 'ACTIVE', 'JOINING'), node(7, 'ACTIVE', 'NORMAL', 2)];
  assert.equal(currentSize(nodes, 1), 4);
  assert.equal(currentSize(nodes, 2), 1);
});

test('healthy at N: all conditions of the contract', () => {
  assert.deepEqual(healthAt(3, obs()), { healthy: true });
  assert.equal(healthAt(3, obs({ cluster: cluster({ isLocked: false }) })).healthy, true);
  const reasons: [Observation, string][] = [
    [obs({ cluster: cluster({ status: 'BOOTSTRAPPING' }) }), 'cluster not ACTIVE'],
    [obs({ cluster: cluster({ isLocked: true }) }), 'cluster locked'],
    [obs({ dc: dc({ status: 'INACTIVE' }) }), 'data center not ACTIVE'],
    [obs({ activeRequests: [req('QUEUED')] }), 'another request is queued or in progress'],
    [obs({ nodes: [node(1), node(2)] }), 'nodes not all ACTIVE/NORMAL'],
    [obs({ nodes: [node(1), node(2), node(3, 'ACTIVE', 'JOINING')] }), 'nodes not all ACTIVE/NORMAL'],
    [obs({ nodes: [node(1), node(2), node(3), node(4)] }), 'nodes not all ACTIVE/NORMAL'],
  ];
  for (const [o, reason] of reasons) {
    const h = healthAt(3, o);
    assert.equal(h.healthy, false);
    assert.equal(!h.healthy && h.reason, reason);
  }
  // Nodes queued for deletion are listed but do not count against health at 3.
  assert.equal(healthAt(3, obs({ nodes: [node(1), node(2), node(3), node(4, 'PENDING_DELETE', 'DECOMMISSIONED')] })).healthy, true);
});

test('pickDc: the only DC, a chosen one, or a refusal for multi-DC', () => {
  assert.deepEqual(pickDc(cluster()), { ok: true, dc: dc() });
  assert.deepEqual(pickDc(cluster({ dataCenters: [] })), { ok: true, dc: dc() });
  const two = cluster({ dataCenters: [dc(), dc({ id: 2, name: 'AWS_EU_WEST_1' })] });
  const refused = pickDc(two);
  assert.equal(refused.ok, false);
  assert.match(!refused.ok ? refused.reason : '', /2 data centers .*unless a DC is chosen/);
  assert.deepEqual(pickDc(two, 2), { ok: true, dc: dc({ id: 2, name: 'AWS_EU_WEST_1' }) });
  assert.deepEqual(pickDc(two, 'AWS_EU_WEST_1'), { ok: true, dc: dc({ id: 2, name: 'AWS_EU_WEST_1' }) });
  const absent = pickDc(two, 7);
  assert.equal(!absent.ok && absent.problem, 'config');
  // An answer without a DC, or with a DC without an id, is an odd payload to ask again, never a dcId of -1.
  const none = pickDc(cluster({ dc: null, dataCenters: [] }));
  assert.equal(!none.ok && none.problem, 'odd-payload');
  const noId = pickDc(cluster({ dc: dcNoId(), dataCenters: [dcNoId()] }));
  assert.equal(!noId.ok && noId.problem, 'odd-payload');
  assert.match(!noId.ok ? noId.reason : '', /has no id/);
});

test('0 ACTIVE nodes is never healthy: all INACTIVE, all in another DC, or none listed', () => {
  for (const nodes of [[node(1, 'INACTIVE'), node(2, 'INACTIVE')], [node(1, 'ACTIVE', 'NORMAL', 2), node(2, 'ACTIVE', 'NORMAL', 2)], []]) {
    const size = currentSize(nodes, 1);
    assert.equal(size, 0);
    const h = healthAt(size, obs({ nodes }));
    assert.equal(h.healthy, false);
    assert.equal(!h.healthy && h.reason, 'no ACTIVE node in the data center');
  }
});

test('requestState: only COMPLETED/FAILED/CANCELLED end a request, any case; anything else runs', () => {
  assert.deepEqual(requestState(req('completed')), { state: 'completed', known: true });
  assert.deepEqual(requestState(req('FAILED')), { state: 'failed', known: true });
  assert.deepEqual(requestState(req('Cancelled')), { state: 'cancelled', known: true });
  assert.deepEqual(requestState(req('in_progress')), { state: 'running', known: true });
  assert.deepEqual(requestState(req('QUEUED')), { state: 'running', known: true });
  for (const odd of ['PENDING', '', 'DONE', 'SUCCESS']) assert.deepEqual(requestState(req(odd)), { state: 'running', known: false }, odd);
});

test('checkBounds against the replication factor', () => {
  assert.equal(checkBounds(3, 6, 3), null);
  assert.equal(checkBounds(3, 6, null), null);
  assert.match(checkBounds(3, 5, 3) ?? '', /multiples .* 3 \(5 is not\)/);
  assert.match(checkBounds(6, 3, 3) ?? '', /must be less than/);
  assert.match(checkBounds(2, 6, 3) ?? '', /below the cluster's replication factor 3/);
  assert.match(checkBounds(0, 6, 3) ?? '', /positive integers/);
});

test('nextTarget: opposite bound, or the nearer bound when in between (ties to MIN)', () => {
  assert.equal(nextTarget(3, 3, 9), 9);
  assert.equal(nextTarget(1, 3, 9), 9);
  assert.equal(nextTarget(9, 3, 9), 3);
  assert.equal(nextTarget(12, 3, 9), 3);
  assert.equal(nextTarget(7, 3, 9), 9);
  assert.equal(nextTarget(5, 3, 9), 3);
  assert.equal(nextTarget(6, 3, 9), 3);
});

test('isResizeRequest matches the RESIZE_CLUSTER family', () => {
  assert.equal(isResizeRequest(req('QUEUED', 'RESIZE_CLUSTER_V3')), true);
  assert.equal(isResizeRequest(req('QUEUED', 'CREATE_CLUSTER')), false);
});

test('error-code table: every code of the contract and transport errors', () => {
  const expected: Record<string, string> = {
    '041001': 'fatal', '041002': 'ambiguous', '041303': 'wait', '041190': 'retry', '041191': 'drop-filter', '041192': 'drop-filter',
    '041006': 'wait', '041003': 'wait', '0420006': 'wait', '041707': 'wait', '041708': 'wait', '041007': 'config', '0420020': 'config',
    '0420017': 'at-target', '041005': 'config', '041008': 'fatal', '041009': 'fatal', '0420018': 'fatal', '0420019': 'fatal',
    '000001': 'retry', '000002': 'fatal', '020001': 'fatal', '020005': 'fatal', '020006': 'fatal', '040001': 'fatal',
  };
  assert.deepEqual(Object.fromEntries(Object.entries(ERROR_ACTIONS).map(([k, v]) => [k, v.action])), expected);
  assert.equal(actionFor('timeout', null), 'ambiguous');
  assert.equal(actionFor('network', null), 'ambiguous');
  assert.equal(actionFor('malformed', 200), 'ambiguous');
  assert.equal(actionFor('http-502', 502), 'ambiguous');
  assert.equal(actionFor('http-401', 401), 'fatal');
  assert.equal(actionFor('http-403', 403), 'fatal');
  assert.equal(actionFor('099999', 400), 'abandon');
  assert.equal(actionFor('http-404', 404), 'abandon');
  // Errors that cannot clear, and the contract's "busy" statuses without a code.
  assert.equal(actionFor('http-301', 301), 'fatal');
  assert.equal(actionFor('tls', null), 'fatal');
  assert.equal(actionFor('bad-request-setup', null), 'fatal');
  assert.equal(actionFor('http-429', 429, true), 'wait');
  assert.equal(actionFor('http-423', 423, true), 'wait');
  assert.equal(actionFor('http-404', 404, true), 'fatal');
  assert.equal(actionFor('099999', 400, true), 'abandon');
  assert.equal(actionFor('mismatch', null, true), 'ambiguous');
  assert.equal(actionFor('too-large', 200, true), 'ambiguous');
});
