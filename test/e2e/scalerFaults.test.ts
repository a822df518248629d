import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../src/config/secret.js';
import { phaseKey, phaseLabel } from '../../src/phase.js';
import { CloudApi } from '../../src/scaler/cloudApi.js';
import type { ScalerEvent } from '../../src/scaler/scaler.js';
import { ACCOUNT, CLUSTER, TOKEN, finish, rig, shape, until, type Rig } from '../helpers/scalerRig.js';

// The scaler against a local Cloud API that misbehaves in ways the contract does not list. Each test says what was
// POSTed (count and body), what the user saw (log lines, events, phases) and how the scaler ended.

const REQUEST_GET = /\/cluster\/request\/\d+/;
const CLUSTER_GET = /\/cluster\/42\?/;
const NODES_GET = /\/cluster\/42\/nodes/;
const FOREVER = 1_000_000;

const ofType = (r: Rig, type: ScalerEvent['type']): ScalerEvent[] => r.events.filter((e) => e.type === type);
const resizeBodies = (r: Rig): string[] =>
  r.postBodies().map((b) => {
    const dn = (b as { dcNodes: { dcId: number; wantedSize: number; instanceTypeId: number }[] }).dcNodes;
    return dn.map((d) => `dcId=${d.dcId} wantedSize=${d.wantedSize} instanceTypeId=${d.instanceTypeId}`).join(';');
  });
const NORMAL_CYCLE = ['dcId=1 wantedSize=6 instanceTypeId=62', 'dcId=1 wantedSize=3 instanceTypeId=62'];

/** Puts a value into every object of a JSON payload that has key `key` (case-insensitive), for rewrite faults. */
function setEverywhere(data: unknown, key: string, value: (old: unknown) => unknown): unknown {
  if (Array.isArray(data)) return data.map((d) => setEverywhere(d, key, value));
  if (typeof data !== 'object' || data === null) return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k] = k.toLowerCase() === key.toLowerCase() ? value(v) : setEverywhere(v, key, value);
  return out;
}

test('a foreign request in an unknown or lower-case status blocks the resize and is reported once', { timeout: 15_000 }, async () => {
  let pending = '';
  let lower = '';
  const r = await rig({
    before: (s) => {
      pending = s.startForeignRequest('IN_PROGRESS');
      s.setRequestStatus(pending, 'PENDING');
      lower = s.startForeignRequest('IN_PROGRESS');
      s.setRequestStatus(lower, 'in_progress');
    },
  });
  await until(() => r.phases.some((p) => p.kind === 'waiting' && /another request/.test(p.reason)));
  await new Promise((res) => setTimeout(res, 400));
  assert.equal(r.posts(), 0, 'no resize while a request of unknown status runs');
  const unknown = ofType(r, 'api-unexpected').filter((e) => e.code === 'unknown-status');
  // `in_progress` is a known status in another case: not reported; `PENDING` is reported exactly once over many polls.
  assert.deepEqual(unknown.map((e) => e.requestId), [pending]);
  assert.equal(r.lines.filter((l) => l.includes(`request ${pending}`) && l.includes('"PENDING"')).length, 1);
  r.server.setRequestStatus(pending, 'completed');
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(r.posts(), 0, 'the lower-case in_progress request still blocks');
  r.server.setRequestStatus(lower, 'CANCELLED');
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
});

test('our own request answering an unknown status is followed as running, reported once, then completes', { timeout: 15_000 }, async () => {
  const r = await rig({
    before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: REQUEST_GET }, times: 6, kind: 'rewrite', edit: (d) => ({ ...(d as object), status: 'PENDING' }) }),
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.resizesCompleted, 2);
  assert.equal(out.resizesFailed, 0);
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  assert.equal(ofType(r, 'api-unexpected').filter((e) => e.code === 'unknown-status').length, 1);
  assert.equal(r.lines.filter((l) => /has status "PENDING", which the contract does not list; read as still running/.test(l)).length, 1);
  assert.deepEqual(r.phases.map(shape), ['steady@3#0', 'resize 3→6#1', 'steady@6#1', 'resize 6→3#1', 'steady@3#1']);
});

