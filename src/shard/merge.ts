import { SETTINGS } from '../config/settings.js';
import { phaseKey, phaseLabel, type Phase } from '../phase.js';
import { SpanAccumulator } from '../metrics/span.js';
import { baselinePhase, evaluateThresholds } from '../metrics/thresholds.js';
import { decideVerdict } from '../verdict/verdict.js';
import type { WiredSpan } from '../metrics/recorder.js';
import type {
  IntervalReport,
  LatencyStats,
  PhaseReport,
  RunSummary,
  ShardLine,
  SpanStats,
  TimelineEvent,
  VerificationReport,
} from '../metrics/types.js';
import { ShardFolderError, type ShardRecord } from './record.js';

// The one answer of a run split over shards. Counts add up; latency percentiles come from the shards'
// histograms merged exactly (never from averaging percentiles); throughput is the sum of every shard's rate
// over its own phase window. Phases are matched across shards by their place in the phase sequence: the n-th
// phase with a given key in a given cycle (e.g. the first "resize 1→2" of cycle 1) is the same phase on every
// shard, whatever its exact start (followers see a phase change up to one poll after the scaler makes it).

/**
 * Settings each machine may set for itself (how it reaches the cluster and the Cloud API, where it writes, where
 * it serves its live metrics);
 * every other setting must be the same on every shard.
 */
const PER_MACHINE = new Set(['SCY_SHARD', 'SCY_OUT_DIR', 'SCY_CONTACT_POINTS', 'SCY_TLS_CA_FILE', 'SCY_CLOUD_API_BASE', 'SCY_METRICS_PORT', 'SCY_METRICS_HOST', 'SCY_METRICS_LINGER_SECS']);

export interface MergedSummary extends RunSummary {
  runId: string;
  shards: ShardLine[];
}

export interface MergedRun {
  summary: MergedSummary;
  intervals: IntervalReport[];
  events: TimelineEvent[];
}

export interface ShardInput {
  dir: string;
  record: ShardRecord;
}

