import type { Config } from '../config/load.js';
import { reportedSettings } from '../config/reportedSettings.js';
import type { LoaderFailure } from '../load/engine.js';
import { loaderWarnings } from '../metrics/loaderHealth.js';
import { baselinePhase, evaluateThresholds } from '../metrics/thresholds.js';
import type { RunSummary, VerificationReport } from '../metrics/types.js';
import type { ScalerOutcome } from '../scaler/scaler.js';
import { decideVerdict } from '../verdict/verdict.js';
import { drivesScaler } from '../config/shard.js';
import type { Observers } from './observe.js';

export interface RunEnd {
  startedAt: Date;
  endedAtMs: number;
  version: string;
  /** Batches and reads the drain could not settle. */
  left: { writes: number; reads: number };
  scalerOutcome: ScalerOutcome | null;
  loaderFailures: readonly LoaderFailure[];
  verification: VerificationReport | null;
}

function loaderFailureMessage(f: LoaderFailure): string {
  return `loader thread ${f.thread} died (${f.error}): its load stopped there, and its ${f.acknowledgedRows} acknowledged rows (as of its last report) were not verified`;
}

/** The run's verdict and summary from what the observers saw and how the run ended. */
export function summarize(config: Config, obs: Observers, end: RunEnd): RunSummary {
  const { recorder, views, strain, resizes } = obs;
  const warnings: string[] = [];
  const disagreement = views.warning();
  if (disagreement) warnings.push(disagreement);
  if (recorder.droppedEvents > 0) warnings.push(`${recorder.droppedEvents} timeline events beyond the first 20,000 were kept only in timeline.ndjson, not in the HTML report`);
  // Whatever the drain could not settle is neither acknowledged nor failed: say so instead of guessing.
  if (end.left.writes > 0) warnings.push(`${end.left.writes} batches were still in flight when the drain ended; their rows are not counted as acknowledged`);
  if (end.left.reads > 0) warnings.push(`${end.left.reads} reads were still in flight when the drain ended`);

  const phases = recorder.phaseReports();
  const lostRows = recorder.lossesTotal.missing + recorder.lossesTotal.corrupt;
  const thresholds = evaluateThresholds(config, {
    phases,
    resizes: resizes.records,
    lostRows,
    minPhaseMs: config.reportSecs * 1000,
    nowMs: end.endedAtMs,
  });
  warnings.push(...loaderWarnings(recorder.overall(), strain));
  const verdict = decideVerdict({
    thresholds,
    // Only the shard that drives the scaler answers for it (SCY_SHARD: the others follow its phases).
    scaler: config.cloud && drivesScaler(config)
      ? { outcome: end.scalerOutcome, cyclesAsked: config.cycles, dryRun: config.dryRun, stoppedByThreshold: obs.stoppedByThreshold() }
      : null,
    // A run that lost part of its load to a dead thread did not do what was asked, whatever its figures say.
    runFailures: end.loaderFailures.map((f) => ({ id: 'loader-died', message: loaderFailureMessage(f) })),
  });
  return {
    tool: { name: 'scylla-resize-test', version: end.version },
    startedAt: end.startedAt.toISOString(),
    endedAt: new Date(end.endedAtMs).toISOString(),
    settings: reportedSettings(config),
    overall: recorder.overall(),
    phases,
    byPhaseKey: recorder.byPhaseKey(),
    resizes: resizes.records,
    losses: recorder.losses,
    verification: end.verification,
    baselineIndex: baselinePhase(phases, config.reportSecs * 1000)?.index ?? null,
    thresholds,
    warnings,
    exitCode: verdict.exitCode,
    failures: verdict.failures,
  };
}
