import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN, finish, rig, shape, until } from '../helpers/scalerRig.js';

// The scaler against the local Cloud API over real HTTP, with the simulated provider and fast timings.

test('a full MIN→MAX→MIN cycle, phases in order', { timeout: 15_000 }, async () => {
  // Joins slower than two polls, so the map must show the QUEUED step.
  const r = await rig({ joinMs: 200 });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.cyclesCompleted, 1);
  assert.equal(out.resizesCompleted, 2);
  assert.equal(out.resizesFailed, 0);
  assert.deepEqual(r.phases.map(shape), ['steady@3#0', 'resize 3→6#1', 'steady@6#1', 'resize 6→3#1', 'steady@3#1']);
  const resizing = r.phases.filter((p) => p.kind === 'resizing');
  assert.ok(resizing.every((p) => p.kind === 'resizing' && p.requestId !== null));
  assert.equal(r.posts(), 2);
  assert.deepEqual(
    r.events.filter((e) => e.type.startsWith('resize-')).map((e) => `${e.type} ${e.from}→${e.to}`),
    ['resize-submitted 3→6', 'resize-completed 3→6', 'resize-submitted 6→3', 'resize-completed 6→3'],
  );
  assert.ok(r.lines.some((l) => /Resize complete & healthy \(3→6 in \d+\.\ds, to within 0\.1s\)/.test(l)), r.lines.join('\n'));
  // Polled every pollSecs (0.05 s) while the resize runs, which is under the 1 s ceiling: that is the resolution.
  assert.deepEqual(r.events.filter((e) => e.type === 'resize-completed').map((e) => e.resolutionMs), [50, 50]);
  assert.ok(r.lines.some((l) => /Stable 0\.2\/0\.2s at 6 nodes/.test(l)));
  assert.ok(r.lines.some((l) => /node 4 +10\.0\.0\.4 +QUEUED\/JOINING/.test(l)), 'cluster map shows a queued node');
  assert.ok(r.lines.some((l) => /Resize 3→6 .*\d+% Adding node/.test(l)), 'progress is shown');
  assert.ok(r.events.some((e) => e.type === 'nodes-changed'));
  // The live status line's scaler part follows the work, not just the phase.
  assert.ok(r.activities.some((a) => /^stable [\d.]+\/0\.2s at 3$/.test(a)), r.activities.join(' | '));
  assert.ok(r.activities.some((a) => /^request \d+ (QUEUED|IN_PROGRESS) \d+% /.test(a)), r.activities.join(' | '));
  assert.ok(r.activities.some((a) => /^stable [\d.]+\/0\.2s at 6$/.test(a)));
  assert.equal(r.activities[r.activities.length - 1], 'stopped: cycles-done');
});

test('a request that can no longer be read is settled from the cluster itself, not polled forever', { timeout: 15_000 }, async () => {
  // Every GET of a request answers 404 (purged or never readable); the resizes themselves go through.
  const r = await rig({
    before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: /\/cluster\/request\/\d+/ }, times: 1_000_000, kind: 'http', status: 404 }),
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.resizesCompleted, 2);
  assert.ok((out.apiErrors['http-404'] ?? 0) >= 2 * 5, 'each request was tried several times before the cluster was asked');
  const done = r.events.filter((e) => e.type === 'resize-completed');
  assert.equal(done.length, 2);
  assert.ok(done.every((e) => /cannot be read/.test(e.message ?? '')), 'the completion says how it was concluded');
  assert.ok(r.lines.some((l) => /request \d+ cannot be read .* healthy at 6 nodes with no active request/.test(l)), r.lines.join('\n'));
});

