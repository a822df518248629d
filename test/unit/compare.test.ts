import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '../../src/metrics/types.js';
import { fmtRate } from '../../src/report/format.js';
import { CompareInputError, compareRuns, readRunSummary, renderComparison } from '../../src/report/compare.js';
import { buildSampleRun } from '../fixtures/sampleRun.js';

const base = (): RunSummary => buildSampleRun().summary;

function changed(edit: (s: RunSummary) => void): RunSummary {
  const s = structuredClone(base());
  edit(s);
  return s;
}

function phase(s: RunSummary, key: string): RunSummary['byPhaseKey'][number] {
  const p = s.byPhaseKey.find((x) => x.key === key);
  assert.ok(p, key);
  return p;
}

describe('compareRuns', () => {
  test('a run against itself: every kind of both, no change, no breach even at zero tolerance', () => {
    const c = compareRuns(base(), base(), { maxThroughputDropPct: 0, maxP99RisePct: 0, maxResizeTimeRisePct: 0 });
    assert.deepEqual(c.rows.map((r) => r.key), ['steady@1', 'resize 1→2', 'steady@2', 'resize 2→1']);
    assert.deepEqual(c.breaches, []);
    const resize = c.rows.find((r) => r.key === 'resize 1→2')!;
    assert.equal(resize.base!.resizeMs, 70_000, 'the completed resize of that kind');
    assert.equal(c.rows.find((r) => r.key === 'steady@1')!.base!.resizeMs, null);
  });

  test('throughput drop: 20 % lower rows/s passes a 25 % tolerance, fails a 15 % one, and a rise never fails', () => {
    const slower = changed((s) => (phase(s, 'steady@2').writes.rowsPerSec *= 0.8));
    assert.deepEqual(compareRuns(base(), slower, { maxThroughputDropPct: 25 }).breaches, []);
    const [b, ...more] = compareRuns(base(), slower, { maxThroughputDropPct: 15 }).breaches;
    assert.equal(more.length, 0);
    assert.equal(b!.key, 'steady@2');
    assert.equal(b!.measure, 'rows/s');
    assert.ok(Math.abs(b!.changePct + 20) < 1e-9, String(b!.changePct));
    assert.deepEqual(compareRuns(slower, base(), { maxThroughputDropPct: 0 }).breaches, [], '25 % faster is no drop');
  });

  test('p99 rise: write and read p99 each gated', () => {
    const writeSlower = changed((s) => (phase(s, 'resize 1→2').writes.batchLatency.p99 *= 1.3));
    assert.deepEqual(compareRuns(base(), writeSlower, { maxP99RisePct: 35 }).breaches, []);
    assert.deepEqual(compareRuns(base(), writeSlower, { maxP99RisePct: 25 }).breaches.map((b) => `${b.key} ${b.measure}`), ['resize 1→2 write p99']);
    const readSlower = changed((s) => (phase(s, 'steady@1').reads.responseLatency.p99 *= 2));
    assert.deepEqual(compareRuns(base(), readSlower, { maxP99RisePct: 99 }).breaches.map((b) => `${b.key} ${b.measure}`), ['steady@1 read p99']);
    assert.deepEqual(compareRuns(base(), readSlower, { maxP99RisePct: 101 }).breaches, []);
    assert.deepEqual(compareRuns(base(), readSlower, {}).breaches, [], 'no tolerance, no gate');
  });

  test('resize time rise: the mean of completed resizes of a kind', () => {
    const longer = changed((s) => {
      for (const r of s.resizes) if (r.from === 2) r.durationMs! *= 1.5;
    });
    assert.deepEqual(compareRuns(base(), longer, { maxResizeTimeRisePct: 60 }).breaches, []);
    const breaches = compareRuns(base(), longer, { maxResizeTimeRisePct: 40 }).breaches;
    assert.deepEqual(breaches.map((b) => `${b.key} ${b.measure} ${b.flag}`), ['resize 2→1 resize time --max-resize-time-rise']);
    const failedResize = changed((s) => (s.resizes[1]!.outcome = 'failed'));
    assert.deepEqual(compareRuns(base(), failedResize, { maxResizeTimeRisePct: 0 }).breaches, [], 'no completed resize of the kind: nothing to gate');
  });

  test('kinds in one run only are listed, not gated; no kind in common is an error', () => {
    const other = changed((s) => {
      s.byPhaseKey = s.byPhaseKey.filter((p) => p.key !== 'steady@2');
      s.byPhaseKey.push({ ...structuredClone(s.byPhaseKey[0]!), key: 'steady@3' });
    });
    const c = compareRuns(base(), other, { maxThroughputDropPct: 0 });
    assert.deepEqual(c.rows.filter((r) => !r.base || !r.next).map((r) => r.key), ['steady@2', 'steady@3']);
    const text = renderComparison(c, { base: 'base', next: 'new' }, false);
    assert.match(text, /steady@2\s+only in base run/);
    assert.match(text, /steady@3\s+only in new run/);
    assert.match(text, /every change is within the tolerances/);
    const disjoint = changed((s) => (s.byPhaseKey = s.byPhaseKey.map((p) => ({ ...p, key: `${p.key}x` }))));
    assert.throws(() => compareRuns(base(), disjoint, {}), (e: unknown) => e instanceof CompareInputError && /no phase kind in common/.test(e.message));
  });

  test('the rendered table names each breach with its flag and limit', () => {
    const slower = changed((s) => (phase(s, 'steady@1').writes.rowsPerSec *= 0.5));
    const text = renderComparison(compareRuns(base(), slower, { maxThroughputDropPct: 10 }), { base: 'base', next: 'new' }, false);
    const was = fmtRate(phase(base(), 'steady@1').writes.rowsPerSec);
    const now = fmtRate(phase(slower, 'steady@1').writes.rowsPerSec);
    assert.match(text, new RegExp(`steady@1\\s+rows/s\\s+${was}\\s+${now}\\s+−50\\.0%\\s+FAIL \\(limit 10%\\)`));
    assert.match(text, /compare: steady@1 rows\/s −50\.0% is beyond --max-throughput-drop 10$/m);
  });
});

describe('readRunSummary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'srt-compare-'));
  const bad = (name: string, content: string | null): string => {
    const d = join(dir, name);
    mkdirSync(d);
    if (content !== null) writeFileSync(join(d, 'summary.json'), content);
    return d;
  };

  test('reads a run folder', () => {
    const d = bad('ok', JSON.stringify(base()));
    assert.deepEqual(readRunSummary('BASE_RUN', d).byPhaseKey.map((p) => p.key), base().byPhaseKey.map((p) => p.key));
  });

  test('one-line errors naming the argument', () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing'), /^NEW_RUN .*missing: no such folder$/],
      [bad('empty', null), /^NEW_RUN .*empty: not a run folder \(no summary\.json\)$/],
      [bad('garbled', '{"tool":'), /^NEW_RUN .*summary\.json: not valid JSON$/],
      [bad('foreign', JSON.stringify({ tool: { name: 'other' }, byPhaseKey: [], resizes: [] })), /^NEW_RUN .*: not a scylla-resize-test summary$/],
    ];
    for (const [d, message] of cases) {
      assert.throws(() => readRunSummary('NEW_RUN', d), (e: unknown) => e instanceof CompareInputError && message.test(e.message) && !e.message.includes('\n'));
    }
  });
});
