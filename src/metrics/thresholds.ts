import type { Config } from '../config/load.js';
import { totalErrors } from './span.js';
import type { PhaseReport, ResizeRecord, SpanStats, ThresholdResult } from './types.js';

export interface ThresholdInput {
  phases: PhaseReport[];
  resizes: ResizeRecord[];
  lostRows: number;
  /** Phases shorter than this are too short to judge rates on. */
  minPhaseMs: number;
  /** End of the run, the end of a resize still unfinished. */
  nowMs: number;
}

type Limits = Pick<Config, 'maxWriteP99Ms' | 'maxReadP99Ms' | 'minThroughputRatio' | 'maxErrorRate' | 'maxLostRows' | 'maxResizeSecs'>;

const fmt = (n: number, digits = 1): string => n.toFixed(digits);

function errorRate(s: SpanStats): number {
  const failed = s.writes.failedBatches + totalErrors(s.reads.errors);
  const all = s.writes.batches + s.writes.failedBatches + s.reads.completed + totalErrors(s.reads.errors);
  return all > 0 ? failed / all : 0;
}

/** Phases long enough to judge rates on. */
function judgedPhases(phases: PhaseReport[], minPhaseMs: number): PhaseReport[] {
  return phases.filter((p) => p.durationMs >= minPhaseMs);
}

/**
 * The phase every other one is compared with, by the throughput threshold and by the summary's change columns:
 * the first steady phase with writes that is long enough to judge, else the first such phase with writes.
 */
export function baselinePhase(phases: PhaseReport[], minPhaseMs: number): PhaseReport | undefined {
  const judged = judgedPhases(phases, minPhaseMs);
  return judged.find((p) => p.phase.kind === 'steady' && p.writes.rows > 0) ?? judged.find((p) => p.writes.rows > 0);
}

/** Every configured threshold, checked per phase (or per resize), worst case reported. */
export function evaluateThresholds(limits: Limits, input: ThresholdInput): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  const judged = judgedPhases(input.phases, input.minPhaseMs);
  const worst = <T>(items: T[], value: (t: T) => number, higherIsWorse = true): [T, number] | null => {
    let best: [T, number] | null = null;
    for (const it of items) {
      const v = value(it);
      if (!best || (higherIsWorse ? v > best[1] : v < best[1])) best = [it, v];
    }
    return best;
  };

  if (limits.maxWriteP99Ms !== undefined) {
    const w = worst(judged.filter((p) => p.writes.batches > 0), (p) => p.writes.batchLatency.p99);
    if (w) results.push({ id: 'write-p99', name: 'write p99 (batch)', limit: `≤ ${limits.maxWriteP99Ms} ms`, actual: `${fmt(w[1])} ms`, passed: w[1] <= limits.maxWriteP99Ms, scope: w[0].label });
  }
  if (limits.maxReadP99Ms !== undefined) {
    const w = worst(judged.filter((p) => p.reads.completed > 0), (p) => p.reads.responseLatency.p99);
    if (w) results.push({ id: 'read-p99', name: 'read p99 (response time)', limit: `≤ ${limits.maxReadP99Ms} ms`, actual: `${fmt(w[1])} ms`, passed: w[1] <= limits.maxReadP99Ms, scope: w[0].label });
  }
  if (limits.minThroughputRatio !== undefined) {
    const base = baselinePhase(input.phases, input.minPhaseMs);
    if (base) {
      const w = worst(judged, (p) => p.writes.rowsPerSec / base.writes.rowsPerSec, false);
      if (w) results.push({ id: 'throughput-ratio', name: 'write rows/s vs baseline', limit: `≥ ${limits.minThroughputRatio}× of ${base.label}`, actual: `${fmt(w[1], 2)}×`, passed: w[1] >= limits.minThroughputRatio, scope: w[0].label });
    } else {
      results.push({ id: 'throughput-ratio', name: 'write rows/s vs baseline', limit: `≥ ${limits.minThroughputRatio}×`, actual: 'no baseline phase', passed: false, scope: 'run' });
    }
  }
  if (limits.maxErrorRate !== undefined) {
    const w = worst(judged, errorRate);
    if (w) results.push({ id: 'error-rate', name: 'error rate', limit: `≤ ${limits.maxErrorRate}`, actual: fmt(w[1], 4), passed: w[1] <= limits.maxErrorRate, scope: w[0].label });
  }
  results.push({ id: 'lost-rows', name: 'lost or corrupt rows', limit: `≤ ${limits.maxLostRows}`, actual: String(input.lostRows), passed: input.lostRows <= limits.maxLostRows, scope: 'run' });
  if (limits.maxResizeSecs !== undefined && input.resizes.length > 0) {
    const w = worst(input.resizes, (r) => (r.durationMs ?? input.nowMs - r.startMs) / 1000);
    if (w) results.push({ id: 'resize-duration', name: 'resize duration', limit: `≤ ${limits.maxResizeSecs} s`, actual: `${fmt(w[1], 0)} s`, passed: w[1] <= limits.maxResizeSecs, scope: `resize ${w[0].from}→${w[0].to} (cycle ${w[0].cycle})` });
  }
  return results;
}
