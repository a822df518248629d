import type { Config } from '../config/load.js';
import { SETTINGS, type SettingKey } from '../config/settings.js';
import type { LoaderFailure } from '../load/engine.js';
import { loaderWarnings } from '../metrics/loaderHealth.js';
import { EXIT, evaluateThresholds, exitCodeFor } from '../metrics/thresholds.js';
import type { RunSummary, VerificationReport } from '../metrics/types.js';
import type { ScalerOutcome } from '../scaler/scaler.js';
import type { Observers } from './observe.js';

/** The settings as they appear in reports: secrets masked, Cloud settings shown only when given. */
export function reportedSettings(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const v = (config as unknown as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out[SETTINGS[key].env] = SETTINGS[key].secret ? '***' : v;
  }
  if (config.cloud) out.SCY_CLOUD_TOKEN = '***';
  return out;
}

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

function loaderFailureWarning(f: LoaderFailure): string {
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
  if (end.scalerOutcome?.stopped === 'fatal') warnings.push(`scaler stopped early: ${end.scalerOutcome.reason ?? ''}`);
  warnings.push(...end.loaderFailures.map(loaderFailureWarning));

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
  // A run that lost part of its load to a dead thread did not do what was asked, whatever its figures say.
  const exitCode = end.loaderFailures.length > 0 ? Math.max(EXIT.internal, exitCodeFor(thresholds, lostRows)) : exitCodeFor(thresholds, lostRows);
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
    thresholds,
    warnings,
    exitCode,
  };
}
