import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoaderStrainLog, loaderStrain, loaderWarnings } from '../../src/metrics/loaderHealth.js';
import type { IntervalReport } from '../../src/metrics/types.js';
import { phaseKey } from '../../src/phase.js';
import { renderStatusLine } from '../../src/report/statusLine.js';
import { renderSummaryTable } from '../../src/report/summaryTable.js';
import { buildSampleRun } from '../fixtures/sampleRun.js';

const strain = (iv: IntervalReport, busiestThreadPercent: number, eventLoopDelayP99Ms: number): IntervalReport => ({
  ...iv,
  loader: { ...iv.loader, busiestThreadPercent, eventLoopDelayP99Ms },
});

test('loaderStrain names what is near its limit, and nothing when the loader has room', () => {
  const sample = { cpuPercent: 89, busiestThreadPercent: 89, eventLoopDelayP99Ms: 49, rssMb: 1, heapMb: 1 };
  assert.equal(loaderStrain(sample, 1), null);
  assert.equal(loaderStrain({ ...sample, busiestThreadPercent: 96 }, 8), 'a loader thread 96% busy');
  assert.equal(loaderStrain({ ...sample, busiestThreadPercent: 20, eventLoopDelayP99Ms: 80 }, 8), 'event-loop delay p99 80 ms');
  // Eight threads at 40% each are 320% of a core: busy cores, but no loop is the limit and the machine has room.
  assert.equal(loaderStrain({ ...sample, cpuPercent: 320, busiestThreadPercent: 45 }, 8), null);
  assert.equal(loaderStrain({ ...sample, cpuPercent: 740, busiestThreadPercent: 85 }, 8), 'cpu 740% of 8 cores');
});

test('the summary says in which phases the loader was strained, even when the run average is fine', () => {
  const { intervals, summary } = buildSampleRun();
  const logOf = (ivs: IntervalReport[]): LoaderStrainLog => {
    const log = new LoaderStrainLog();
    for (const iv of ivs) log.interval(iv);
    return log;
  };
  const calm = loaderWarnings(summary.overall, logOf(intervals));
  assert.ok(calm.every((w) => !/loader/.test(w)), 'the sample run never strains its loader');
  const resizeAt = intervals.findIndex((iv) => iv.phase.kind === 'resizing');
  const marked = intervals.map((iv, i) => (i === resizeAt ? strain(iv, 97, 12) : i === resizeAt + 1 ? strain(iv, 40, 75) : iv));
  const [w, ...rest] = loaderWarnings(summary.overall, logOf(marked)).filter((x) => !calm.includes(x));
  assert.equal(rest.length, 0, 'the run as a whole was not strained');
  assert.match(w!, new RegExp(`strained in 2 of ${intervals.length} report intervals`));
  assert.match(w!, /busiest thread up to 97% busy, event-loop delay p99 up to 75 ms/);
  assert.ok(w!.includes(`during ${phaseKey(intervals[resizeAt]!.phase)}:`), w);
});

test('a strained interval is flagged on the live status line; a calm one is not', () => {
  const { intervals } = buildSampleRun();
  const calm = renderStatusLine(intervals[0]!, 'stable 3/30s at 3', { color: false });
  assert.doesNotMatch(calm, /loader-bound/);
  const busy = renderStatusLine(strain(intervals[0]!, 98, 5), 'stable 3/30s at 3', { color: false });
  assert.match(busy, /loader cpu \d+% busiest thread 98% loop p99 [\d.]+ms rss \d+MB \(loader-bound: figures may show the client, not the cluster\)/);
});

test('a run whose loader averaged near a full core is called out as a whole, and the summary shows loader figures', () => {
  const { intervals, summary } = buildSampleRun();
  const busy = { ...summary.overall, loader: { ...summary.overall.loader, busiestThreadPercent: 95 } };
  assert.ok(loaderWarnings(busy, new LoaderStrainLog()).some((w) => /the busiest loader thread was 95% busy on average/.test(w)));
  const text = renderSummaryTable(summary, { color: false });
  assert.match(text, /^loader +cpu \d+% of a core avg, busiest thread \d+%, worst loop p99 [\d.]+ms, peak rss \d+ MB \(heap \d+ MB\)$/m);
  assert.match(text, /── loader ──/);
});
