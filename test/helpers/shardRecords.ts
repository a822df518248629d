// Hand-made shard run folders: each shard records known samples through a real Recorder on a fake clock, so the
// records hold exactly what a run would write, and tests know every sample that went in.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/clock.js';
import { Recorder } from '../../src/metrics/recorder.js';
import type { RunSummary, VerificationReport } from '../../src/metrics/types.js';
import type { Phase } from '../../src/phase.js';
import { seededRandom } from '../../src/load/rowContent.js';
import { writeShardRecord, type ShardRecord } from '../../src/shard/record.js';

export interface PhasePlan {
  phase: Phase;
  ms: number;
  /** Batches written in this phase: [rows, micros] each. */
  writes: [number, number][];
  /** Read response times (µs). */
  reads: number[];
}

export const STEADY1: Phase = { kind: 'steady', cycle: 0, nodes: 1 };
export const GROW: Phase = { kind: 'resizing', cycle: 1, from: 1, to: 2, requestId: '9' };
export const STEADY2: Phase = { kind: 'steady', cycle: 1, nodes: 2 };

/** Samples drawn from a seeded generator: `n` batches and reads with latencies spread over three decades. */
export function samples(seed: number, n: number, phase: Phase, ms: number): PhasePlan {
  const next = seededRandom(seed);
  const lat = (): number => Math.round(200 + next() ** 3 * 200_000);
  return { phase, ms, writes: Array.from({ length: n }, () => [1 + Math.floor(next() * 50), lat()]), reads: Array.from({ length: n }, lat) };
}

export interface ShardPlan {
  index: number;
  count: number;
  runId?: string;
  settings?: Record<string, unknown>;
  startMs?: number;
  phases: PhasePlan[];
  lost?: number;
  verification?: VerificationReport | null;
}

export const SETTINGS_OF_RUN = { SCY_READ_RPS: 300, SCY_BATCH_INFLIGHT: 96, SCY_REPORT_SECS: 1, SCY_MAX_LOST_ROWS: 0, SCY_OUT_DIR: 'runs' };

export function shardRecord(plan: ShardPlan): Omit<ShardRecord, 'format'> {
  const clock = new FakeClock(plan.startMs ?? 1_700_000_000_000);
  const probes = { readTarget: () => 100, readsDue: () => 0, inflight: () => ({ inflight: 0, limit: 32 }), loader: () => ({ cpuPercent: 10, busiestThreadPercent: 10, eventLoopDelayP99Ms: 1, rssMb: 100, heapMb: 50 }) };
  const rec = new Recorder(clock, probes, { kind: 'waiting', cycle: 0, nodes: null, reason: 'first look at the cluster' });
  const startedAt = new Date(clock.now()).toISOString();
  for (const p of plan.phases) {
    rec.setPhase(p.phase);
    for (const [rows, us] of p.writes) rec.recordWrite(rows, us, us / 2);
    for (const us of p.reads) rec.recordRead(us, us / 2);
    // time passes in report intervals, as in a run
    for (let t = 0; t < p.ms; t += 1000) {
      void clock.advance(Math.min(1000, p.ms - t));
      rec.tick();
    }
  }
  for (let i = 0; i < (plan.lost ?? 0); i++) rec.recordLoss('missing', `id-${plan.index}-${i}`, 'sweep');
  rec.finish();
  const overall = rec.overall();
  const summary: RunSummary = {
    tool: { name: 'scylla-resize-test', version: 'test' },
    startedAt,
    endedAt: new Date(overall.endMs).toISOString(),
    settings: {},
    overall,
    phases: rec.phaseReports(),
    byPhaseKey: rec.byPhaseKey(),
    resizes: plan.index === 0 ? [{ cycle: 1, from: 1, to: 2, requestId: '9', startMs: 0, endMs: 1, durationMs: 1, outcome: 'completed' }] : [],
    losses: rec.losses,
    verification: plan.verification === undefined ? { checked: 10, acknowledged: 10, sampled: false, missing: plan.lost ?? 0, corrupt: 0, errors: 0, durationMs: 5 } : plan.verification,
    thresholds: [],
    warnings: [],
    baselineIndex: null,
    exitCode: 0,
    failures: [],
  };
  return {
    runId: plan.runId ?? 'run-1',
    shard: { index: plan.index, count: plan.count },
    drivesScaler: plan.index === 0,
    settings: { ...SETTINGS_OF_RUN, ...plan.settings, SCY_SHARD: { index: plan.index, count: plan.count } },
    spans: rec.spanWires(overall.endMs),
    lossesTotal: { ...rec.lossesTotal },
    summary,
    intervals: rec.intervals,
    events: rec.events,
  };
}

/** Writes each shard's record into its own fresh folder; returns the folders in the order given. */
export async function shardFolders(plans: ShardPlan[]): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'srt-shards-'));
  const dirs: string[] = [];
  for (const [i, plan] of plans.entries()) {
    const dir = join(root, `folder-${i}`);
    mkdirSync(dir);
    await writeShardRecord(dir, shardRecord(plan));
    dirs.push(dir);
  }
  return dirs;
}