test('a request that can no longer be read while the cluster stays at the old size is a failed resize', { timeout: 15_000 }, async () => {
  // The resize never happens (the provider fails it) and its request cannot be read: the cluster, healthy at 3 with
  // nothing active, says the attempt is over; it is counted failed and tried again after stability.
  const r = await rig({
    maxCycles: 1,
    before: (s) => {
      s.failNextResize('simulated: vanished');
      s.faults.push({ match: { method: 'GET', pathRegex: /\/cluster\/request\/\d+/ }, times: 8, kind: 'http', status: 404 });
    },
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.resizesFailed, 1);
  const failed = r.events.find((e) => e.type === 'resize-failed');
  assert.match(failed?.message ?? '', /cannot be read.*healthy at 3 nodes/);
});

test('refuses to submit while another request is in progress', { timeout: 10_000 }, async () => {
  let foreign = '';
  const r = await rig({ before: (s) => (foreign = s.startForeignRequest('IN_PROGRESS')), maxCycles: 0 });
  await until(() => r.phases.some((p) => p.kind === 'waiting'));
  await new Promise((res) => setTimeout(res, 300));
  assert.equal(r.posts(), 0);
  const waiting = r.phases[0];
  assert.ok(waiting?.kind === 'waiting' && /another request/.test(waiting.reason));
  r.server.setRequestStatus(foreign, 'COMPLETED');
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.deepEqual(r.phases.map(shape), ['waiting', 'steady@3#0']);
});

test('waits while the cluster is locked, then resizes once free', { timeout: 10_000 }, async () => {
  const r = await rig({ before: (s) => s.setLocked(true) });
  await until(() => r.phases.some((p) => p.kind === 'waiting' && p.reason === 'cluster locked'));
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(r.posts(), 0);
  r.server.setLocked(false);
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(r.posts(), 2);
  assert.equal(shape(r.phases[1]!), 'steady@3#0');
});

test('a FAILED request is reported, then the flip is retried', { timeout: 10_000 }, async () => {
  const r = await rig({ before: (s) => s.failNextResize('simulated capacity error') });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.resizesFailed, 1);
  assert.equal(out.resizesCompleted, 2);
  const failed = r.events.find((e) => e.type === 'resize-failed');
  assert.match(failed?.message ?? '', /ended FAILED: simulated capacity error/);
  assert.equal(r.posts(), 3);
  assert.deepEqual(r.phases.map(shape).slice(0, 3), ['steady@3#0', 'resize 3→6#1', 'steady@3#0']);
});

test('429 and 503 on GETs are retried and counted', { timeout: 10_000 }, async () => {
  const r = await rig({
    before: (s) => {
      s.faults.push({ match: { method: 'GET', pathRegex: /\/nodes/ }, times: 2, kind: 'http', status: 429 });
      s.faults.push({ match: { method: 'GET', pathRegex: /\/request\/\d+/ }, times: 2, kind: 'http', status: 503 });
    },
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['http-429'], 2);
  assert.equal(out.apiErrors['http-503'], 2);
  assert.equal(r.posts(), 2);
});

test('a 200 whose envelope carries an error is an error', { timeout: 10_000 }, async () => {
  const r = await rig({
    before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: /\/cluster\/42\?/ }, times: 1, kind: 'envelope-error', code: '041190', message: 'error getting cluster' }),
  });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['041190'], 1);
});

test('a malformed body is counted and polling goes on', { timeout: 10_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'GET', pathRegex: /\/nodes/ }, times: 1, kind: 'malformed' }) });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['malformed'], 1);
  assert.ok(r.events.some((e) => e.type === 'api-error' && e.code === 'malformed'));
});

test('an auth error stops the scaler with a clear message and no token', { timeout: 10_000 }, async () => {
  const wrong = 'wrong-token-should-never-print-77';
  const r = await rig({ token: wrong });
  const out = await finish(r);
  assert.equal(out.stopped, 'fatal');
  assert.match(out.reason ?? '', /020001.*SCY_CLOUD_TOKEN/);
  assert.equal(r.posts(), 0);
  const everything = JSON.stringify([out, r.events, r.lines]);
  assert.ok(!everything.includes(wrong) && !everything.includes(TOKEN));
  assert.ok(r.lines.some((l) => /Scaler stopped: .*020001/.test(l)));
});