for (const [name, edit] of [
  ['every node in another DC', (d: unknown) => setEverywhere(d, 'dcID', () => 2)],
  ['every node INACTIVE', (d: unknown) => setEverywhere(d, 'status', () => 'INACTIVE')],
  ['no node listed', () => ({ nodes: [] })],
] as const) {
  test(`0 ACTIVE nodes is never healthy (${name}): no resize until nodes are back`, { timeout: 15_000 }, async () => {
    const r = await rig({ before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: NODES_GET }, times: FOREVER, kind: 'rewrite', edit }) });
    await until(() => r.phases.some((p) => p.kind === 'waiting' && p.reason === 'no ACTIVE node in the data center'));
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.posts(), 0);
    assert.ok(r.lines.some((l) => /Waiting: no ACTIVE node in the data center \(0 ACTIVE of \d+ listed in DC 1/.test(l)), r.lines.join('\n'));
    assert.ok(!r.phases.some((p) => p.kind === 'steady'));
    r.server.faults.length = 0;
    const out = await finish(r);
    assert.equal(out.stopped, 'cycles-done');
    assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  });
}

test('lower-case node and cluster statuses are read case-insensitively', { timeout: 15_000 }, async () => {
  const lower = (d: unknown): unknown => setEverywhere(setEverywhere(d, 'status', (v) => String(v).toLowerCase()), 'state', (v) => String(v).toLowerCase());
  const r = await rig({
    before: (s) => {
      s.faults.push({ match: { method: 'GET', pathRegex: NODES_GET }, times: FOREVER, kind: 'rewrite', edit: lower });
      s.faults.push({ match: { method: 'GET', pathRegex: CLUSTER_GET }, times: FOREVER, kind: 'rewrite', edit: lower });
    },
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  assert.ok(r.lines.some((l) => /Cluster map \(DC 1 AWS_US_EAST_1\): 3 ACTIVE of 3 listed/.test(l)), r.lines.join('\n'));
  assert.equal(ofType(r, 'api-unexpected').length, 0);
});

test('a DC without an id stops that decision, never POSTs dcId=-1, and is asked again', { timeout: 15_000 }, async () => {
  const noId = (d: unknown): unknown => {
    const c = (d as { cluster: Record<string, unknown> }).cluster;
    const strip = (dc: unknown): unknown => Object.fromEntries(Object.entries(dc as object).filter(([k]) => k !== 'id'));
    return { cluster: { ...c, dc: strip(c.dc), dataCenters: (c.dataCenters as unknown[]).map(strip) } };
  };
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: CLUSTER_GET }, times: 4, kind: 'rewrite', edit: noId }) });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['odd-payload'], 4);
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  assert.equal(ofType(r, 'api-unexpected').filter((e) => /has no id/.test(e.message ?? '')).length, 4);
  assert.ok(r.lines.some((l) => /Cloud API answer not usable: data center AWS_US_EAST_1 has no id/.test(l)));
});

test('a cluster payload with dataCenters empty once is retried, not fatal', { timeout: 15_000 }, async () => {
  const empty = (d: unknown): unknown => ({ cluster: { ...(d as { cluster: object }).cluster, dc: null, dataCenters: [] } });
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: CLUSTER_GET }, times: 1, kind: 'rewrite', edit: empty }) });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['odd-payload'], 1);
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  assert.ok(r.lines.some((l) => /the cluster reports no data center; will look again/.test(l)));
});

