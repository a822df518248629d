import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ViewAgreement } from '../../src/metrics/viewAgreement.js';

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
});