test('a POST that times out but created its request is adopted, not re-posted', { timeout: 15_000 }, async () => {
  const r = await rig({
    joinMs: 600,
    timeoutMs: 300,
    before: (s) => s.faults.push({ match: { method: 'POST' }, times: 1, kind: 'delay', ms: 1000 }),
  });
  await until(() => r.events.some((e) => e.type === 'resize-completed'), 10_000);
  r.stop.abort();
  const out = await finish(r);
  assert.equal(out.stopped, 'aborted');
  assert.equal(r.posts(), 1);
  assert.equal(out.apiErrors['timeout'], 1);
  const adopted = r.events.find((e) => e.type === 'resize-adopted');
  assert.ok(adopted?.requestId);
  assert.equal(r.events.find((e) => e.type === 'resize-completed')?.requestId, adopted.requestId);
  assert.ok(!r.events.some((e) => e.type === 'resize-submitted'));
});

test('dry-run logs the resize it would POST and posts nothing', { timeout: 10_000 }, async () => {
  const r = await rig({ dryRun: true });
  const out = await finish(r);
  assert.equal(out.stopped, 'dry-run');
  assert.equal(r.posts(), 0);
  assert.ok(r.lines.some((l) => l.includes('dry-run: would POST resize dcId=1 wantedSize=6 instanceTypeId=62')));
  assert.equal(r.phases.at(-1)?.kind, 'steady');
});

test('bounds that are not multiples of the RF stop the scaler before any POST', { timeout: 10_000 }, async () => {
  const r = await rig({ minNodes: 3, maxNodes: 5 });
  const out = await finish(r);
  assert.equal(out.stopped, 'fatal');
  assert.match(out.reason ?? '', /configuration error: .*multiples of the cluster's replication factor 3/);
  assert.equal(r.posts(), 0);
});

test('abort while steady resolves promptly and submits nothing', { timeout: 10_000 }, async () => {
  const r = await rig({ stableSecs: 30 });
  await until(() => r.phases.some((p) => p.kind === 'steady'));
  const t0 = Date.now();
  r.stop.abort();
  const out = await finish(r);
  assert.equal(out.stopped, 'aborted');
  assert.ok(Date.now() - t0 < 3_000, 'resolved well before the 30 s stability window');
  assert.equal(r.posts(), 0);
});

test('health breaking during the window restarts the stability timer', { timeout: 10_000 }, async () => {
  const r = await rig({ stableSecs: 0.6, maxCycles: 0 });
  await until(() => r.lines.some((l) => l.includes('Stable ')));
  r.server.setLocked(true);
  await until(() => r.events.some((e) => e.type === 'stability-lost') && r.phases.some((p) => p.kind === 'waiting'));
  r.server.setLocked(false);
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.deepEqual(r.phases.map(shape), ['steady@3#0', 'waiting', 'steady@3#0']);
  assert.ok(r.lines.some((l) => l.includes('Stability lost; restarting timer.')));
  assert.equal(r.posts(), 0);
});

test('a 503 on a POST that created nothing: no request to adopt, posted again only after stability', { timeout: 10_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'POST' }, times: 1, kind: 'http', status: 503 }) });
  const out = await finish(r);
  assert.equal(out.stopped, 'cycles-done');
  assert.equal(out.apiErrors['http-503'], 1);
  assert.equal(r.posts(), 3);
  assert.ok(!r.events.some((e) => e.type === 'resize-adopted'));
  assert.deepEqual(r.phases.map(shape).slice(0, 2), ['steady@3#0', 'resize 3→6#1']);
});

test('a fatal code on the POST (041008) ends the scaler with its meaning', { timeout: 10_000 }, async () => {
  const r = await rig({ before: (s) => s.faults.push({ match: { method: 'POST' }, times: 1, kind: 'envelope-error', code: '041008', message: 'X Cloud cluster' }) });
  const out = await finish(r);
  assert.equal(out.stopped, 'fatal');
  assert.match(out.reason ?? '', /041008 \(this cluster type cannot be resized through the API \(X Cloud\)\)/);
  assert.equal(r.events.at(-1)?.type, 'fatal');
  assert.equal(r.posts(), 1);
});