test('an answer about another request or another cluster is not believed', { timeout: 15_000 }, async () => {
  const r = await rig({
    before: (s) => {
      // The request GET names another request, then another cluster; the cluster GET names another cluster.
      s.faults.push({ match: { method: 'GET', pathRegex: REQUEST_GET }, times: 2, kind: 'rewrite', edit: (d) => ({ ...(d as object), id: 999_999, status: 'COMPLETED' }) });
      s.faults.push({ match: { method: 'GET', pathRegex: REQUEST_GET }, times: 2, kind: 'rewrite', edit: (d) => ({ ...(d as object), clusterID: 43, status: 'COMPLETED' }) });
      s.faults.push({ match: { method: 'GET', pathRegex: CLUSTER_GET }, times: 1, kind: 'rewrite', edit: (d) => setEverywhere(d, 'id', () => 43) });
    },
    joinMs: 300,
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['mismatch'], 5);
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  const submitted = ofType(r, 'resize-submitted').map((e) => e.requestId);
  assert.deepEqual(ofType(r, 'resize-completed').map((e) => e.requestId), submitted, 'completions are of the requests really posted');
  assert.ok(r.lines.some((l) => /GET request \d+ answered about request 999999; the answer is not believed/.test(l)), r.lines.join('\n'));
  assert.ok(r.lines.some((l) => /answered about cluster 43; the answer is not believed/.test(l)));
});

test('a POST answered for another cluster is not believed: the request it created is adopted, not re-posted', { timeout: 15_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'POST' }, times: 1, kind: 'rewrite', edit: (d) => ({ ...(d as object), clusterID: 43 }) }) });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  assert.equal(ofType(r, 'resize-adopted').length, 1);
  assert.equal(out.apiErrors['mismatch'], 1);
  assert.ok(r.lines.some((l) => /POST resize answered cluster 43; the answer is not believed/.test(l)), r.lines.join('\n'));
});

/** Asserts a fatal stop: reason, a `fatal` event, the log line and a scaler-stopped phase saying why. */
function assertFatal(r: Rig, out: Awaited<Rig['outcome']>, reason: RegExp): void {
  assert.equal(out.stopped, 'fatal');
  assert.match(out.reason ?? '', reason);
  assert.match(ofType(r, 'fatal')[0]?.message ?? '', reason);
  assert.ok(r.lines.some((l) => l.includes('Scaler stopped:') && reason.test(l)), r.lines.join('\n'));
  const last = r.phases.at(-1);
  assert.equal(last?.kind, 'scaler-stopped');
  assert.match(last?.kind === 'scaler-stopped' ? last.reason : '', reason);
  // Load after the stop is grouped and labelled as such, never as the resize or steady state that was current.
  assert.equal(phaseKey(last!), 'scaler stopped');
  assert.match(phaseLabel(last!), /^cycle \d+ · scaler stopped: /);
}

test('a redirect stops the scaler with a reason instead of polling for ever', { timeout: 10_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'GET' }, times: FOREVER, kind: 'redirect', status: 301, location: 'https://elsewhere.invalid/' }) });
  const out = await finish(r);
  assertFatal(r, out, /http-301 \(the API answered with a redirect/);
  assert.equal(r.posts(), 0);
});

test('a 404 page on the resize POST stops the scaler (the next attempt would meet it again)', { timeout: 10_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'POST' }, times: FOREVER, kind: 'raw', status: 404, body: '<html>Not Found</html>', headers: { 'content-type': 'text/html' } }) });
  const out = await finish(r);
  assertFatal(r, out, /http-404 \(the resize POST was refused\).*Not Found/);
  assert.deepEqual(resizeBodies(r), [NORMAL_CYCLE[0]]);
  assert.equal(out.resizesFailed, 0);
  const stopped = r.phases.at(-1);
  assert.equal(stopped?.kind === 'scaler-stopped' && stopped.nodes, 3);
});