/** Refuses folders that are not exactly the N shards of one run with one set of settings. */
export function checkShards(inputs: ShardInput[]): void {
  if (inputs.length === 0) throw new ShardFolderError('merge needs the run folders of all shards of one run');
  const first = inputs[0]!;
  const { runId, shard } = first.record;
  for (const { dir, record } of inputs.slice(1)) {
    if (record.runId !== runId) throw new ShardFolderError(`${dir}: run id "${record.runId}" differs from "${runId}" of ${first.dir}`);
    if (record.shard.count !== shard.count) throw new ShardFolderError(`${dir}: shard of ${record.shard.count}, but ${first.dir} is a shard of ${shard.count}`);
    const keys = new Set([...Object.keys(record.settings), ...Object.keys(first.record.settings)]);
    for (const k of [...keys].sort()) {
      if (PER_MACHINE.has(k)) continue;
      const [a, b] = [JSON.stringify(first.record.settings[k]), JSON.stringify(record.settings[k])];
      if (a !== b) throw new ShardFolderError(`${dir}: ${k}=${b ?? '(unset)'} differs from ${k}=${a ?? '(unset)'} of ${first.dir}; all shards of a run need the same settings`);
    }
  }
  const byIndex = new Map<number, string>();
  for (const { dir, record } of inputs) {
    const seen = byIndex.get(record.shard.index);
    if (seen !== undefined) throw new ShardFolderError(`shard ${record.shard.index} of ${shard.count} appears twice: ${seen} and ${dir}`);
    byIndex.set(record.shard.index, dir);
  }
  const missing = Array.from({ length: shard.count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new ShardFolderError(`run ${runId}: shard ${missing.join(', ')} of ${shard.count} missing (have ${[...byIndex.keys()].sort((a, b) => a - b).join(', ')})`);
}

/** A phase's place in its shard's sequence: the n-th phase of this key in this cycle. */
function phaseSlot(p: Phase, seen: Map<string, number>): string {
  const base = `${'cycle' in p ? p.cycle : '-'}|${phaseKey(p)}`;
  const n = (seen.get(base) ?? 0) + 1;
  seen.set(base, n);
  return `${base}|${n}`;
}

interface Part {
  shard: number;
  wired: WiredSpan;
}

/** Counts and exactly merged histograms of the parts; rates are the sum of each part's rate over its own window. */
function mergeParts(parts: Part[], durationOf: (p: Part) => number = (p) => p.wired.endMs - p.wired.startMs): SpanStats {
  const startMs = Math.min(...parts.map((p) => p.wired.startMs));
  const endMs = Math.max(...parts.map((p) => p.wired.endMs));
  const acc = new SpanAccumulator(startMs);
  let rowsPerSec = 0;
  let targetRowsPerSec = 0;
  let readsPerSec = 0;
  let targetPerSec = 0;
  for (const p of parts) {
    const one = SpanAccumulator.fromWire(p.wired.span);
    const own = one.stats(one.startMs + durationOf(p));
    rowsPerSec += own.writes.rowsPerSec;
    targetRowsPerSec += own.writes.targetRowsPerSec;
    readsPerSec += own.reads.readsPerSec;
    targetPerSec += own.reads.targetPerSec;
    acc.merge(one);
  }
  // Thread numbers repeat from shard to shard, so a per-thread split of the merged span would mix them up.
  const { threads: _mixed, ...stats } = acc.stats(endMs);
  void _mixed;
  stats.writes.rowsPerSec = rowsPerSec;
  stats.writes.targetRowsPerSec = targetRowsPerSec;
  stats.reads.readsPerSec = readsPerSec;
  stats.reads.targetPerSec = targetPerSec;
  return stats;
}

function mergePhases(inputs: ShardInput[], warnings: string[]): PhaseReport[] {
  const groups = new Map<string, { phase: Phase; scalerPhase: Phase | null; parts: Part[] }>();
  for (const { record } of inputs) {
    const seen = new Map<string, number>();
    for (const p of record.spans.phases) {
      const slot = phaseSlot(p.phase, seen);
      const g = groups.get(slot) ?? { phase: p.phase, scalerPhase: null, parts: [] };
      // The scaler's own phase (with its request id and reason) names the merged phase when it has one.
      if (record.drivesScaler) g.scalerPhase = p.phase;
      g.parts.push({ shard: record.shard.index, wired: p });
      groups.set(slot, g);
    }
  }
  const count = inputs.length;
  const merged = [...groups.values()]
    .map((g) => ({ phase: g.scalerPhase ?? g.phase, parts: g.parts, stats: mergeParts(g.parts) }))
    .sort((a, b) => a.stats.startMs - b.stats.startMs);
  return merged.map((m, index) => {
    const label = phaseLabel(m.phase);
    if (m.parts.length < count) {
      const shards = m.parts.map((p) => p.shard).sort((a, b) => a - b);
      warnings.push(`phase "${label}" was seen only by shard ${shards.join(', ')} of ${count}; it holds only their samples (phases of shards that follow the scaler can differ from its own by a poll)`);
    }
    return { ...m.stats, index, phase: m.phase, key: phaseKey(m.phase), label };
  });
}

/** Phases of the same key merged across cycles and shards; each shard's rate is over the time it spent in them. */
function mergeByKey(inputs: ShardInput[], phases: PhaseReport[]): RunSummary['byPhaseKey'] {
  const keys = [...new Set(phases.map((p) => p.key))];
  return keys.map((key) => {
    const parts: Part[] = [];
    const timeIn = new Map<Part, number>();
    for (const { record } of inputs) {
      const mine = record.spans.phases.filter((p) => phaseKey(p.phase) === key);
      if (mine.length === 0) continue;
      const acc = new SpanAccumulator(mine[0]!.startMs);
      let ms = 0;
      for (const p of mine) {
        acc.merge(SpanAccumulator.fromWire(p.span));
        ms += p.endMs - p.startMs;
      }
      const part = { shard: record.shard.index, wired: { startMs: acc.startMs, endMs: acc.startMs + ms, span: acc.toWire() } };
      timeIn.set(part, ms);
      parts.push(part);
    }
    const longest = Math.max(...parts.map((p) => timeIn.get(p)!));
    const stats = mergeParts(parts);
    const startMs = Math.min(...parts.map((p) => p.wired.startMs));
    return { ...stats, startMs, endMs: startMs + longest, durationMs: longest, key, occurrences: phases.filter((p) => p.key === key).length };
  });
}

function sumVerification(all: (VerificationReport | null)[]): VerificationReport | null {
  const present = all.filter((v): v is VerificationReport => v !== null);
  if (present.length === 0) return null;
  return {
    checked: present.reduce((a, v) => a + v.checked, 0),
    acknowledged: present.reduce((a, v) => a + v.acknowledged, 0),
    sampled: present.some((v) => v.sampled),
    missing: present.reduce((a, v) => a + v.missing, 0),
    corrupt: present.reduce((a, v) => a + v.corrupt, 0),
    errors: present.reduce((a, v) => a + v.errors, 0),
    durationMs: Math.max(...present.map((v) => v.durationMs)),
  };
}

const maxStats = (a: LatencyStats, b: LatencyStats): LatencyStats => ({
  count: a.count + b.count,
  p50: Math.max(a.p50, b.p50),
  p90: Math.max(a.p90, b.p90),
  p99: Math.max(a.p99, b.p99),
  p999: Math.max(a.p999, b.p999),
  max: Math.max(a.max, b.max),
  mean: a.count + b.count > 0 ? (a.mean * a.count + b.mean * b.count) / (a.count + b.count) : 0,
});

type KeysOf<T, V> = { [K in keyof T]: T[K] extends V ? K : never }[keyof T];

function addUp<T extends object>(to: T, from: T, keys: KeysOf<T, number>[]): void {
  for (const k of keys) (to[k] as number) += from[k] as number;
}

function takeWorst<T extends object>(to: T, from: T, keys: KeysOf<T, LatencyStats>[]): void {
  for (const k of keys) (to[k] as LatencyStats) = maxStats(to[k] as LatencyStats, from[k] as LatencyStats);
}

/**
 * The charts' timeline: the scaler shard's report intervals, each with the other shards' intervals that ended in
 * it added (counts summed, rates over the interval). Per-interval latency is the worst shard's percentile, an upper
 * bound (intervals keep no histograms); the summary tables' percentiles are exact.
 */
function mergeIntervals(skeleton: readonly IntervalReport[], others: ShardRecord[]): IntervalReport[] {
  // Thread numbers repeat from shard to shard: the merged intervals keep no per-thread split.
  const out: IntervalReport[] = skeleton.map(({ threads: _mixed, ...iv }) => structuredClone(iv));
  if (out.length === 0) return out;
  for (const rec of others) {
    for (const iv of rec.intervals) {
      const i = out.findIndex((o) => iv.endMs <= o.endMs);
      const t = out[i === -1 ? out.length - 1 : i]!;
      addUp(t.writes, iv.writes, ['batches', 'rows', 'failedBatches', 'failedRows', 'rowsDue', 'rowsSent', 'targetRowsPerSec', 'behindRows']);
      addUp(t.reads, iv.reads, ['scheduled', 'completed', 'targetPerSec', 'missing', 'corrupt', 'notYetVisible']);
      takeWorst(t.writes, iv.writes, ['batchLatency', 'rowLatency', 'serviceLatency']);
      takeWorst(t.reads, iv.reads, ['responseLatency', 'serviceLatency']);
      for (const k of Object.keys(t.reads.errors) as (keyof typeof t.reads.errors)[]) {
        t.reads.errors[k] += iv.reads.errors[k];
        t.writes.retriedErrors[k] += iv.writes.retriedErrors[k];
      }
      t.loader.cpuPercent = Math.max(t.loader.cpuPercent, iv.loader.cpuPercent);
      t.loader.busiestThreadPercent = Math.max(t.loader.busiestThreadPercent, iv.loader.busiestThreadPercent);
      t.loader.eventLoopDelayP99Ms = Math.max(t.loader.eventLoopDelayP99Ms, iv.loader.eventLoopDelayP99Ms);
      t.inflight += iv.inflight;
      t.inflightLimit += iv.inflightLimit;
    }
  }
  for (const t of out) {
    const secs = t.durationMs / 1000;
    t.writes.rowsPerSec = secs > 0 ? t.writes.rows / secs : 0;
    t.reads.readsPerSec = secs > 0 ? t.reads.completed / secs : 0;
  }
  return out;
}

/** The thresholds as the run's settings gave them (every shard has the same ones, checked above). */
function limitsOf(settings: Record<string, unknown>): Parameters<typeof evaluateThresholds>[0] {
  const num = (env: string): number | undefined => (typeof settings[env] === 'number' ? (settings[env] as number) : undefined);
  const out: Record<string, number | undefined> = {};
  for (const key of ['maxWriteP99Ms', 'maxReadP99Ms', 'minThroughputRatio', 'maxErrorRate', 'maxResizeSecs'] as const) out[key] = num(SETTINGS[key].env);
  return { ...out, maxLostRows: num(SETTINGS.maxLostRows.env) ?? 0 } as Parameters<typeof evaluateThresholds>[0];
}

export function mergeShardRecords(unsorted: ShardInput[], tool: RunSummary['tool']): MergedRun {
  checkShards(unsorted);
  const inputs = [...unsorted].sort((a, b) => a.record.shard.index - b.record.shard.index);
  const records = inputs.map((i) => i.record);
  const scaler = records.find((r) => r.drivesScaler) ?? records[0]!;
  const warnings: string[] = [];
  const phases = mergePhases(inputs, warnings);
  const overall = mergeParts(records.map((r) => ({ shard: r.shard.index, wired: r.spans.overall })));
  const lostRows = records.reduce((a, r) => a + r.lossesTotal.missing + r.lossesTotal.corrupt, 0);
  const settings: Record<string, unknown> = { ...scaler.settings, SCY_SHARD: `${records.length} shards` };
  const reportSecs = typeof settings.SCY_REPORT_SECS === 'number' ? settings.SCY_REPORT_SECS : Number(SETTINGS.reportSecs.default);
  const endMs = Math.max(...records.map((r) => Date.parse(r.summary.endedAt)));
  const thresholds = evaluateThresholds(limitsOf(settings), {
    phases,
    resizes: scaler.summary.resizes,
    lostRows,
    minPhaseMs: reportSecs * 1000,
    nowMs: endMs,
  });
  // Thresholds are judged again on the merged figures. What only a shard knows, that it did not do what was asked
  // (the scaler gave up or fell short of SCY_CYCLES on shard 0, a loader thread died anywhere), fails the run too.
  const runFailures = records.flatMap((r) =>
    (r.summary.failures ?? []).filter((f) => f.kind === 'run-incomplete').map((f) => ({ id: f.id, message: `shard ${r.shard.index}: ${f.message}` })),
  );
  const verdict = decideVerdict({ thresholds, scaler: null, runFailures });
  for (const r of records) for (const w of r.summary.warnings) warnings.push(`shard ${r.shard.index}: ${w}`);
  const events = records
    .flatMap((r) => r.events.filter((e) => r === scaler || e.type !== 'phase').map((e) => ({ ...e, shard: r.shard.index })))
    .sort((a, b) => a.at - b.at);
  const summary: MergedSummary = {
    tool,
    runId: scaler.runId,
    startedAt: new Date(Math.min(...records.map((r) => Date.parse(r.summary.startedAt)))).toISOString(),
    endedAt: new Date(endMs).toISOString(),
    settings,
    overall,
    phases,
    byPhaseKey: mergeByKey(inputs, phases),
    resizes: scaler.summary.resizes,
    losses: records.flatMap((r) => r.summary.losses),
    verification: sumVerification(records.map((r) => r.summary.verification)),
    thresholds,
    warnings,
    baselineIndex: baselinePhase(phases, reportSecs * 1000)?.index ?? null,
    exitCode: verdict.exitCode,
    failures: verdict.failures,
    shards: inputs.map(({ dir, record: r }) => ({
      shard: r.shard.index,
      dir,
      drivesScaler: r.drivesScaler,
      rows: r.summary.overall.writes.rows,
      rowsPerSec: r.summary.overall.writes.rowsPerSec,
      reads: r.summary.overall.reads.completed,
      lostRows: r.lossesTotal.missing + r.lossesTotal.corrupt,
      verification: r.summary.verification,
      exitCode: r.summary.exitCode,
    })),
  };
  return { summary, intervals: mergeIntervals(scaler.intervals, records.filter((r) => r !== scaler)), events };
}
