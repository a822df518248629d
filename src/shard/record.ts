import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { drivesScaler } from '../config/shard.js';
import type { Shard } from '../config/shardSpec.js';
import type { RecordedSpans, Recorder } from '../metrics/recorder.js';
import { reportedSettings } from '../config/reportedSettings.js';
import type { IntervalReport, RunSummary, TimelineEvent } from '../metrics/types.js';

// What one shard's run folder keeps so that `merge` can build the run's one answer: the counts and the
// losslessly encoded histograms of every phase and of the whole shard, who the shard is, the settings that all
// shards must share, and the shard's own summary (resizes, losses, verification). Written next to summary.json.

export const SHARD_FILE = 'shard.json';
const FORMAT = 'scylla-resize-test shard record 1';

export interface ShardRecord {
  format: typeof FORMAT;
  runId: string;
  shard: Shard;
  /** True for the one shard that drove the scaler: its resizes are the run's. */
  drivesScaler: boolean;
  /** The run's settings before the split (secrets masked), which every shard of the run must agree on. */
  settings: Record<string, unknown>;
  spans: RecordedSpans;
  lossesTotal: { missing: number; corrupt: number };
  summary: RunSummary;
  intervals: readonly IntervalReport[];
  events: TimelineEvent[];
}

/** A run folder that cannot be merged: the message is one line and names the folder. */
export class ShardFolderError extends Error {}

export async function writeShardRecord(dir: string, record: Omit<ShardRecord, 'format'>): Promise<string> {
  const path = join(dir, SHARD_FILE);
  await writeFile(path, JSON.stringify({ format: FORMAT, ...record }) + '\n');
  return path;
}

/**
 * At the end of a run with SCY_RUN_ID, keeps this shard's record beside its summary.json; nothing otherwise.
 * `runConfig` is the run's config before the shard's share was taken: the settings all shards must agree on.
 */
export async function keepShardRecord(dir: string, o: { runConfig: Config; config: Config; recorder: Recorder; summary: RunSummary }): Promise<void> {
  const { config, recorder, summary } = o;
  if (config.runId === undefined) return;
  await writeShardRecord(dir, {
    runId: config.runId,
    shard: config.shard,
    drivesScaler: drivesScaler(config),
    settings: reportedSettings(o.runConfig),
    spans: recorder.spanWires(summary.overall.endMs),
    lossesTotal: { ...recorder.lossesTotal },
    summary,
    intervals: recorder.intervals,
    events: recorder.events,
  });
}

export function readShardRecord(dir: string): ShardRecord {
  const path = join(dir, SHARD_FILE);
  if (!existsSync(path)) throw new ShardFolderError(`${dir}: no ${SHARD_FILE} (not the folder of a finished shard of a run with SCY_RUN_ID)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ShardFolderError(`${path}: not readable JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const r = parsed as Partial<ShardRecord> | null;
  if (!r || r.format !== FORMAT || typeof r.runId !== 'string' || !r.shard || !r.spans || !r.summary || !r.settings) {
    throw new ShardFolderError(`${path}: not a shard record of this tool (format "${FORMAT}" expected)`);
  }
  return r as ShardRecord;
}