test('a self-signed certificate stops the scaler with a TLS reason', { timeout: 15_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'srt-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1', '-days', '1'], { stdio: 'ignore' });
    const tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
    const r = await rig({ tls });
    const out = await finish(r);
    assertFatal(r, out, /Cloud API error tls \(TLS failed.*SELF_SIGNED/);
    assert.equal(r.posts(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a token HTTP cannot carry stops the scaler at once, and is never printed', { timeout: 10_000 }, async () => {
  const bad = 'tok\u00e9n-with-\u2603-and-\nnewline';
  const r = await rig({ token: bad });
  const out = await finish(r);
  assertFatal(r, out, /bad-request-setup .*SCY_CLOUD_TOKEN/);
  assert.equal(r.server.received.length, 0, 'nothing reached the server');
  assert.ok(!JSON.stringify([out, r.events, r.lines, r.phases]).includes(bad));
});

test('an error that never clears stops the scaler after the error bound', { timeout: 10_000 }, async () => {
  const r = await rig({ errorBoundSecs: 0.5, before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: NODES_GET }, times: FOREVER, kind: 'http', status: 404 }) });
  const t0 = Date.now();
  const out = await finish(r);
  assert.ok(Date.now() - t0 < 5000);
  assertFatal(r, out, /no usable answer from the Cloud API for [\d.]+ s \(bound 0\.5 s\); last: http-404/);
  assert.ok((out.apiErrors['http-404'] ?? 0) >= 3);
  assert.equal(r.posts(), 0);
});

test('a request that stays in an unknown status past the bound stops the scaler, saying so', { timeout: 10_000 }, async () => {
  const r = await rig({ errorBoundSecs: 0.4, before: (s) => s.setRequestStatus(s.startForeignRequest('QUEUED'), 'PAUSED') });
  const out = await finish(r);
  assertFatal(r, out, /request \d+ has stayed in unknown status "PAUSED" for [\d.]+ s \(bound 0\.4 s\)/);
  assert.equal(r.posts(), 0);
});

test('Retry-After on a GET is honoured (the retry waits for it)', { timeout: 15_000 }, async () => {
  const r = await rig({
    maxCycles: 0,
    before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: NODES_GET }, times: 1, kind: 'http', status: 503, headers: { 'retry-after': '1' } }),
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  const nodeGets = r.server.received.filter((c) => NODES_GET.test(c.path));
  assert.ok(nodeGets[1]!.at - nodeGets[0]!.at >= 950, `retry came ${nodeGets[1]!.at - nodeGets[0]!.at} ms later`);
  assert.equal(out.apiErrors['http-503'], 1);
  assert.ok(ofType(r, 'api-error').some((e) => e.code === 'http-503' && /\(retrying\)$/.test(e.message ?? '')));
  assert.equal(r.posts(), 0);
});

for (const status of [429, 423] as const) {
  test(`HTTP ${status} on the POST is a refusal to wait out (Retry-After honoured), not a failed resize`, { timeout: 15_000 }, async () => {
    const r = await rig({ before: (s) => s.faults.push({ match: { method: 'POST' }, times: 1, kind: 'http', status, headers: { 'retry-after': '1' } }) });
    const out = await finish(r);
    assert.equal(out.stopped, 'cycles-done');
    assert.equal(out.resizesFailed, 0);
    assert.equal(ofType(r, 'resize-failed').length, 0);
    assert.deepEqual(resizeBodies(r), [NORMAL_CYCLE[0], ...NORMAL_CYCLE]);
    const posts = r.server.received.filter((c) => c.method === 'POST');
    assert.ok(posts[1]!.at - posts[0]!.at >= 950, 'the second POST waited for Retry-After');
    assert.ok(r.lines.some((l) => new RegExp(`Resize refused \\(.*HTTP ${status}.*waiting and re-checking \\(the service asks to wait 1 s\\)`).test(l)), r.lines.join('\n'));
  });
}

test('the same unknown refusal attempt after attempt stops the scaler', { timeout: 15_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'POST' }, times: FOREVER, kind: 'envelope-error', code: '099999', message: 'mystery' }) });
  const out = await finish(r);
  assertFatal(r, out, /3 resize attempts in a row were refused \(last: .*099999 mystery\)/);
  assert.equal(out.resizesFailed, 3);
  assert.equal(ofType(r, 'resize-failed').filter((e) => e.code === '099999').length, 3);
  assert.deepEqual(resizeBodies(r), [NORMAL_CYCLE[0], NORMAL_CYCLE[0], NORMAL_CYCLE[0]]);
});

