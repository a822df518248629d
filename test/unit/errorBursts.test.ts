import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorBursts } from '../../src/metrics/errorBursts.js';
import { zeroErrors } from '../../src/metrics/span.js';
import type { IntervalReport } from '../../src/metrics/types.js';

function interval(startMs: number, writeTimeouts: number, readNoHost: number): IntervalReport {
  const w = zeroErrors();
  w.timeout = writeTimeouts;
  const r = zeroErrors();
  r['no-host'] = readNoHost;
  return { startMs, writes: { retriedErrors: w }, reads: { errors: r } } as unknown as IntervalReport;
}

describe('ErrorBursts', () => {
  test('one start and one end event per run of intervals with errors, the end carrying the totals', () => {
    const events: { type: string; at: number; [k: string]: unknown }[] = [];
    const b = new ErrorBursts((e) => events.push(e));
    b.observe(interval(0, 0, 0));
    b.observe(interval(5, 2, 0));
    b.observe(interval(10, 1, 3));
    b.observe(interval(15, 0, 0));
    b.observe(interval(20, 0, 0));
    b.observe(interval(25, 0, 1));
    assert.deepEqual(events.map((e) => [e.type, e.at]), [['error-burst-start', 5], ['error-burst-end', 15], ['error-burst-start', 25]]);
    const end = events[1]!;
    assert.equal(end.sinceMs, 5);
    assert.equal((end.errors as Record<string, number>).timeout, 3);
    assert.equal((end.errors as Record<string, number>)['no-host'], 3);
  });
});
