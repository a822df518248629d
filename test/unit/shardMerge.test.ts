import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../src/metrics/histograms.js';
import { compareRuns, readRunSummary } from '../../src/report/compare.js';
import { writeRunReports } from '../../src/report/writeReports.js';
import { EXIT } from '../../src/verdict/exitCodes.js';
import { mergeShardRecords, type MergedSummary } from '../../src/shard/merge.js';
import { runMerge } from '../../src/shard/mergeCommand.js';
import { ShardFolderError, readShardRecord, writeShardRecord } from '../../src/shard/record.js';
import { GROW, STEADY1, STEADY2, samples, shardFolders, shardRecord, type ShardPlan } from '../helpers/shardRecords.js';

const TOOL = { name: 'scylla-resize-test', version: 'test' };
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/** Three shards of one run through steady@1, resize 1→2, steady@2; the followers start a little later. */
function threeShards(): ShardPlan[] {
  return [0, 1, 2].map((index) => ({
    index,
    count: 3,
    startMs: 1_700_000_000_000 + index * 137,
    phases: [samples(10 * index + 1, 400 + 50 * index, STEADY1, 3000), samples(10 * index + 2, 300, GROW, 2000 + index * 500), samples(10 * index + 3, 200, STEADY2, 3000)],
  }));
}

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

async function merged(plans: ShardPlan[]): Promise<MergedSummary> {
  const dirs = await shardFolders(plans);
  return mergeShardRecords(dirs.map((dir) => ({ dir, record: readShardRecord(dir) })), TOOL).summary;
}