test('Ctrl+C during the POST: the request it created is reported with its id', { timeout: 15_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'POST' }, times: 1, kind: 'delay', ms: 600 }) });
  await until(() => r.posts() === 1);
  // Well inside the 600 ms the answer is held back, and after the server has created the request.
  await new Promise((res) => setTimeout(res, 100));
  r.stop.abort();
  const out = await r.outcome;
  const api = new CloudApi({ baseUrl: r.server.url, token: new Secret(TOKEN), accountId: ACCOUNT, clusterId: CLUSTER });
  const created = (await api.listRequests()).map((q) => q.id);
  await finish(r);
  assert.equal(out.stopped, 'aborted');
  assert.equal(created.length, 1, 'the server did create the request');
  assert.equal(out.leftRunning, created[0]);
  const left = ofType(r, 'resize-left-running');
  assert.equal(left.length, 1);
  assert.equal(left[0]?.requestId, created[0]);
  assert.ok(r.lines.some((l) => l.includes(`interrupted during the resize POST while resize request ${created[0]} is still running on the service`)), r.lines.join('\n'));
  assert.deepEqual(resizeBodies(r), [NORMAL_CYCLE[0]]);
});

test('stopping while a resize runs says it is left running', { timeout: 15_000 }, async () => {
  const r = await rig({ joinMs: 2000 });
  await until(() => ofType(r, 'resize-submitted').length === 1);
  r.stop.abort();
  const out = await finish(r);
  const id = ofType(r, 'resize-submitted')[0]!.requestId;
  assert.equal(out.stopped, 'aborted');
  assert.equal(out.leftRunning, id);
  assert.equal(ofType(r, 'resize-left-running')[0]?.requestId, id);
  assert.ok(r.lines.some((l) => l.includes(`the run is stopping while resize request ${id} is still running on the service`)), r.lines.join('\n'));
  assert.equal(r.posts(), 1);
});

test('a body past the size cap is not read: counted as too-large, polling goes on', { timeout: 15_000 }, async () => {
  const huge = JSON.stringify({ error: '', data: { nodes: [], pad: 'x'.repeat(3 * 1024 * 1024) } });
  const r = await rig({ maxCycles: 0, before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: NODES_GET }, times: 1, kind: 'raw', status: 200, body: huge }) });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['too-large'], 1);
  assert.ok(r.lines.some((l) => /too-large: GET .*\/nodes: response body larger than 2097152 bytes, not read/.test(l)), r.lines.join('\n'));
  assert.equal(r.posts(), 0);
});

test('a cluster that refuses every resize POST while every GET says ready stops after the error bound', { timeout: 15_000 }, async () => {
  const r = await rig({ errorBoundSecs: 0.6, stableSecs: 0.1, before: (s) => s.faults.push({ match: { method: 'POST' }, times: FOREVER, kind: 'envelope-error', code: '041707', message: 'locked' }) });
  const out = await finish(r);
  assertFatal(r, out, /the service has refused every resize for [\d.]+ s \(bound 0\.6 s\); last: .*041707 locked/);
  assert.equal(out.resizesFailed, 0, 'refusals are not failed resizes');
  assert.ok(r.posts() >= 2);
  assert.ok(resizeBodies(r).every((b) => b === NORMAL_CYCLE[0]));
});

test('an answer without the instance type drops that decision (no POST) and is asked again', { timeout: 15_000 }, async () => {
  const noType = (d: unknown): unknown => setEverywhere(d, 'instanceId', () => null);
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: CLUSTER_GET }, times: FOREVER, kind: 'rewrite', edit: noType }) });
  await until(() => ofType(r, 'api-unexpected').some((e) => /no instance type for DC 1/.test(e.message ?? '')));
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(r.posts(), 0);
  r.server.faults.length = 0;
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.ok((out.apiErrors['odd-payload'] ?? 0) >= 1);
  assert.deepEqual(resizeBodies(r), NORMAL_CYCLE);
  assert.ok(r.lines.some((l) => /Cloud API answer not usable: the API reports no instance type for DC 1/.test(l)));
});
