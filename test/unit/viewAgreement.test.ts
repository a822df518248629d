import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UNSEEN_GRACE_MS, ViewAgreement } from '../../src/metrics/viewAgreement.js';

describe('ViewAgreement', () => {
  const steady = (nodes: number) => ({ kind: 'steady' as const, cycle: 1, nodes });
  const resizing = { kind: 'resizing' as const, cycle: 1, from: 3, to: 6, requestId: '9' };

  test('one disagree/agree pair per episode while steady, with its duration', () => {
    const events: { type: string; at: number; [k: string]: unknown }[] = [];
    const v = new ViewAgreement((e) => events.push(e));
    v.check(1000, 3, steady(3));
    v.check(2000, 2, steady(3));
    v.check(3000, 2, steady(3));
    v.check(4500, 3, steady(3));
    assert.deepEqual(events.map((e) => e.type), ['views-disagree', 'views-agree']);
    assert.equal(events[0]!.driverUpHosts, 2);
    assert.equal(events[0]!.cloudNodes, 3);
    assert.equal(events[1]!.disagreedMs, 2500);
    assert.equal(v.totalMs, 2500);
    assert.match(v.warning()!, /1 time\(s\).*3 s/);
  });

  test('counts differ freely while resizing, and no warning when they always agreed', () => {
    const events: unknown[] = [];
    const v = new ViewAgreement((e) => events.push(e));
    v.check(1000, 4, resizing);
    v.check(2000, 6, steady(6));
    v.close(3000);
    assert.equal(events.length, 0);
    assert.equal(v.warning(), null);
  });

  test('close() ends an open disagreement at the end of the run', () => {
    const events: { type: string }[] = [];
    const v = new ViewAgreement((e) => events.push(e));
    v.check(1000, 5, steady(6));
    v.close(4000);
    assert.deepEqual(events.map((e) => e.type), ['views-disagree', 'views-agree']);
    assert.equal(v.totalMs, 3000);
  });

  test('an ACTIVE node of the Cloud API that the driver never sees is reported once after the grace period', () => {
    const events: { type: string; [k: string]: unknown }[] = [];
    const warned: string[] = [];
    const v = new ViewAgreement((e) => events.push(e), (line) => warned.push(line));
    // The map said "1 ACTIVE of 3 listed", and the counts agree (1 up host), but the ACTIVE node is not one the driver knows.
    v.onScalerEvent({ type: 'nodes-changed', activeAddresses: ['127.0.0.2'] });
    const seen = new Set(['127.0.0.1']);
    v.check(0, 1, steady(1), seen);
    v.check(UNSEEN_GRACE_MS - 1, 1, steady(1), seen);
    assert.equal(events.length, 0, 'a node may take a while to reach the driver');
    v.check(UNSEEN_GRACE_MS, 1, steady(1), seen);
    v.check(UNSEEN_GRACE_MS * 3, 1, steady(1), seen);
    assert.deepEqual(events.map((e) => [e.type, e.address]), [['views-unseen-node', '127.0.0.2']]);
    assert.match(warned[0] ?? '', /Cloud API lists ACTIVE node 127\.0\.0\.2, which the CQL driver has not seen in 30 s/);
    assert.match(v.warning() ?? '', /ACTIVE node\(s\) the CQL driver never saw: 127\.0\.0\.2/);
  });

  test('a new node the driver learns of within the grace period is not reported', () => {
    const events: unknown[] = [];
    const v = new ViewAgreement((e) => events.push(e));
    v.onScalerEvent({ type: 'nodes-changed', activeAddresses: ['127.0.0.1', '127.0.0.4'] });
    v.check(0, 1, resizing, new Set(['127.0.0.1']));
    v.check(UNSEEN_GRACE_MS / 2, 2, resizing, new Set(['127.0.0.1', '127.0.0.4']));
    v.check(UNSEEN_GRACE_MS * 2, 2, steady(2), new Set(['127.0.0.1', '127.0.0.4']));
    assert.equal(events.length, 0);
    assert.equal(v.warning(), null);
  });
});