describe('merge of shard run folders', () => {
  test('percentiles of every phase and of the run equal those of all shards\' samples taken together', async () => {
    const plans = threeShards();
    const summary = await merged(plans);
    assert.deepEqual(summary.phases.map((p) => p.key), ['waiting', 'steady@1', 'resize 1→2', 'steady@2']);
    for (const [i, phase] of [STEADY1, GROW, STEADY2].entries()) {
      const plansOfPhase = plans.map((p) => p.phases[i]!);
      const writes = histogramOf(plansOfPhase.flatMap((p) => p.writes.map(([, us]) => us)));
      const reads = histogramOf(plansOfPhase.flatMap((p) => p.reads));
      const got = summary.phases.find((p) => JSON.stringify(p.phase) === JSON.stringify(phase))!;
      assert.deepEqual(got.writes.batchLatency, writes.stats());
      assert.deepEqual(got.reads.responseLatency, reads.stats());
    }
    const all = histogramOf(plans.flatMap((p) => p.phases.flatMap((ph) => ph.writes.map(([, us]) => us))));
    assert.deepEqual(summary.overall.writes.batchLatency, all.stats());
    // and not what one shard alone says
    const one = shardRecord(plans[0]!).summary.overall.writes.batchLatency;
    assert.notDeepEqual(summary.overall.writes.batchLatency, one);
  });

  test('rows and rows/s are the sums of the shards\', overall and per phase', async () => {
    const plans = threeShards();
    const records = plans.map(shardRecord);
    const summary = await merged(plans);
    const rows = plans.reduce((a, p) => a + p.phases.reduce((b, ph) => b + ph.writes.reduce((c, [r]) => c + r, 0), 0), 0);
    assert.equal(summary.overall.writes.rows, rows);
    const rps = records.reduce((a, r) => a + r.summary.overall.writes.rowsPerSec, 0);
    assert.ok(close(summary.overall.writes.rowsPerSec, rps), `${summary.overall.writes.rowsPerSec} vs ${rps}`);
    for (const p of summary.phases) {
      const sum = records.reduce((a, r) => a + (r.summary.phases.find((q) => q.key === p.key)?.writes.rowsPerSec ?? 0), 0);
      assert.ok(close(p.writes.rowsPerSec, sum), p.key);
    }
    const reads = records.reduce((a, r) => a + r.summary.overall.reads.readsPerSec, 0);
    assert.ok(close(summary.overall.reads.readsPerSec, reads));
    assert.deepEqual(summary.shards.map((s) => s.shard), [0, 1, 2]);
    assert.deepEqual(summary.resizes.map((r) => `${r.from}→${r.to}`), ['1→2'], 'the scaler shard’s resizes');
    assert.equal(summary.exitCode, EXIT.ok);
    assert.equal(summary.warnings.length, 0, summary.warnings.join('\n'));
  });

  test('lost rows and verification of every shard count; a loss on one shard fails the merged run', async () => {
    const plans = threeShards();
    plans[2]!.lost = 3;
    const summary = await merged(plans);
    assert.equal(summary.verification?.checked, 30);
    assert.equal(summary.verification?.missing, 3);
    assert.equal(summary.losses.length, 3);
    assert.equal(summary.shards[2]!.lostRows, 3);
    assert.equal(summary.exitCode, EXIT.dataLoss);
  });

  test('a phase only some shards saw keeps their samples and is named in a warning', async () => {
    const plans = threeShards();
    const blip = samples(99, 5, { kind: 'waiting', cycle: 1, nodes: 2, reason: 'nodes not all ACTIVE/NORMAL' }, 500);
    plans[1]!.phases.splice(2, 0, blip);
    const summary = await merged(plans);
    const w = summary.phases.filter((p) => p.key === 'waiting' && p.phase.kind === 'waiting' && p.phase.cycle === 1);
    assert.equal(w.length, 1);
    assert.equal(w[0]!.writes.batches, 5);
    assert.equal(summary.phases.filter((p) => p.key === 'steady@2').length, 1, 'the steady phase after it still lines up');
    assert.ok(summary.warnings.some((x) => /seen only by shard 1 of 3/.test(x)), summary.warnings.join('\n'));
  });

  test('missing, duplicated and mismatched shards are one-line errors', async () => {
    const base = threeShards();
    const cases: [string, ShardPlan[], RegExp][] = [
      ['missing', [base[0]!, base[2]!], /shard 1 of 3 missing \(have 0, 2\)/],
      ['duplicated', [base[0]!, base[1]!, { ...base[1]! }, base[2]!], /shard 1 of 3 appears twice/],
      ['other run', [base[0]!, { ...base[1]!, runId: 'run-2' }, base[2]!], /run id "run-2" differs from "run-1"/],
      ['other N', [base[0]!, { ...base[1]!, count: 4 }, base[2]!], /shard of 4, but .* is a shard of 3/],
      ['other settings', [base[0]!, { ...base[1]!, settings: { SCY_READ_RPS: 900 } }, base[2]!], /SCY_READ_RPS=900 differs from SCY_READ_RPS=300/],
    ];
    for (const [name, plans, message] of cases) {
      const dirs = await shardFolders(plans);
      await assert.rejects(
        runMerge({ dirs, tool: TOOL, print: () => {}, color: false }),
        (e: unknown) => e instanceof ShardFolderError && message.test(e.message) && !e.message.includes('\n'),
        name,
      );
    }
    const [dir] = await shardFolders([base[0]!]);
    assert.throws(() => readShardRecord(join(dir!, 'nowhere')), /no shard\.json/);
  });

  test('the CLI writes one summary.json and report.html and exits with the verdict; a bad set exits 2 with one line', async () => {
    const dirs = await shardFolders(threeShards());
    const out = join(dirs[0]!, '..', 'merged-here');
    const ok = spawnSync(process.execPath, [CLI, 'merge', ...dirs, '--out', out], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Shards/);
    for (const shard of ['0 (scaler)', '1', '2']) assert.match(ok.stdout, new RegExp(`^\\s*${shard.replace(/[()]/g, '\\$&')}\\s+\\S`, 'm'), `shard ${shard} printed`);
    // The report carries the same per-shard table as the printed summary (one model renders both).
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const table = /<table id="table-shards">([\s\S]*?)<\/table>/.exec(html);
    assert.ok(table, 'report.html has the shards table');
    assert.equal((table[1]!.match(/<tr>/g) ?? []).length, 1 + 3, 'a header row and one row per shard');
    assert.match(table[1]!, /0 \(scaler\)/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as MergedSummary;
    assert.equal(summary.runId, 'run-1');
    assert.equal(summary.shards.length, 3);
    const bad = spawnSync(process.execPath, [CLI, 'merge', dirs[0]!, dirs[2]!], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /shard 1 of 3 missing/);
  });
});

test('merge given the run folder takes the shard-<i> folders in it and writes merged/ beside them', async () => {
  const run = join(mkdtempSync(join(tmpdir(), 'srt-run-folder-')), 'run-1');
  for (const plan of threeShards()) {
    const dir = join(run, `shard-${plan.index}`);
    mkdirSync(dir, { recursive: true });
    await writeShardRecord(dir, shardRecord(plan));
  }
  const lines: string[] = [];
  const r = await runMerge({ dirs: [run], tool: TOOL, print: (t) => lines.push(t), color: false });
  assert.equal(r.summary.shards.length, 3);
  assert.equal(r.outDir, join(run, 'merged'));
  assert.ok(existsSync(join(run, 'merged', 'summary.json')));
  assert.ok(lines.some((l) => l.includes('merged 3 shards of run run-1')));
});

test('the charts\' intervals carry every shard\'s rows and reads once, on the scaler shard\'s timeline', async () => {
  const plans = threeShards();
  const dirs = await shardFolders(plans);
  const inputs = dirs.map((dir) => ({ dir, record: readShardRecord(dir) }));
  const { intervals } = mergeShardRecords(inputs, TOOL);
  const total = (f: (iv: (typeof intervals)[number]) => number, ivs: readonly (typeof intervals)[number][]): number => ivs.reduce((a, iv) => a + f(iv), 0);
  assert.equal(intervals.length, inputs[0]!.record.intervals.length);
  assert.equal(total((iv) => iv.writes.rows, intervals), inputs.reduce((a, i) => a + total((iv) => iv.writes.rows, i.record.intervals), 0));
  assert.equal(total((iv) => iv.reads.completed, intervals), inputs.reduce((a, i) => a + total((iv) => iv.reads.completed, i.record.intervals), 0));
  for (const iv of intervals) assert.ok(Math.abs(iv.writes.rowsPerSec - (iv.durationMs > 0 ? (iv.writes.rows * 1000) / iv.durationMs : 0)) < 1e-9);
});

test('a shard that did not do what was asked (a loader thread died) fails the merged run, named in its failures', async () => {
  const dirs = await shardFolders(threeShards());
  const inputs = dirs.map((dir) => ({ dir, record: readShardRecord(dir) }));
  assert.equal(mergeShardRecords(inputs, TOOL).summary.exitCode, EXIT.ok);
  inputs[1]!.record.summary.failures = [{ kind: 'run-incomplete', id: 'loader-died', message: 'loader thread 1 died', exitCode: EXIT.runIncomplete }];
  const s = mergeShardRecords(inputs, TOOL).summary;
  assert.equal(s.exitCode, EXIT.runIncomplete);
  assert.deepEqual(s.failures.map((f) => `${f.id}: ${f.message}`), ['loader-died: shard 1: loader thread 1 died']);
});

test('compare takes a merged run\'s folder like any other run folder', async () => {
  const dirs = await shardFolders(threeShards());
  const r = await runMerge({ dirs, tool: TOOL, print: () => {}, color: false });
  const one = readShardRecord(dirs[0]!);
  await writeRunReports(dirs[0]!, { summary: one.summary, intervals: one.intervals, events: one.events });
  const single = readRunSummary('BASE_RUN', dirs[0]!);
  const merged = readRunSummary('NEW_RUN', r.outDir);
  assert.equal(compareRuns(single, merged, { maxThroughputDropPct: 10 }).breaches.length, 0, 'three shards write more than one alone');
  assert.ok(compareRuns(merged, single, { maxThroughputDropPct: 10 }).breaches.length > 0, 'one shard alone writes less than all three');
});
